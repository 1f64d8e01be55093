// The devnet's node runs pods for real: Deployments roll out on containerd, Services answer
// through kube-proxy from the host and by cluster DNS name from pods, a StatefulSet's claim is
// provisioned and keeps its data across a pod deletion, logs and exec work, memory limits are
// enforced. Runs on the suite's shared cluster (scripts/run-tests.mjs starts it).
import { execFileSync } from "node:child_process";
import { get } from "node:http";
import { NODE_NETWORK, type SharedCluster, sharedCluster, waitFor } from "@hyperhash/devnet";
import test from "ava";

let cluster: SharedCluster;
const ns = `node-test-${process.pid}`;
const nodeImage = () => {
  const ref = cluster.images.find((r) => r.startsWith("ghcr.io/hyperhash/node:"));
  if (!ref) throw new Error(`no node base image among ${cluster.images.join(", ")}`);
  return ref;
};

// A Node 20 HTTP server answering with its pod name: the base image alone, no bundle.
const server = `require("http").createServer((q, s) => s.end(process.env.POD_NAME)).listen(8080)`;

/** One GET on a new connection (kube-proxy balances per connection; fetch would reuse one). */
function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

test.before(async () => {
  cluster = sharedCluster();
  await cluster.kubectl(["create", "namespace", ns]);
});

test.after.always(async () => {
  await cluster?.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
});

test.serial("the node is Ready, runs kubelet v1.34.4 and owns its addresses", async (t) => {
  const node = JSON.parse(await cluster.kubectl(["get", "node", cluster.nodeName, "-o", "json"]));
  t.is(node.status.nodeInfo.kubeletVersion, "v1.34.4");
  t.is(node.status.conditions.find((c: { type: string }) => c.type === "Ready").status, "True");
  t.deepEqual(
    node.status.addresses
      .filter((a: { type: string }) => a.type === "InternalIP")
      .map((a: { address: string }) => a.address),
    [NODE_NETWORK.nodeIp],
  );
  t.falsy((node.spec.taints ?? []).find((x: { key: string }) => x.key.includes("not-ready")));
  // Pods may not send anything off the pod subnet: the forward chain drops it.
  const rules = execFileSync("iptables", ["-S", NODE_NETWORK.forwardChain], { encoding: "utf8" });
  t.true(rules.includes(`-A ${NODE_NETWORK.forwardChain} -s ${NODE_NETWORK.podCidr} -j DROP`));
});

test.serial(
  "a 2-replica Deployment rolls out; its Service answers from the host and by DNS name from a pod",
  async (t) => {
    const manifest = {
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "echo", namespace: ns },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: "echo" } },
            template: {
              metadata: { labels: { app: "echo" } },
              spec: {
                containers: [
                  {
                    name: "echo",
                    image: nodeImage(),
                    imagePullPolicy: "Never",
                    command: ["node", "-e", server],
                    env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                    ports: [{ containerPort: 8080 }],
                    readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
                    securityContext: {
                      runAsUser: 10001,
                      runAsNonRoot: true,
                      allowPrivilegeEscalation: false,
                    },
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "echo", namespace: ns },
          spec: { selector: { app: "echo" }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      ],
    };
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
    await cluster.kubectl(["-n", ns, "rollout", "status", "deployment/echo", "--timeout=120s"]);
    const clusterIp = (
      await cluster.kubectl(["-n", ns, "get", "svc", "echo", "-o", "jsonpath={.spec.clusterIP}"])
    ).trim();
    t.true(clusterIp.startsWith("10.0."), clusterIp);

    // From the host, through kube-proxy: both replicas answer behind the one address.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add(await getOnce(`http://${clusterIp}/`));
        return seen.size === 2;
      },
      { what: "both replicas to answer behind the ClusterIP", timeoutMs: 60_000, intervalMs: 50 },
    );
    t.is(seen.size, 2);

    // From a pod, by the Service's DNS name (CoreDNS) — and logs and exec work.
    const pod = (
      await cluster.kubectl([
        "-n",
        ns,
        "get",
        "pods",
        "-l",
        "app=echo",
        "-o",
        "jsonpath={.items[0].metadata.name}",
      ])
    ).trim();
    const answer = await cluster.kubectl([
      "-n",
      ns,
      "exec",
      pod,
      "--",
      "node",
      "-e",
      `fetch("http://echo.${ns}.svc.cluster.local/").then(r => r.text()).then(console.log)`,
    ]);
    t.true(answer.trim().startsWith("echo-"), answer);
    t.is(await cluster.kubectl(["-n", ns, "logs", pod]), "");
  },
);

