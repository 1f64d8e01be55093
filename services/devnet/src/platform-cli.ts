#!/usr/bin/env node
// `npm start`: the platform on this machine's own Kubernetes. Builds (or reuses) the images,
// starts the control plane and a real node, installs the chart (regtest, btcd), applies two
// HyperNodes — `home` managed (the operator runs its lnd) and `edge` external (a node owner's lnd
// beside the chart) — then mines from outside the cluster through home's translator and directly
// to the pool until a window settles over Lightning.
//   platform-cli.ts [--smoke] [--keep-dir]
// --smoke checks every part, prints the figures and exits 0; otherwise it runs until Ctrl-C.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startSv2Miner } from "@hyperhash/pool";
import { encodeAuthorityPublicKey } from "@hyperhash/sv2";
import { startSv1Miner } from "@hyperhash/translator";
import { binaryPath } from "./binaries.ts";
import { podMemoryBytes, startCluster } from "./cluster.ts";
import { peakRssBytes } from "./devnet.ts";
import {
  deployOwnerLnd,
  externalHyperNode,
  installPlatform,
  managedHyperNode,
  waitForHyperNodeReady,
} from "./platform.ts";
import { platformPrometheus } from "./platform-prometheus.ts";
import { waitFor } from "./wait.ts";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    "keep-dir": { type: "boolean", default: false },
  },
  allowPositionals: true,
});

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[platform +${elapsed()}] ${line}`);
const dir = mkdtempSync(join(tmpdir(), "hh-platform-"));

const { buildImages } = await import("../../../images/build.ts");
say("building images (unchanged ones are reused)...");
const built = await buildImages({ registry: "ghcr.io", log: (line: string) => say(line) });
say("starting the control plane and the node (containerd, kubelet, kube-proxy, CoreDNS)...");
const cluster = await startCluster({ dir, images: built.map((b) => b.archivePath) });
say(`node ${cluster.nodeName} Ready at ${cluster.nodeIp}`);

const miners: Array<{ stop(): Promise<void> }> = [];
const ns = "hyperhash";
say("starting Prometheus (pods of the platform's namespace, the project's alert rules)...");
const prometheus = await platformPrometheus({
  dir: join(dir, "prometheus"),
  kubeconfigPath: cluster.kubeconfigPath,
  namespace: ns,
});
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping miners, Prometheus, the node and the control plane; restoring the host...");
    for (const m of miners) await m.stop().catch(() => {});
    await prometheus.stop().catch(() => {});
    await cluster.stop();
    if (!values["keep-dir"]) rmSync(dir, { recursive: true, force: true });
    say("stopped");
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  const platform = await installPlatform({
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: ns,
    release: "hh",
    workDir: join(dir, "helm"),
    log: say,
  });
  say("core plane Ready");
  const owner = await deployOwnerLnd({ kubeconfigPath: cluster.kubeconfigPath, platform }, "edge-lnd");
  say(`node owner's lnd ${owner.pubkey}`);
  await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(managedHyperNode(ns, "home")));
  await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(externalHyperNode(ns, "edge", owner)));
  say("HyperNodes home (managed lnd) and edge (external lnd) applied");
  const waitOpts = { kubeconfigPath: cluster.kubeconfigPath, platform, timeoutMs: 420_000 };
  const [home, edge] = await Promise.all([
    waitForHyperNodeReady(waitOpts, "home").then((s) => {
      say(`HyperNode home Ready (node id ${s.nodeId}) ${elapsed()} after start`);
      return s;
    }),
    waitForHyperNodeReady(waitOpts, "edge").then((s) => {
      say(`HyperNode edge Ready (node id ${s.nodeId}) ${elapsed()} after start`);
      return s;
    }),
  ]);

  const translator = await platform.serviceAddress("home-translator");
  const pool = await platform.serviceAddress(`${platform.prefix}-pool`);
  const minerAddress = (JSON.parse(await owner.lncli(["newaddress", "p2wkh"])) as { address: string })
    .address;
  const directAddress = (
    JSON.parse(await platform.treasuryLncli(["newaddress", "p2wkh"])) as { address: string }
  ).address;
  const sv1 = await startSv1Miner({
    host: translator.host,
    port: translator.ports[0]!.port,
    user: `${minerAddress}.rig1`,
  });
  miners.push(sv1);
  const sv2 = await startSv2Miner({
    host: pool.host,
    port: pool.ports.find((p) => p.name === "sv2")?.port ?? pool.ports[0]!.port,
    authorityPublicKey: platform.poolAuthorityPublicKey,
    userIdentity: `${directAddress}.direct`,
    channel: "extended",
  });
  miners.push(sv2);
  say("miners: SV1 through home's translator, SV2 directly to the pool");

  const kubectlGet = () =>
    execFileSync(
      binaryPath("kubectl"),
      [
        `--kubeconfig=${cluster.kubeconfigPath}`,
        "get",
        "-n",
        ns,
        "hypernodes,templateproviders,lightningchannels,payoutwindows",
      ],
      { encoding: "utf8" },
    );
  const start = await platform.rpc.getBlockCount();
  await waitFor(async () => (await platform.rpc.getBlockCount()) > start, {
    what: "a block found through the pool",
    timeoutMs: 300_000,
    intervalMs: 500,
  });
  say("block found through the pool");
  const settled = await waitFor(
    async () => {
      await platform.rpc.generate(1);
      const items = JSON.parse(await cluster.kubectl(["-n", ns, "get", "payoutwindows", "-o", "json"]))
        .items as Array<{
        status?: { phase?: string };
      }>;
      return items.some((w) => w.status?.phase === "Settled") || undefined;
    },
    { what: "a PayoutWindow Settled", timeoutMs: 300_000, intervalMs: 3000 },
  );
  if (settled) say(`a window settled over Lightning, ${elapsed()} after start`);
  const core = await platform.serviceAddress(`${platform.prefix}-core`);

  console.log(
    `\n$ kubectl get -n ${ns} hypernodes,templateproviders,lightningchannels,payoutwindows\n${kubectlGet()}`,
  );
  console.log(`kubeconfig      ${cluster.kubeconfigPath}`);
  console.log(
    `kubectl         ${binaryPath("kubectl")} --kubeconfig ${cluster.kubeconfigPath} -n ${ns} get pods`,
  );
  console.log(
    `core API        http://${core.host}:${core.ports[0]!.port}  (tokens: secret ${platform.prefix}-tokens)`,
  );
  console.log(
    `pool (SV2)      ${pool.host}:${pool.ports[0]!.port}  authority ${encodeAuthorityPublicKey(platform.poolAuthorityPublicKey)}`,
  );
  console.log(`home node id    ${home.nodeId} (lnd ${home.lightningPubkey}); edge ${edge.nodeId}`);
  console.log(
    `translator(SV1) ${translator.host}:${translator.ports[0]!.port}  user <payout address>[.worker]`,
  );
  console.log(
    `prometheus      ${prometheus.url}  (targets: ${prometheus.url}/targets, alerts: ${prometheus.url}/alerts)`,
  );
  const mib = (b: number | undefined) => `${((b ?? 0) / 2 ** 20).toFixed(0)} MiB`;
  const rss = cluster.processes.map((p) => `${p.name} ${mib(peakRssBytes(p.pid))}`).join(", ");
  console.log(`peak RSS        ${rss}; this process ${mib(peakRssBytes(process.pid))}`);
  console.log(`pods (cgroup)   ${mib(podMemoryBytes())} in use by every pod on the node`);
  if (values.smoke) {
    const jobs = await prometheus.waitForJobs();
    say(`prometheus scrapes ${jobs.join(", ")}`);
    say("smoke: every part answered");
    await stop(0);
  }
  say("running; Ctrl-C stops everything and restores the host");
  setInterval(() => {}, 1 << 30);
} catch (err) {
  console.error(`[platform] failed: ${(err as Error).message}`);
  await stop(1);
}
