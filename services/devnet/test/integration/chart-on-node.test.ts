// The chart runs for real on the devnet's node (issue 20): `helm install` of the regtest profile
// with btcd as the chain node and the locally built images brings every workload to Ready, the
// pool takes templates from two hh-tp replicas through their Service, `helm upgrade` rolls the
// pool onto the treasury wallet, and `helm uninstall` leaves only what the chart documents.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  installPlatform,
  type Platform,
  type SharedCluster,
  sharedCluster,
  waitFor,
} from "@hyperhash/devnet";
import test from "ava";

let cluster: SharedCluster;
let platform: Platform;
let workDir = "";
const release = `hc${process.pid % 100000}`;
const ns = `chart-${process.pid}`;

test.before(async () => {
  cluster = sharedCluster();
  workDir = mkdtempSync(join(tmpdir(), "hh-chart-node-"));
  platform = await installPlatform({
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: ns,
    release,
    workDir,
  });
});

test.after.always(async () => {
  await cluster?.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const podsOf = async () =>
  JSON.parse(
    await cluster.kubectl([
      "-n",
      ns,
      "get",
      "pods",
      "-l",
      `app.kubernetes.io/instance=${release}`,
      "-o",
      "json",
    ]),
  ).items as Array<{
    metadata: { name: string; labels: Record<string, string> };
    spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> };
    status: { podIP: string; phase: string; conditions?: Array<{ type: string; status: string }> };
  }>;

test.serial(
  "helm install: every workload of the regtest profile is Running and Ready on the node",
  async (t) => {
    const pods = await podsOf();
    const components = new Set(pods.map((p) => p.metadata.labels["app.kubernetes.io/component"]));
    for (const c of ["btcd", "core", "operator", "pool", "template-provider", "treasury", "treasury-lnd"]) {
      t.true(components.has(c), `a ${c} pod runs`);
    }
    for (const p of pods) {
      t.is(p.status.phase, "Running", p.metadata.name);
      t.is(p.status.conditions?.find((c) => c.type === "Ready")?.status, "True", `${p.metadata.name} Ready`);
    }
    const tp = JSON.parse(
      await cluster.kubectl([
        "-n",
        ns,
        "get",
        "deployment",
        `${platform.prefix}-template-provider`,
        "-o",
        "json",
      ]),
    );
    t.is(tp.status.availableReplicas, 2, "two hh-tp replicas behind one Service");
  },
);

test.serial(
  "the treasury lnd's wallet is funded from btcd's coinbases (faucet over the btcd Service)",
  async (t) => {
    const balance = JSON.parse(await platform.treasuryLncli(["walletbalance"])) as {
      confirmed_balance: string;
    };
    t.true(BigInt(balance.confirmed_balance) >= 12_000_000_000n, balance.confirmed_balance);
    t.true((await platform.rpc.getBlockCount()) >= 441);
  },
);

test.serial("the pool is ready: it holds a template from hh-tp through the Service address", async (t) => {
  const pool = (await podsOf()).find((p) => p.metadata.labels["app.kubernetes.io/component"] === "pool");
  t.truthy(pool);
  const env = pool!.spec.containers[0]!.env ?? [];
  t.is(
    env.find((e) => e.name === "HH_POOL_TP_HOST")?.value,
    `${platform.prefix}-template-provider.${ns}.svc`,
  );
  const res = await fetch(`http://${pool!.status.podIP}:9090/readyz`, { signal: AbortSignal.timeout(5000) });
  t.is(res.status, 200, await res.text());
  const metrics = await (await fetch(`http://${pool!.status.podIP}:9090/metrics`)).text();
  t.regex(metrics, /^hyperhash_/m);
});

test.serial("helm upgrade rolled the pool onto the treasury lnd's wallet", async (t) => {
  const history = JSON.parse(await platform.helm(["history", release, "-n", ns, "-o", "json"])) as Array<{
    revision: number;
    status: string;
  }>;
  t.is(history.at(-1)?.revision, 2);
  t.is(history.at(-1)?.status, "deployed");
  const pool = (await podsOf()).find((p) => p.metadata.labels["app.kubernetes.io/component"] === "pool");
  const address =
    pool!.spec.containers[0]!.env?.find((e) => e.name === "HH_POOL_TREASURY_ADDRESS")?.value ?? "";
  t.regex(address, /^bcrt1q/);
  t.not(address, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "no longer the profile's placeholder");
});

test.serial("helm uninstall leaves only the Secrets made outside the chart", async (t) => {
  await platform.helm(["uninstall", release, "-n", ns, "--wait", "--timeout", "180s"]);
  const left = async () =>
    (
      await cluster.kubectl([
        "-n",
        ns,
        "get",
        "pods,services,deployments,statefulsets,persistentvolumeclaims,configmaps,secrets,serviceaccounts",
        "-l",
        `app.kubernetes.io/instance=${release}`,
        "-o",
        "name",
      ])
    )
      .split("\n")
      .filter(Boolean);
  await waitFor(async () => (await left()).length === 0, {
    what: "the release's objects to go",
    timeoutMs: 180_000,
    intervalMs: 500,
  });
  const secrets = (await cluster.kubectl(["-n", ns, "get", "secrets", "-o", "name"]))
    .split("\n")
    .filter(Boolean)
    .sort();
  t.deepEqual(secrets, [
    `secret/${platform.prefix}-treasury-lnd`,
    "secret/hyperhash-pool-authority",
    "secret/hyperhash-tp-authority",
  ]);
});
