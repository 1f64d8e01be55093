/**
 * Payout destinations (ARCHITECTURE.md "Who a share belongs to": a miner, for payouts, is its
 * payout destination). One canonical text per destination, made at every boundary (the
 * pool's user identities, Core's outbox consumer, Core's API), so `BCRT1Q…` and `bcrt1q…`
 * are one recipient: bech32/bech32m lower-case after checksum validation (mixed case is
 * refused, BIP173), base58 as is, Lightning node pubkeys lower-case hex.
 */
import { AddressError, canonicalAddress, type Network } from "@hyperhash/bitcoin";
import { z } from "zod";
import { LIGHTNING_PUBKEY_PATTERN } from "./ids.ts";

/** A destination in canonical form. */
export interface CanonicalDestination {
  readonly destination: string;
  readonly kind: "address" | "lightning-pubkey";
}

/** Result of {@link canonicalDestination}. */
export type DestinationResult =
  | ({ readonly ok: true } & CanonicalDestination)
  | { readonly ok: false; readonly reason: string };

/** Longest destination text accepted (a P2WSH/P2TR bech32m address is 62–64 characters). */
export const MAX_DESTINATION_LENGTH = 200;

/** Validates `text` as a payout destination of `network` and returns its canonical form. */
export function canonicalDestination(text: string, network: Network): DestinationResult {
  if (text.length === 0 || text.length > MAX_DESTINATION_LENGTH)
    return { ok: false, reason: `empty or longer than ${MAX_DESTINATION_LENGTH} characters` };
  const lower = text.toLowerCase();
  if (LIGHTNING_PUBKEY_PATTERN.test(lower)) return { ok: true, destination: lower, kind: "lightning-pubkey" };
  try {
    return { ok: true, destination: canonicalAddress(text, network), kind: "address" };
  } catch (err) {
    return { ok: false, reason: err instanceof AddressError ? err.reason : String(err) };
  }
}

const byNetwork = new Map<Network, z.ZodType<string, string>>();

/** A zod schema that validates a destination of `network` and outputs its canonical text. */
export function destinationSchema(network: Network): z.ZodType<string, string> {
  let schema = byNetwork.get(network);
  if (!schema) {
    schema = z.string().transform((text, ctx) => {
      const r = canonicalDestination(text, network);
      if (r.ok) return r.destination;
      ctx.addIssue({ code: "custom", message: `not a ${network} payout destination: ${r.reason}` });
      return z.NEVER;
    });
    byNetwork.set(network, schema);
  }
  return schema;
}
