/**
 * Convergence benchmark: N external-mode HyperNodes (no Lightning calls: the lnd and treasury
 * Secrets are absent, so the operator never dials lnd) on the real local control plane, with
 * the real Core (startCore on SQLite, real btcd). Prints time to converge (every node has its
 * children, nodeId and a Ready condition), reconciles/s, RSS, and API requests per
 * steady-state minute.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBtcd, waitFor } from "@hyperhash/devnet";
import { API_VERSION } from "../src/api/index.ts";
import { httpCoreClient } from "../src/core/core-client.ts";
import { startOperator } from "../src/operator.ts";
import { operatorKubeconfig, startTestCluster } from "../test/support/cluster.ts";
import { ADMIN_TOKEN, startTestCore } from "../test/support/core.ts";

const N = Number(process.env.BENCH_NODES ?? 100);
const STEADY_MS = Number(process.env.BENCH_STEADY_MS ?? 60_000);
// kube-controller-manager keeps writing Deployment status for a while after convergence.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 30_000);
const dir = mkdtempSync(join(tmpdir(), "hh-op-bench-"));
const btcd = await startBtcd({ dir, activateSegwit: false });
const cluster = await startTestCluster("bench");
const core = await startTestCore(btcd.rpc, { pollIntervalMs: 5_000 });
try {
  const operator = await startOperator({
    kubeconfigPath: await operatorKubeconfig(cluster),
    core: httpCoreClient({ baseUrl: core.url, adminToken: ADMIN_TOKEN }),
    treasurySecret: { namespace: "hyperhash", name: "absent" },
    controllers: ["hypernode"],
    pollMs: 30_000,
    opsHost: "127.0.0.1",
    opsPort: 0,
    logLevel: "error",
  });
  const t0 = performance.now();
  // Created 50 at a time, as a client applying manifests would.
  const create = (i: number) =>
    cluster.admin.create({
      apiVersion: API_VERSION,
      kind: "HyperNode",
      metadata: { name: `bench-${i}`, namespace: "hyperhash" },
      spec: {
        visibility: "public",
        network: "regtest",
        lightning: {
          mode: "external",
          external: {
            grpcEndpoint: "127.0.0.1:1",
            p2pAddress: "127.0.0.1:2",
            tlsCertSecretRef: { name: "absent", key: "tls.cert" },
            macaroonSecretRef: { name: "absent", key: "m" },
          },
        },
        translator: { enabled: i % 2 === 0 },
      },
    });
  for (let i = 0; i < N; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => create(i + k)));
  await waitFor(
    async () => {
      const { items } = await cluster.admin.list("HyperNode", "hyperhash");
      return (
        items.filter(
          (n) => (n.status as { nodeId?: string; conditions?: unknown[] } | undefined)?.conditions?.length,
        ).length === N
      );
    },
    { what: `${N} HyperNodes to converge`, timeoutMs: 600_000, intervalMs: 500 },
  );
  const convergeMs = performance.now() - t0;
  const metrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${operator.ops.port}/metrics`)).text();
    return [...text.matchAll(/^controller_runtime_reconcile_total\{[^}]*\} (\d+)/gm)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
  };
  const reconciles = await metrics();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const settledReconciles = await metrics();
  const requestsBefore = operator.requestCount();
  const s0 = performance.now();
  await new Promise((r) => setTimeout(r, STEADY_MS));
  const steadyMin = (performance.now() - s0) / 60_000;
  const steadyRequests = operator.requestCount() - requestsBefore;
  const steadyReconciles = (await metrics()) - settledReconciles;
  console.log(`HyperNodes: ${N} (external mode, half with translator)`);
  console.log(`time to converge: ${(convergeMs / 1000).toFixed(1)} s`);
  console.log(
    `reconciles during convergence: ${reconciles} (${(reconciles / (convergeMs / 1000)).toFixed(1)}/s)`,
  );
  console.log(
    `steady state: ${(steadyRequests / steadyMin).toFixed(0)} API requests/min, ${(steadyReconciles / steadyMin).toFixed(0)} reconciles/min`,
  );
  console.log(
    `operator process RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (bench + operator in one process)`,
  );
  await operator.stop();
} finally {
  await core.stop();
  await cluster.stop();
  await btcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
