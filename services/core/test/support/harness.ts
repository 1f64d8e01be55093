/** Starts Core for a test with fixed tokens, and calls its API. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BitcoinRpc } from "@hyperhash/bitcoin";
import { createLogger } from "@hyperhash/telemetry";
import { type CoreConfigInput, type RunningCore, startCore } from "../../src/index.ts";

/** A parsed JSON answer; tests check its shape with assertions. */
// biome-ignore lint/suspicious/noExplicitAny: API answers are checked field by field by the tests
export type Json = any;

export const ADMIN = "admin-token-0123456789abcdef";
export const POOL = "pool-token-0123456789abcdef";
export const TREASURY = "treasury-token-0123456789abcdef";

/** A chain the test controls: block hashes by height. A fake, for unit tests only. */
export function fakeChain(): BitcoinRpc & { blocks: Map<number, string> } {
  const blocks = new Map<number, string>();
  const tip = () => Math.max(0, ...blocks.keys());
  const unused = () => {
    throw new Error("not used by Core");
  };
  return {
    blocks,
    dialect: "btcd",
    getBlockCount: async () => tip(),
    getBlockHash: async (h) => {
      const hash = blocks.get(h);
      if (!hash) throw new Error(`no block at ${h}`);
      return hash;
    },
    getBlockchainInfo: unused,
    getBestBlockHash: unused,
    getBlock: unused,
    getBlockTemplate: unused,
    submitBlock: unused,
    sendRawTransaction: unused,
    getRawTransaction: unused,
    generate: unused,
    isSegwitActive: unused,
  };
}

export interface TestCore {
  core: RunningCore;
  base: string;
  dir: string;
  logs: string[];
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string },
  ): Promise<{
    status: number;
    body: Json;
  }>;
  stop(): Promise<void>;
}

/** Starts Core on 127.0.0.1 with a SQLite file in a fresh directory (or `dir`, to restart). */
export async function startTestCore(
  rpc: BitcoinRpc,
  overrides: Partial<CoreConfigInput> = {},
  dir = mkdtempSync(join(tmpdir(), "hh-core-test-")),
): Promise<TestCore> {
  const logs: string[] = [];
  const core = await startCore(
    {
      network: "regtest",
      dbPath: join(dir, "core.sqlite"),
      adminToken: ADMIN,
      poolToken: POOL,
      treasuryToken: TREASURY,
      pollIntervalMs: 60_000, // tests drive passes with tick()
      ...overrides,
    },
    { rpc, logger: createLogger({ service: "core-test", level: "debug", write: (l) => logs.push(l) }) },
  );
  const base = `http://127.0.0.1:${core.port}`;
  return {
    core,
    base,
    dir,
    logs,
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = {};
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: async () => {
      await core.stop();
    },
  };
}

/** Removes a test directory. */
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** 64 hex characters from a small number, for fabricated block hashes. */
export const hashOf = (n: number) => n.toString(16).padStart(64, "0");
