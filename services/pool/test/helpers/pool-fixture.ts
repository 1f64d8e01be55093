/** Starting a pool (and a fake or real TP) for tests, with everything stopped in teardown. */

import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difficultyToTarget, serializeHeader } from "@hyperhash/bitcoin";
import { createLogger } from "@hyperhash/telemetry";
import type { ExecutionContext } from "ava";
import type { MinerWork } from "../../src/miner/sv2-miner.ts";
import { type PoolConfig, type RunningPool, startPool } from "../../src/pool.ts";

/** Regtest addresses for tests. */
export const TREASURY = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
export const MINER_A = "bcrt1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3lgth6c";
export const MINER_B = "bcrt1qyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zs4w3j0";

/** Difficulty 2^-19: about 8,000 hashes a share, many shares a second on a CPU. */
export const TEST_DIFFICULTY = 2 ** -19;

/** Starts a pool in this process; stopped and its directory removed in teardown. */
export async function startTestPool(
  t: ExecutionContext,
  tp: { port: number; authorityPublicKey?: Uint8Array },
  overrides: Partial<PoolConfig> = {},
): Promise<{ pool: RunningPool; dbPath: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hh-pool-test-"));
  const dbPath = join(dir, "shares.db");
  const pool = await startPool({
    network: "regtest",
    authoritySecretKey: randomBytes(32),
    templateProvider: { host: "127.0.0.1", ...tp },
    treasuryAddress: TREASURY,
    dbPath,
    vardiff: { targetSharesPerMinute: 600, minDifficulty: 2 ** -24 },
    logger: createLogger({ service: "hh-pool", level: "warn" }),
    ...overrides,
  });
  t.teardown(async () => {
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { pool, dbPath, dir };
}

const sha256d = (b: Uint8Array) =>
  createHash("sha256").update(createHash("sha256").update(b).digest()).digest();

/** Hash value of a header as targets compare it. */
export function headerValue(
  w: MinerWork,
  nonce: number,
  ntime: number,
  version: number,
  extranonce: Uint8Array,
): bigint {
  const hash = sha256d(
    serializeHeader({
      version,
      prevHash: w.prevHash,
      merkleRoot: w.merkleRoot(extranonce),
      ntime,
      nBits: w.nBits,
      nonce,
    }),
  );
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(hash[i]!);
  return v;
}

/** Finds a nonce whose hash meets (`meets`) or misses the work's target. */
export function findNonce(
  w: MinerWork,
  ntime: number,
  extranonce: Uint8Array,
  meets: boolean,
  avoid = -1n,
): number {
  for (let nonce = 0; nonce < 50_000_000; nonce++) {
    const value = headerValue(w, nonce, ntime, w.version, extranonce);
    if (value <= w.target === meets && value > avoid) return nonce;
  }
  throw new Error("no nonce found");
}

/** Fetches JSON from the pool's HTTP API. */
export async function api<T>(pool: RunningPool, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${pool.httpPort}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** The value of one Prometheus sample from /metrics (0 when absent). */
export async function metric(pool: RunningPool, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${pool.opsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/** The block target tests use: one block per ~`sharesPerBlock` shares at {@link TEST_DIFFICULTY}. */
export const testBlockTarget = (sharesPerBlock: number) =>
  difficultyToTarget(TEST_DIFFICULTY) / BigInt(sharesPerBlock);
