import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightningChannelState } from "@hyperhash/lightning";
import { type Btcd, startBtcd } from "./btcd.ts";
import { fundWallet, openActiveChannel } from "./channels.ts";
import { type ControlPlane, startControlPlane } from "./control-plane.ts";
import { type Lnd, startLnd } from "./lnd.ts";
import type { ManagedProcess } from "./process.ts";

/** The whole local regtest network. */
export interface Devnet {
  readonly dir: string;
  readonly btcd: Btcd;
  /** The Core Treasury's lnd: it funds every treasury channel. */
  readonly treasury: Lnd;
  /** One lnd per HyperNode. */
  readonly nodes: Lnd[];
  /** Treasury → node channels, one per node (the node's inbound capacity). */
  readonly treasuryChannels: LightningChannelState[];
  readonly controlPlane?: ControlPlane;
  /** Every child process, for status and memory reports. */
  processes(): ManagedProcess[];
  /** Stops every process by pid; removes the directory unless `keepDir` was set. */
  stop(): Promise<void>;
}

/** Options for startDevnet. */
export interface DevnetOptions {
  /** Working directory; a fresh temp dir by default. */
  dir?: string;
  /** Number of node lnds besides the treasury (default 1). */
  nodes?: number;
  /** Start etcd + kube-apiserver + kube-controller-manager (default true). */
  controlPlane?: boolean;
  /** Treasury channel capacity per node (default 2,000,000 sats). */
  channelSats?: bigint;
  keepDir?: boolean;
  /** Progress lines, e.g. console.log. */
  log?: (line: string) => void;
}

/**
 * Brings up btcd (segwit active), a treasury lnd, `nodes` node lnds and, optionally, the local
 * control plane; funds the treasury from mined coinbase and opens one treasury-funded channel to
 * every node. On any failure everything already started is stopped before the error propagates.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "hyperhash-devnet-"));
  const log = options.log ?? (() => {});
  const stoppers: Array<() => Promise<void>> = [];
  const all: ManagedProcess[] = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stoppers.reverse()) await stop().catch((e) => errors.push(e));
    if (!options.keepDir && !options.dir) rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  };
  try {
    log("starting btcd (regtest) and mining past segwit activation...");
    const btcd = await startBtcd({ dir });
    stoppers.push(() => btcd.stop());
    all.push(btcd.process);

    const nodeCount = options.nodes ?? 1;
    log(
      `starting lnd: treasury + ${nodeCount} node(s)${options.controlPlane === false ? "" : ", and the control plane"}...`,
    );
    const controlPlanePromise =
      options.controlPlane === false ? Promise.resolve(undefined) : startControlPlane({ dir });
    const lndPromises = [
      startLnd({ dir, alias: "treasury", btcd }),
      ...Array.from({ length: nodeCount }, (_, i) => startLnd({ dir, alias: `node${i + 1}`, btcd })),
    ];
    const settled = await Promise.allSettled([controlPlanePromise, ...lndPromises]);
    for (const s of settled) {
      if (s.status !== "fulfilled" || !s.value) continue;
      const v = s.value;
      stoppers.push(() => v.stop());
      if ("processes" in v) all.push(...v.processes);
      else all.push(v.process);
    }
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const controlPlane = (settled[0] as PromiseFulfilledResult<ControlPlane | undefined>).value;
    const [treasury, ...nodes] = settled.slice(1).map((s) => (s as PromiseFulfilledResult<Lnd>).value) as [
      Lnd,
      ...Lnd[],
    ];

    const capacity = options.channelSats ?? 2_000_000n;
    log("funding the treasury wallet from mined coinbase...");
    await fundWallet(btcd, treasury, capacity * BigInt(nodes.length) + 1_000_000n);
    const treasuryChannels: LightningChannelState[] = [];
    for (const node of nodes) {
      log(`opening treasury → ${node.alias} channel (${capacity} sats)...`);
      treasuryChannels.push(await openActiveChannel(btcd, treasury, node, capacity));
    }
    return {
      dir,
      btcd,
      treasury,
      nodes,
      treasuryChannels,
      controlPlane,
      processes: () => [...all],
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}

/** Peak resident memory of a pid in bytes (VmHWM), or undefined when the pid is gone. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
