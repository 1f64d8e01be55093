#!/usr/bin/env node
// `npm start`: the local regtest network. `npm start -- --smoke` checks every part and exits.
import { parseArgs } from "node:util";
import { listWindowsResponse } from "@hyperhash/contracts";
import * as k8s from "@kubernetes/client-node";
import { binaryPath } from "./binaries.ts";
import { type Devnet, peakRssBytes, startDevnet } from "./devnet.ts";
import { type HyperhashNetwork, startHyperhashNetwork } from "./services.ts";
import { waitFor } from "./wait.ts";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    nodes: { type: "string", default: "1" },
    "keep-dir": { type: "boolean", default: false },
    "no-control-plane": { type: "boolean", default: false },
  },
  allowPositionals: true,
});

const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) {
  console.error("--nodes must be an integer from 1 to 8");
  process.exit(2);
}

const started = Date.now();
const say = (line: string) => console.log(`[devnet +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

/** Checks that every part answers; returns one line per part. */
async function smokeCheck(devnet: Devnet): Promise<string[]> {
  const lines: string[] = [];
  const info = await devnet.btcd.rpc.getBlockchainInfo();
  if (!(await devnet.btcd.rpc.isSegwitActive())) throw new Error("btcd: segwit is not active");
  const template = await devnet.btcd.rpc.getBlockTemplate();
  lines.push(
    `btcd      ok  chain=${info.chain} height=${info.blocks} segwit=active template.height=${template.height}`,
  );
  for (const lnd of [devnet.treasury, ...devnet.nodes]) {
    const i = await lnd.wallet.getInfo();
    if (!i.syncedToChain) throw new Error(`lnd ${lnd.alias}: not synced to chain`);
    const channels = await lnd.wallet.listChannels();
    const active = channels.filter((c) => c.active).length;
    if (lnd !== devnet.treasury && active < 1)
      throw new Error(`lnd ${lnd.alias}: no active treasury channel`);
    lines.push(`lnd       ok  ${lnd.alias.padEnd(9)} ${i.version.split(" ")[0]} channels=${active} active`);
  }
  if (devnet.controlPlane) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(devnet.controlPlane.kubeconfigPath);
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    const namespaces = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    lines.push(`k8s       ok  ${version.gitVersion} namespaces=${namespaces.items.length}`);
  }
  return lines;
}

function describe(devnet: Devnet): string[] {
  const b = devnet.btcd;
  const lines = [
    `work dir        ${devnet.dir}`,
    `btcd RPC        https://${b.rpcHost} (TLS cert ${b.rpcCertPath}; credentials in ${b.btcctlConfigPath})`,
    `  try           ${binaryPath("btcctl")} -C ${b.btcctlConfigPath} getblockchaininfo`,
  ];
  for (const lnd of [devnet.treasury, ...devnet.nodes]) {
    lines.push(
      `lnd ${lnd.alias.padEnd(11)} gRPC ${lnd.grpcSocket} REST ${lnd.restSocket} p2p ${lnd.p2pSocket} pubkey ${lnd.pubkey}`,
    );
    lines.push(
      `  try           ${binaryPath("lncli")} --network=regtest --rpcserver=${lnd.grpcSocket} --tlscertpath=${lnd.tlsCertPath} --macaroonpath=${lnd.adminMacaroonPath} listchannels`,
    );
  }
  if (devnet.controlPlane) {
    lines.push(`kube-apiserver  ${devnet.controlPlane.server}`);
    lines.push(`  kubeconfig    export KUBECONFIG=${devnet.controlPlane.kubeconfigPath}`);
  }
  return lines;
}

