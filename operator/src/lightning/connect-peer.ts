import * as ln from "ln-service";
import { type LndConnection, lndHandle, lnError } from "./handle.ts";

/**
 * Connects lnd to a peer (persistently: lnd reconnects on its own afterwards), checking for
 * about 3 s that the peer shows up. ln-service's default checks for ~50 s, too long to hold a
 * reconcile worker; the controller's work queue does the retrying with backoff instead.
 */
export async function connectPeer(connection: LndConnection, pubkey: string, socket: string): Promise<void> {
  try {
    await ln.addPeer({
      lnd: lndHandle(connection),
      public_key: pubkey,
      socket,
      timeout: 10_000,
      retry_count: 6,
    });
  } catch (err) {
    throw lnError("addPeer", err);
  }
}
