/**
 * The pool's HTTP API on node:http: the outbox Core reads (OUTBOX CONTRACT), blocks and stats.
 * Queries are validated with zod; bodies are never read (GET only). With a token, every route
 * needs `Authorization: Bearer <token>` (payout destinations are in all of them); /healthz,
 * /readyz and /metrics are on the ops server and stay open.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { ShareStore, WorkTotal } from "./store.ts";

/** `GET /api/v1/outbox` query. */
export const outboxQuerySchema = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `GET /api/v1/blocks` query. */
export const blocksQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Live figures the API adds to the log's totals. */
export interface LiveStats {
  connections: number;
  channels: number;
  bestShareDifficulty: number;
  templateProviderConnected: boolean;
  height: number | null;
}

/** A running API server. */
export interface PoolHttpApi {
  readonly port: number;
  close(): Promise<void>;
}

const totalsJson = (totals: readonly WorkTotal[]) =>
  totals.map((t) => ({
    destination: t.destination,
    nodeId: t.nodeId,
    work: t.work.toString(),
    count: t.count,
  }));

function byNode(totals: readonly WorkTotal[]) {
  const nodes = new Map<string, { work: bigint; count: number }>();
  for (const t of totals) {
    if (t.nodeId === null) continue;
    const n = nodes.get(t.nodeId) ?? { work: 0n, count: 0 };
    n.work += t.work;
    n.count += t.count;
    nodes.set(t.nodeId, n);
  }
  return [...nodes].map(([nodeId, n]) => ({ nodeId, work: n.work.toString(), count: n.count }));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Whether the request carries the bearer token; compared in constant time on digests. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = header?.startsWith("Bearer ") ? header.slice(7) : "";
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

function route(store: ShareStore, live: () => LiveStats, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET" }).end();
    return;
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  const query = Object.fromEntries(url.searchParams);
  if (url.pathname === "/api/v1/outbox") {
    const q = outboxQuerySchema.safeParse(query);
    if (!q.success) {
      reply(res, 400, { error: "invalid-query", issues: q.error.issues });
      return;
    }
    reply(res, 200, { events: store.outbox(q.data.after, q.data.limit) });
    return;
  }
  if (url.pathname === "/api/v1/blocks") {
    const q = blocksQuerySchema.safeParse(query);
    if (!q.success) {
      reply(res, 400, { error: "invalid-query", issues: q.error.issues });
      return;
    }
    const blocks = store.blocks(q.data.limit).map((b) => ({
      ...b,
      subsidySats: b.subsidySats.toString(),
      feesSats: b.feesSats.toString(),
      coinbaseValueSats: b.coinbaseValueSats.toString(),
    }));
    reply(res, 200, { blocks });
    return;
  }
  if (url.pathname === "/api/v1/stats") {
    const window = store.openWindowTotals();
    const allTime = store.allTimeTotals();
    reply(res, 200, {
      ...live(),
      shares: store.shareCount(),
      window: { miners: totalsJson(window), nodes: byNode(window) },
      allTime: { miners: totalsJson(allTime), nodes: byNode(allTime) },
    });
    return;
  }
  reply(res, 404, { error: "not-found" });
}

/** Serves the API on host:port (port 0 picks a free one). */
export async function startHttpApi(options: {
  store: ShareStore;
  live: () => LiveStats;
  host: string;
  port: number;
  /** Bearer token every request must carry; without it the API is open (loopback only). */
  token?: string;
}): Promise<PoolHttpApi> {
  const { token } = options;
  const server: Server = createServer((req, res) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.setHeader("www-authenticate", 'Bearer realm="hh-pool"');
      reply(res, 401, { error: "unauthorized", message: "a valid bearer token is required" });
      return;
    }
    try {
      route(options.store, options.live, req, res);
    } catch (err) {
      reply(res, 500, { error: "internal", message: (err as Error).message });
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
