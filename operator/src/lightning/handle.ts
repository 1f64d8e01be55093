import { createHash } from "node:crypto";
import { type LndConnection, lnServiceHandle } from "@hyperhash/lightning";
import type * as ln from "ln-service";

/** What the operator needs to reach one lnd over gRPC (from a Secret). */
export type { LndConnection };

const handles = new Map<string, ln.AuthenticatedLnd>();

/** One ln-service gRPC handle per distinct connection, reused across calls. */
export function lndHandle(connection: LndConnection): ln.AuthenticatedLnd {
  const key = createHash("sha256")
    .update(`${connection.socket}\n${connection.certPem}\n${connection.macaroonHex}`)
    .digest("hex");
  let lnd = handles.get(key);
  if (!lnd) {
    lnd = lnServiceHandle(connection);
    handles.set(key, lnd);
  }
  return lnd;
}

/** ln-service rejects with `[code, message, details]` arrays; this makes them readable Errors. */
export function lnError(call: string, err: unknown): Error {
  const detail = Array.isArray(err) ? JSON.stringify(err).slice(0, 300) : (err as Error).message;
  return new Error(`${call}: ${detail}`);
}
