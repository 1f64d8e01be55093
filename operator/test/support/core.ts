/**
 * The real hyperhash-core for operator tests: `startCore` on a temp SQLite file, regtest, fixed
 * tokens, a clock the test may shift (to age telemetry), and a tiny real HTTP pool outbox
 * (the pool-outbox contract of services/core's README) through which tests feed it windows.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BitcoinRpc, scriptPubKeyToAddress, subsidy } from "@hyperhash/bitcoin";
import { type CoreConfigInput, type RunningCore, startCore } from "@hyperhash/core";
import { createLogger } from "@hyperhash/telemetry";

export const ADMIN_TOKEN = "operator-test-admin-token-0123";
export const POOL_TOKEN = "operator-test-pool-token-01234";
export const TREASURY_TOKEN = "operator-test-treasury-token-0";

/**
 * A real regtest address (P2WPKH) for a test's miner name: Core's outbox consumer refuses
 * destinations that are not payout destinations of its network. Same name, same address.
 */
export function regtestAddress(name: string): string {
  const hash = createHash("sha256").update(name).digest().subarray(0, 20);
  return scriptPubKeyToAddress(Uint8Array.from([0x00, 0x14, ...hash]), "regtest") as string;
}

/** A block-found event of the pool outbox (JSON, sats as decimal strings). */
export interface BlockFound {
  blockHash: string;
  height: number;
  winner: string;
  shares: Array<{ destination: string; nodeId: string | null; work: string; count: number }>;
}

/** A running Core with its outbox and helpers. */
export interface TestCore {
  core: RunningCore;
  url: string;
  /** Milliseconds added to Core's clock (negative: Core lives in the past). */
  clockOffsetMs: number;
  /** Publishes a block-found event (S = subsidy(height, regtest), no fees) in the outbox. */
  publish(event: BlockFound): void;
  /** Calls Core's API with a token (admin by default); throws on a non-2xx answer. */
  call<T>(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<T>;
  /** Like call, but returns the status and body of any answer. */
  raw(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** Starts Core (and its outbox) against `rpc`. */
export async function startTestCore(
  rpc: BitcoinRpc,
  overrides: Partial<CoreConfigInput> = {},
): Promise<TestCore> {
  const dir = mkdtempSync(join(tmpdir(), "hh-op-core-"));
  const events: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" || url.pathname !== "/api/v1/outbox") {
      res.writeHead(404).end();
      return;
    }
    const after = Number(url.searchParams.get("after") ?? "0");
    const limit = Number(url.searchParams.get("limit") ?? "100");
    const page = events.filter((e) => (e.seq as number) > after).slice(0, limit);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ events: page }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const outboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state = { clockOffsetMs: 0 };
  let core: RunningCore;
  try {
    core = await startCore(
      {
        network: "regtest",
        dbPath: join(dir, "core.sqlite"),
        adminToken: ADMIN_TOKEN,
        poolToken: POOL_TOKEN,
        treasuryToken: TREASURY_TOKEN,
        poolUrl: outboxUrl,
        payoutConfirmations: 1,
        pollIntervalMs: 200,
        ...overrides,
      },
      {
        rpc,
        now: () => new Date(Date.now() + state.clockOffsetMs),
        logger: createLogger({ service: "core", level: "warn" }),
      },
    );
  } catch (err) {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `http://127.0.0.1:${core.port}`;
  const raw: TestCore["raw"] = async (method, path, options = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`,
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const testCore: TestCore = {
    core,
    url,
    get clockOffsetMs() {
      return state.clockOffsetMs;
    },
    set clockOffsetMs(ms: number) {
      state.clockOffsetMs = ms;
    },
    publish(event) {
      const S = subsidy(event.height, "regtest").toString();
      events.push({
        seq: events.length + 1,
        type: "block-found",
        blockHash: event.blockHash,
        height: event.height,
        subsidySats: S,
        feesSats: "0",
        coinbaseValueSats: S,
        winner: { destination: event.winner, nodeId: null, worker: "rig1" },
        shares: event.shares,
        previousBlockHash: null,
        foundAt: new Date().toISOString(),
      });
    },
    raw,
    async call<T>(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
      const answer = await raw(method, path, options);
      if (answer.status < 200 || answer.status >= 300)
        throw new Error(`Core ${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as T;
    },
    async stop() {
      await core.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return testCore;
}