function memoryLine(devnet: Devnet): string {
  // The services run in this process: its own peak RSS (VmHWM) counts beside the children's.
  const self = peakRssBytes(process.pid) ?? process.memoryUsage().rss;
  let total = self;
  const parts = [
    `node (services, miners) ${(self / 2 ** 20).toFixed(0)}`,
    ...devnet.processes().map((p) => {
      const bytes = peakRssBytes(p.pid) ?? 0;
      total += bytes;
      return `${p.name} ${(bytes / 2 ** 20).toFixed(0)}`;
    }),
  ];
  return `peak RSS (MiB)  total ${(total / 2 ** 20).toFixed(0)}: ${parts.join(", ")}`;
}

/** Smoke mode: a block found through the pool must reach Settled at Core within the deadline. */
const SMOKE_SETTLE_TIMEOUT_MS = 300_000;

async function waitForSettledWindow(network: HyperhashNetwork): Promise<number> {
  const since = Date.now();
  await waitFor(
    async () => {
      const blocks = await network.poolBlocks();
      const { windows } = listWindowsResponse.parse(
        await network.admin("GET", "/api/v1/windows?phase=Settled&limit=1000"),
      );
      return windows.some((w) => blocks.some((b) => b.blockHash === w.blockHash));
    },
    {
      what: "a block found through hh-pool to be a Settled window at Core",
      timeoutMs: SMOKE_SETTLE_TIMEOUT_MS,
      intervalMs: 1000,
      watch: network.devnet.processes(),
    },
  );
  return Date.now() - since;
}

function summaryLines(s: Awaited<ReturnType<HyperhashNetwork["summary"]>>): string[] {
  const phases = Object.entries(s.windowsByPhase)
    .map(([phase, n]) => `${phase} ${n}`)
    .join(", ");
  return [
    `blocks found    ${s.blocksFound} (through hh-pool)`,
    `windows         ${phases || "none yet"}`,
    `sats paid       ${s.satsPaid} (Core's ledger: nodes over Lightning, miners on chain)`,
  ];
}

async function main(): Promise<void> {
  say(`starting the Hyper Hash devnet (${nodes} node${nodes > 1 ? "s" : ""})`);
  const devnet = await startDevnet({
    nodes,
    // Room for several windows' node-network part (0.5 % of the subsidy) on each treasury channel.
    channelSats: 16_000_000n,
    controlPlane: !values["no-control-plane"],
    keepDir: values["keep-dir"],
    log: say,
  });
  let stopping = false;
  let services: HyperhashNetwork | undefined;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping every process...");
    await services?.stop();
    await devnet.stop();
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  try {
    services = await startHyperhashNetwork(devnet, { say });
  } catch (err) {
    console.error(`starting the services failed: ${(err as Error).message}`);
    await shutdown(1);
    return;
  }
  const readyMs = Date.now() - started;
  try {
    let settledLine: string[] = [];
    if (values.smoke) {
      say("smoke: waiting for a block found through hh-pool to settle at Core...");
      const ms = await waitForSettledWindow(services);
      settledLine = [`first settled   ${(ms / 1000).toFixed(1)}s after ready`];
    }
    const checks = [...(await smokeCheck(devnet)), ...(await services.check())];
    console.log(
      [
        "",
        "Hyper Hash devnet is up",
        ...describe(devnet),
        ...services.describe(),
        "",
        ...checks,
        ...summaryLines(await services.summary()),
        ...settledLine,
        memoryLine(devnet),
      ].join("\n"),
    );
    console.log(`time to ready   ${(readyMs / 1000).toFixed(1)}s\n`);
  } catch (err) {
    console.error(`smoke check failed: ${(err as Error).message}`);
    await shutdown(1);
    return;
  }
  if (values.smoke) {
    await shutdown(0);
    return;
  }
  say("running; press Ctrl-C to stop and clean up");
  // A crashed child ends the session loudly, with its last log lines.
  for (const p of devnet.processes()) {
    void p.exited.then(() => {
      if (stopping) return;
      try {
        p.assertRunning();
      } catch (err) {
        console.error((err as Error).message);
        void shutdown(1);
      }
    });
  }
}

main().catch((err) => {
  console.error(`devnet failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
