import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { z } from "zod";

/** Where and how to reach a Bitcoin node's JSON-RPC endpoint. */
export interface JsonRpcEndpoint {
  /** `https://127.0.0.1:18334` for btcd (TLS always), `http://bitcoind:18443` for Bitcoin Core in a cluster. */
  url: string;
  user: string;
  password: string;
  /** PEM of the node's self-signed certificate; trusted for this client only, never process-wide. */
  caPem?: string;
  /**
   * The name the node's certificate is checked against (and sent as SNI) when `url` holds an
   * address, e.g. a Service's ClusterIP while the certificate names `<svc>.<ns>.svc`.
   */
  servername?: string;
  /** Per-call deadline. */
  timeoutMs?: number;
  /** Largest response body accepted; a bigger one is an error, not an allocation. */
  maxResponseBytes?: number;
}

/** A JSON-RPC failure: either the node answered with an error object, or the transport failed. */
export class BitcoinRpcError extends Error {
  override readonly name = "BitcoinRpcError";
  constructor(
    readonly method: string,
    readonly kind: "rpc" | "transport" | "http" | "invalid-response",
    message: string,
    /** The node's numeric error code when kind is "rpc". */
    readonly code?: number,
  ) {
    super(`${method}: ${message}`);
  }
}

const responseSchema = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).nullable().optional(),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
});

/** A caller of one method; kept as a function type so adapters are testable against recorded answers. */
export type JsonRpcCall = (method: string, params: unknown[]) => Promise<unknown>;

/**
 * A minimal JSON-RPC 1.0 client on node:http(s). The `bitcoin-core` npm client needs the
 * deprecated `request` package and cannot trust a per-client CA, which btcd's self-signed
 * TLS certificate requires; this one trusts a per-client CA. Each client keeps its own
 * keep-alive agent: without one every call was a new TCP connection and TLS handshake (a new
 * secure context too, ~1–2 ms of CPU on the event loop, measured in hh-tp's tip profile).
 */
export function jsonRpcClient(endpoint: JsonRpcEndpoint): JsonRpcCall {
  const url = new URL(endpoint.url);
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:") throw new Error(`unsupported RPC URL scheme ${url.protocol}`);
  const auth = `Basic ${btoa(`${endpoint.user}:${endpoint.password}`)}`;
  const timeoutMs = endpoint.timeoutMs ?? 30_000;
  const maxBytes = endpoint.maxResponseBytes ?? 64 * 1024 * 1024;
  let nextId = 1;
  const agentOptions = {
    keepAlive: true,
    maxFreeSockets: 4,
    // An idle socket is dropped after 4 s, before a server's idle limit closes it under a request.
    timeout: 4_000,
    ...(isHttps && endpoint.caPem ? { ca: endpoint.caPem } : {}),
    ...(isHttps && endpoint.servername ? { servername: endpoint.servername } : {}),
  };
  const agent = isHttps ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);

  const call: JsonRpcCall = (method, params) =>
    attempt(method, params, false).catch((error: unknown) => {
      // The server closed a kept-alive socket as the request went out on it: nothing reached
      // it, so one retry on a new connection is safe (Node's documented reusedSocket case).
      if (error instanceof StaleSocketError) return attempt(method, params, true);
      throw error;
    });
  return call;

  function attempt(method: string, params: unknown[], retried: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const body = JSON.stringify({ jsonrpc: "1.0", id, method, params });
      const options = {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: auth,
        },
        timeout: timeoutMs,
        agent,
        ...(isHttps && endpoint.caPem ? { ca: endpoint.caPem } : {}),
        ...(isHttps && endpoint.servername ? { servername: endpoint.servername } : {}),
      };
      const req = (isHttps ? httpsRequest : httpRequest)(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            reject(new BitcoinRpcError(method, "transport", `response larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (err) => reject(new BitcoinRpcError(method, "transport", err.message)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 401 || res.statusCode === 403) {
            reject(new BitcoinRpcError(method, "http", `HTTP ${res.statusCode}: credentials refused`));
            return;
          }
          let parsed: z.infer<typeof responseSchema>;
          try {
            parsed = responseSchema.parse(JSON.parse(text));
          } catch {
            reject(
              new BitcoinRpcError(
                method,
                "invalid-response",
                `HTTP ${res.statusCode}: not a JSON-RPC answer`,
              ),
            );
            return;
          }
          if (parsed.error) {
            reject(new BitcoinRpcError(method, "rpc", parsed.error.message, parsed.error.code));
          } else {
            resolve(parsed.result ?? null);
          }
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
          reject(new StaleSocketError());
          return;
        }
        reject(new BitcoinRpcError(method, "transport", err.message));
      });
      req.end(body);
    });
  }
}

/** A kept-alive socket the server had closed (internal: retried once). */
class StaleSocketError extends Error {}
