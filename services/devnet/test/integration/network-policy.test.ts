// NetworkPolicies are enforced on the devnet's node (kube-router's firewall, started by
// cluster.ts): a pod the policy admits connects, one it does not is refused within a bounded
// time, and deleting the policy lets it in again. Then the chart's own policies, rendered by helm
// and applied over stand-in pods that carry the chart's labels: only the pool reaches the TP port.
// Runs on the suite's shared cluster (scripts/run-tests.mjs starts it); only pod addresses on the
// devnet's pod subnet are dialled.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { binaryPath, type SharedCluster, sharedCluster, waitFor } from "@hyperhash/devnet";
import test from "ava";
import { parseAllDocuments, stringify } from "yaml";

const run = promisify(execFile);
const chartDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "charts", "hyperhash");

let cluster: SharedCluster;
const nsBase = `np-test-${process.pid}`;
const namespaces: string[] = [];

const nodeImage = () => {
  const ref = cluster.images.find((r) => r.startsWith("ghcr.io/hyperhash/node:"));
  if (!ref) throw new Error(`no node base image among ${cluster.images.join(", ")}`);
  return ref;
};

/** A TCP server on each port answering "ok", or an idle client. */
const serverScript = (ports: number[]) =>
  `for (const p of ${JSON.stringify(ports)}) require("net").createServer((s) => s.end("ok\\n")).listen(p)`;
const idleScript = "setInterval(() => {}, 1 << 30)";
/** One connection, 1.5 s at most: prints ok, timeout or the error code. */
const dialScript = `const s = require("net").connect(Number(process.argv[2]), process.argv[1]);
s.setTimeout(1500, () => { console.log("timeout"); process.exit(0); });
s.on("data", () => { console.log("ok"); process.exit(0); });
s.on("error", (e) => { console.log(e.code); process.exit(0); });`;

function pod(ns: string, name: string, labels: Record<string, string>, script: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "main",
          image: nodeImage(),
          imagePullPolicy: "Never",
          command: ["node", "-e", script],
          resources: { requests: { cpu: "5m", memory: "16Mi" } },
        },
      ],
    },
  };
}

async function apply(objects: object[]): Promise<void> {
  await cluster.kubectl(["apply", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
}

/** Waits for the pods to run and returns their IPs, each checked to be on the pod subnet. */
async function podIps(ns: string, names: string[]): Promise<Record<string, string>> {
  await cluster.kubectl([
    "-n",
    ns,
    "wait",
    "--for=condition=Ready",
    ...names.map((n) => `pod/${n}`),
    "--timeout=90s",
  ]);
  const ips: Record<string, string> = {};
  for (const name of names) {
    const ip = (
      await cluster.kubectl(["-n", ns, "get", "pod", name, "-o", "jsonpath={.status.podIP}"])
    ).trim();
    if (!/^10\.88\.\d{1,3}\.\d{1,3}$/.test(ip))
      throw new Error(`pod ${name} has ${ip}, not an address on 10.88.0.0/16`);
    ips[name] = ip;
  }
  return ips;
}

/** What one connection from `client` to host:port gives (ok, timeout, ECONNREFUSED...). */
async function dial(ns: string, client: string, host: string, port: number): Promise<string> {
  const out = await cluster.kubectl([
    "-n",
    ns,
    "exec",
    client,
    "--",
    "node",
    "-e",
    dialScript,
    host,
    String(port),
  ]);
  return out.trim();
}

async function freshNamespace(suffix: string): Promise<string> {
  const ns = `${nsBase}-${suffix}`;
  await cluster.kubectl(["create", "namespace", ns]);
  namespaces.push(ns);
  return ns;
}

test.before(() => {
  cluster = sharedCluster();
});

test.after.always(async () => {
  for (const ns of namespaces)
    await cluster?.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
});

test.serial(
  "a NetworkPolicy admits the labelled pod, refuses another, and lets it in once deleted",
  async (t) => {
    const ns = await freshNamespace("basic");
    await apply([
      pod(ns, "server", { app: "np-server" }, serverScript([8080])),
      pod(ns, "allowed", { "np-test/client": "allowed" }, idleScript),
      pod(ns, "other", {}, idleScript),
    ]);
    const ips = await podIps(ns, ["server", "allowed", "other"]);
    const server = ips.server as string;
    t.is(await dial(ns, "other", server, 8080), "ok", "without a policy every pod connects");

    await apply([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "only-allowed", namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: "np-server" } },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ podSelector: { matchLabels: { "np-test/client": "allowed" } } }],
              ports: [{ protocol: "TCP", port: 8080 }],
            },
          ],
        },
      },
    ]);
    const started = Date.now();
    const refused = await waitFor(
      async () => {
        const r = await dial(ns, "other", server, 8080);
        return r !== "ok" && r;
      },
      { what: "the policy to refuse the unlabelled pod", timeoutMs: 30_000, intervalMs: 250 },
    );
    t.log(`unlabelled pod refused (${refused}) ${Date.now() - started} ms after the policy was applied`);
    t.true(["timeout", "ECONNREFUSED", "EHOSTUNREACH"].includes(refused));
    t.is(await dial(ns, "allowed", server, 8080), "ok", "the labelled pod still connects");
    t.not(await dial(ns, "other", server, 8080), "ok", "refused again: not a race");

    await cluster.kubectl(["-n", ns, "delete", "networkpolicy", "only-allowed"]);
    await waitFor(async () => (await dial(ns, "other", server, 8080)) === "ok", {
      what: "the unlabelled pod to connect once the policy is gone",
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    t.is(await dial(ns, "other", server, 8080), "ok", "the unlabelled pod connects without the policy");
  },
);

