/**
 * The pool's outbox (`GET /api/v1/outbox?after=<seq>&limit=<n>` → `{ events }`), which Core
 * consumes: one block-found event per block, keyed by block hash. The pool builds events of
 * {@link BlockFoundEventWire}; Core parses them with {@link blockFoundEvent} for its network,
 * which canonicalises every destination and refuses node ids Core cannot have issued.
 */
import type { Network } from "@hyperhash/bitcoin";
import { z } from "zod";
import { destinationSchema } from "./destination.ts";
import { blockHash, nodeId } from "./ids.ts";
import { sats, workString } from "./money.ts";

function buildBlockFoundEvent(network: Network) {
  const destination = destinationSchema(network);
  return z
    .object({
      seq: z.number().int().positive(),
      type: z.literal("block-found"),
      blockHash,
      height: z.number().int().nonnegative(),
      subsidySats: sats,
      feesSats: sats,
      coinbaseValueSats: sats,
      winner: z.object({
        destination,
        nodeId: nodeId.nullable(),
        worker: z.string().max(200),
      }),
      shares: z
        .array(
          z.object({
            destination,
            nodeId: nodeId.nullable(),
            work: workString,
            count: z.number().int().nonnegative(),
          }),
        )
        .max(1_000_000),
      previousBlockHash: blockHash.nullable(),
      foundAt: z.string().max(40),
    })
    .refine(
      (e) => e.coinbaseValueSats === e.subsidySats + e.feesSats,
      "coinbaseValueSats ≠ subsidySats + feesSats",
    );
}

const cache = new Map<Network, ReturnType<typeof buildBlockFoundEvent>>();

/** The block-found event schema of `network` (destinations are checked against it). */
export function blockFoundEvent(network: Network): ReturnType<typeof buildBlockFoundEvent> {
  let schema = cache.get(network);
  if (!schema) {
    schema = buildBlockFoundEvent(network);
    cache.set(network, schema);
  }
  return schema;
}

/** A parsed event: sats as bigint, hashes lower-case, destinations canonical. */
export type BlockFoundEvent = z.output<ReturnType<typeof buildBlockFoundEvent>>;
/** The event as the pool serves it (JSON). */
export type BlockFoundEventWire = z.input<ReturnType<typeof buildBlockFoundEvent>>;

/** One page of the outbox; events of other types pass through (Core skips them). */
export const outboxPage = z.object({
  events: z.array(z.looseObject({ seq: z.number().int().positive(), type: z.string() })).max(10_000),
});
