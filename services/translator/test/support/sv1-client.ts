/** A raw SV1 client for tests: sends lines as given and collects every line received. */
import { connect, type Socket } from "node:net";
import { waitFor } from "@hyperhash/devnet";

/** One received JSON line. */
export type Received = {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
};

/** A connected raw client. */
export interface RawSv1Client {
  readonly socket: Socket;
  readonly received: Received[];
  /** True once the server closed the connection. */
  readonly closed: () => boolean;
  send(text: string): void;
  request(id: number, method: string, params: unknown[]): void;
  /** Waits for the response with `id`. */
  response(id: number, timeoutMs?: number): Promise<Received>;
  /** Waits for a notification of `method` after the first `skip` ones. */
  notification(method: string, skip?: number, timeoutMs?: number): Promise<Received>;
  close(): void;
}

/** Connects a raw client. */
export async function rawSv1Client(host: string, port: number): Promise<RawSv1Client> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const received: Received[] = [];
  let buffer = "";
  let isClosed = false;
  socket.on("close", () => {
    isClosed = true;
  });
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        received.push(JSON.parse(line) as Received);
      } catch {
        received.push({ error: `unparsable: ${line}` });
      }
      nl = buffer.indexOf("\n");
    }
  });
  return {
    socket,
    received,
    closed: () => isClosed,
    send: (text) => {
      socket.write(text);
    },
    request: (id, method, params) => {
      socket.write(`${JSON.stringify({ id, method, params })}\n`);
    },
    response: (id, timeoutMs = 30_000) =>
      waitFor(() => received.find((r) => r.id === id && r.method === undefined), {
        what: `response ${id}`,
        timeoutMs,
        intervalMs: 20,
      }),
    notification: (method, skip = 0, timeoutMs = 30_000) =>
      waitFor(() => received.filter((r) => r.method === method)[skip], {
        what: `notification ${method} #${skip}`,
        timeoutMs,
        intervalMs: 20,
      }),
    close: () => socket.destroy(),
  };
}
