import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One block-found event as the pool's outbox serves it (services/core/src/outbox.ts). */
export interface BlockFoundEvent {
  seq: number;
  type: "block-found";
  blockHash: string;
  height: number;
  subsidySats: string;
  feesSats: string;
  coinbaseValueSats: string;
  winner: { destination: string; nodeId: string | null; worker: string };
  shares: Array<{ destination: string; nodeId: string | null; work: string; count: number }>;
  previousBlockHash: string | null;
  foundAt: string;
}

/**
 * Stands in for the pool's outbox (`GET /api/v1/outbox?after=&limit=`), which Core consumes:
 * the pool workspace has no outbox server yet. Core, lnd and the treasury are real.
 */
export async function startPoolOutbox(): Promise<{
  url: string;
  publish(event: Omit<BlockFoundEvent, "seq" | "type">): void;
  stop(): Promise<void>;
}> {
  const events: BlockFoundEvent[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/v1/outbox") {
      res.writeHead(404).end();
      return;
    }
    const after = Number(url.searchParams.get("after") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 20);
    const page = events.filter((e) => e.seq > after).slice(0, limit);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ events: page }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publish: (e) => events.push({ ...e, seq: events.length + 1, type: "block-found" }),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