test.serial("a StatefulSet's claim is provisioned and keeps its data across a pod deletion", async (t) => {
  const sts = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "store", namespace: ns },
    spec: {
      serviceName: "store",
      replicas: 1,
      selector: { matchLabels: { app: "store" } },
      template: {
        metadata: { labels: { app: "store" } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "store",
              image: nodeImage(),
              imagePullPolicy: "Never",
              command: [
                "node",
                "-e",
                `const f = require("fs"); const p = "/data/boots"; const n = f.existsSync(p) ? Number(f.readFileSync(p, "utf8")) + 1 : 1; f.writeFileSync(p, String(n)); console.log("boot", n); setInterval(() => {}, 1e9)`,
              ],
              securityContext: { runAsUser: 10001 },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "16Mi" } } },
        },
      ],
    },
  };
  await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(sts));
  await cluster.kubectl(["-n", ns, "rollout", "status", "statefulset/store", "--timeout=120s"]);
  const logsOf = () => cluster.kubectl(["-n", ns, "logs", "store-0"]);
  await waitFor(async () => (await logsOf()).includes("boot 1"), {
    what: "the first boot",
    timeoutMs: 30_000,
  });
  const uid = (
    await cluster.kubectl(["-n", ns, "get", "pod", "store-0", "-o", "jsonpath={.metadata.uid}"])
  ).trim();
  await cluster.kubectl(["-n", ns, "delete", "pod", "store-0", "--wait=true"]);
  await waitFor(
    async () => {
      const now = (
        await cluster.kubectl(["-n", ns, "get", "pod", "store-0", "-o", "jsonpath={.metadata.uid}"])
      ).trim();
      return now && now !== uid && (await logsOf()).includes("boot 2");
    },
    { what: "the recreated pod to see the first boot's file", timeoutMs: 90_000, intervalMs: 250 },
  );
  const pvc = JSON.parse(await cluster.kubectl(["-n", ns, "get", "pvc", "data-store-0", "-o", "json"]));
  t.is(pvc.status.phase, "Bound");
  t.is(pvc.spec.storageClassName, "hh-local");
});

test.serial("a memory limit is enforced (OOMKilled)", async (t) => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "hog", namespace: ns },
    spec: {
      restartPolicy: "Never",
      containers: [
        {
          name: "hog",
          image: nodeImage(),
          imagePullPolicy: "Never",
          command: ["node", "-e", "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"],
          resources: { limits: { memory: "64Mi" } },
        },
      ],
    },
  };
  await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  const terminated = await waitFor(
    async () => {
      const p = JSON.parse(await cluster.kubectl(["-n", ns, "get", "pod", "hog", "-o", "json"]));
      return p.status.containerStatuses?.[0]?.state?.terminated as
        | { reason: string; exitCode: number }
        | undefined;
    },
    { what: "the memory hog to be terminated", timeoutMs: 90_000, intervalMs: 250 },
  );
  // The kernel's OOM killer ends it with SIGKILL (137). containerd 1.6 on cgroup v1 reports the
  // reason OOMKilled, but under load it can miss the OOM event and say Error: the exit holds.
  t.is(terminated.exitCode, 137);
  t.true(["OOMKilled", "Error"].includes(terminated.reason), terminated.reason);
});
