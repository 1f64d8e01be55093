/**
 * A tiny real HTTP server speaking the pool outbox contract
 * (`GET /api/v1/outbox?after=<seq>&limit=<n>`), fed by the test.
 */

import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { scriptPubKeyToAddress, subsidy } from "@hyperhash/bitcoin";

/**
 * A real regtest address (P2WPKH) for a test's miner name, so outbox events pass the
 * contract's destination check: the same name always gives the same address.
 */
export function addr(name: string): string {
  if (/^(bcrt1|BCRT1)/.test(name) || /^0[23][0-9a-fA-F]{64}$/.test(name)) return name;
  const hash = createHash("sha256").update(name).digest().subarray(0, 20);
  return scriptPubKeyToAddress(Uint8Array.from([0x00, 0x14, ...hash]), "regtest") as string;
}

/** An outbox event as the pool serves it (JSON). */
export interface OutboxEventJson {
  seq: number;
  type: string;
  [key: string]: unknown;
}

export interface PoolOutbox {
  url: string;
  events: OutboxEventJson[];
  /** GET requests served so far. */
  requests: number;
  /** Serve this HTTP status instead of the events while set. */
  failWith?: number;
  close(): Promise<void>;
}

export async function startPoolOutbox(): Promise<PoolOutbox> {
  const state = { events: [] as OutboxEventJson[], requests: 0, failWith: undefined as number | undefined };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" || url.pathname !== "/api/v1/outbox") {
      res.writeHead(404).end();
      return;
    }
    outbox.requests++;
    if (outbox.failWith) {
      res.writeHead(outbox.failWith).end();
      return;
    }
    const after = Number(url.searchParams.get("after") ?? "0");
    const limit = Number(url.searchParams.get("limit") ?? "100");
    const events = outbox.events.filter((e) => e.seq > after).slice(0, limit);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ events }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const outbox: PoolOutbox = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return outbox;
}

/** Builds a block-found event with S = subsidy(height, regtest) and the given fees and shares. */
export function blockFound(options: {
  seq: number;
  blockHash: string;
  height: number;
  feesSats?: bigint;
  subsidySats?: bigint;
  winner: string;
  winnerNodeId?: string | null;
  shares: { destination: string; nodeId: string | null; work: bigint; count?: number }[];
}): OutboxEventJson {
  const S = options.subsidySats ?? subsidy(options.height, "regtest");
  const F = options.feesSats ?? 0n;
  return {
    seq: options.seq,
    type: "block-found",
    blockHash: options.blockHash,
    height: options.height,
    subsidySats: S.toString(),
    feesSats: F.toString(),
    coinbaseValueSats: (S + F).toString(),
    winner: { destination: addr(options.winner), nodeId: options.winnerNodeId ?? null, worker: "rig1" },
    shares: options.shares.map((s) => ({
      destination: addr(s.destination),
      nodeId: s.nodeId,
      work: s.work.toString(),
      count: s.count ?? 1,
    })),
    previousBlockHash: null,
    foundAt: new Date(0).toISOString(),
  };
}
