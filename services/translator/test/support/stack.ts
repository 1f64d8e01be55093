/**
 * The real parts the translator's integration tests run against: btcd (regtest), hh-tp
 * and hh-pool, all on 127.0.0.1. Nothing here is faked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difficultyToTarget, scriptPubKeyToAddress } from "@hyperhash/bitcoin";
import { type Btcd, startBtcd, waitFor } from "@hyperhash/devnet";
import { type RunningPool, startPool } from "@hyperhash/pool";
import { startTemplateProvider, type TemplateProviderHandle } from "@hyperhash/template-provider";
import { z } from "zod";

/** hh-tp's log level in the stack: `error`, or HH_STACK_TP_LOG_LEVEL (refused when not a level). */
const stackTpLogLevel = () =>
  z.enum(["debug", "info", "warn", "error"]).default("error").parse(process.env.HH_STACK_TP_LOG_LEVEL);

/** Node id and credential the pool knows, as Core would issue them. */
export const NODE = { nodeId: "hn_nodeanodeanodean", credential: "cred-a-7f3e9c" } as const;
/** Blocks need this much work on regtest (a few seconds of a CPU miner). */
export const BLOCK_DIFFICULTY = 2 ** -12;

/** A fresh regtest P2WPKH address (payout destination). */
export function regtestAddress(seed: number): string {
  const program = new Uint8Array(20).fill(seed & 0xff);
  program[0] = 0x42;
  return scriptPubKeyToAddress(Uint8Array.of(0x00, 0x14, ...program), "regtest")!;
}

/** The running stack. */
export interface Stack {
  readonly dir: string;
  readonly btcd: Btcd;
  readonly tp: TemplateProviderHandle;
  readonly authoritySecretKey: Uint8Array;
  pool: RunningPool;
  /** Starts (another) pool on the TP, optionally on a given port and database. */
  startPool(options?: { port?: number; dbName?: string }): Promise<RunningPool>;
  stop(): Promise<void>;
}

/** Starts btcd, hh-tp and one hh-pool, and waits until the pool has a job. */
export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "hh-translator-it-"));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const btcd = await startBtcd({ dir });
    stops.push(() => btcd.stop());
    const tp = await startTemplateProvider({
      network: "regtest",
      rpc: btcd.rpc,
      rpcEndpoint: {
        url: `https://${btcd.rpcHost}`,
        user: btcd.rpcUser,
        password: btcd.rpcPassword,
        caPem: btcd.rpcCertPem,
      },
      authoritySecretKey: crypto.getRandomValues(new Uint8Array(32)),
      // HH_STACK_TP_LOG_LEVEL=info shows hh-tp's submit timings and tips when investigating.
      logLevel: stackTpLogLevel(),
    });
    stops.push(() => tp.stop());
    const authoritySecretKey = crypto.getRandomValues(new Uint8Array(32));
    const pools: RunningPool[] = [];
    const launch = async (options: { port?: number; dbName?: string } = {}) => {
      const pool = await startPool({
        network: "regtest",
        authoritySecretKey,
        templateProvider: { host: tp.host, port: tp.port, authorityPublicKey: tp.authorityPublicKey },
        treasuryAddress: regtestAddress(200),
        dbPath: join(dir, options.dbName ?? "pool.sqlite"),
        blockTarget: difficultyToTarget(BLOCK_DIFFICULTY),
        nodes: [NODE],
        ...(options.port ? { port: options.port } : {}),
      });
      pools.push(pool);
      stops.push(() => pool.stop());
      await waitFor(() => pool.ready, { what: "pool ready (template and tip)", timeoutMs: 60_000 });
      return pool;
    };
    const pool = await launch();
    return { dir, btcd, tp, authoritySecretKey, pool, startPool: launch, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const StatsSchema = z.object({
  shares: z.number(),
  window: z.object({
    miners: z.array(z.object({ destination: z.string(), nodeId: z.string().nullable(), count: z.number() })),
  }),
  allTime: z.object({
    miners: z.array(z.object({ destination: z.string(), nodeId: z.string().nullable(), count: z.number() })),
  }),
});
const BlocksSchema = z.object({
  blocks: z.array(
    z.object({
      blockHash: z.string(),
      height: z.number(),
      winner: z.object({ destination: z.string(), nodeId: z.string().nullable(), worker: z.string() }),
    }),
  ),
});

/** The pool's share-log totals (its HTTP API). */
export async function poolStats(pool: RunningPool) {
  const res = await fetch(`http://127.0.0.1:${pool.httpPort}/api/v1/stats`);
  return StatsSchema.parse(await res.json());
}

/** Blocks in the pool's share log, newest first. */
export async function poolBlocks(pool: RunningPool) {
  const res = await fetch(`http://127.0.0.1:${pool.httpPort}/api/v1/blocks`);
  return BlocksSchema.parse(await res.json()).blocks;
}
