import { createHash } from "node:crypto";
import * as ln from "ln-service";

/** What the operator needs to reach one lnd over gRPC (from a Secret). */
export interface LndConnection {
  socket: string;
  certPem: string;
  macaroonHex: string;
}

const handles = new Map<string, ln.AuthenticatedLnd>();

/** One ln-service gRPC handle per distinct connection, reused across calls. */
export function lndHandle(connection: LndConnection): ln.AuthenticatedLnd {
  const key = createHash("sha256")
    .update(`${connection.socket}\n${connection.certPem}\n${connection.macaroonHex}`)
    .digest("hex");
  let lnd = handles.get(key);
  if (!lnd) {
    lnd = ln.authenticatedLndGrpc({
      cert: Buffer.from(connection.certPem).toString("base64"),
      macaroon: connection.macaroonHex,
      socket: connection.socket,
    }).lnd;
    handles.set(key, lnd);
  }
  return lnd;
}

/** ln-service rejects with `[code, message, details]` arrays; this makes them readable Errors. */
export function lnError(call: string, err: unknown): Error {
  const detail = Array.isArray(err) ? JSON.stringify(err).slice(0, 300) : (err as Error).message;
  return new Error(`${call}: ${detail}`);
}