test.serial(
  "the chart's policies: only the pool reaches the TP, core's API is closed to a stranger",
  async (t) => {
    const ns = await freshNamespace("chart");
    const release = "np";
    const { stdout } = await run(
      binaryPath("helm"),
      [
        "template",
        release,
        chartDir,
        "--namespace",
        ns,
        "--kube-version",
        "1.34.0",
        "-f",
        join(chartDir, "values-regtest.yaml"),
        "-f",
        join(chartDir, "values-devnet.yaml"),
        "--set",
        "btcd.miningAddress=bcrt1qnetworkpolicytest",
        "--show-only",
        "templates/network-policies.yaml",
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const policies = parseAllDocuments(stdout)
      .map((d) => d.toJSON() as { kind?: string } | null)
      .filter((o): o is { kind: string } => o?.kind === "NetworkPolicy");
    t.true(policies.length >= 7, `rendered ${policies.length} NetworkPolicies`);

    const labels = (component: string) => ({
      "app.kubernetes.io/name": "hyperhash",
      "app.kubernetes.io/instance": release,
      "app.kubernetes.io/component": component,
    });
    // Stand-ins listening on the chart's ports: TP 8442 (SV2 TDP) and 9442 (ops), core 8080 (API).
    await apply([
      pod(ns, "tp", labels("template-provider"), serverScript([8442, 9442])),
      pod(ns, "core", labels("core"), serverScript([8080, 9090])),
      pod(ns, "pool", labels("pool"), idleScript),
      pod(ns, "stranger", { "app.kubernetes.io/name": "stranger" }, idleScript),
    ]);
    const ips = await podIps(ns, ["tp", "core", "pool", "stranger"]);
    const [tp, core] = [ips.tp as string, ips.core as string];
    t.is(await dial(ns, "stranger", tp, 8442), "ok", "open before the policies");

    await apply(policies);
    await waitFor(async () => (await dial(ns, "stranger", tp, 8442)) !== "ok", {
      what: "the chart's policies to close the TP port to a pod that is not the pool",
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    t.is(await dial(ns, "pool", tp, 8442), "ok", "the pool reaches the TP");
    t.not(await dial(ns, "pool", tp, 9442), "ok", "but not the TP's ops port (monitoringFrom is empty)");
    t.is(await dial(ns, "pool", core, 8080), "ok", "the pool reaches core's API (outbox)");
    t.not(await dial(ns, "stranger", core, 8080), "ok", "a stranger does not");
    t.not(await dial(ns, "tp", core, 8080), "ok", "nor does the TP");
  },
);
