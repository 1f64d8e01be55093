/** Sats on the wire: one decimal-string form for every amount Core and the pool exchange. */
import { z } from "zod";

/** 21 million BTC in sats: no amount can exceed it. */
export const MAX_MONEY_SATS = 2_100_000_000_000_000n;

/**
 * An amount of sats as JSON carries it: a decimal string without sign or leading zeros,
 * ≤ 21 million BTC (JSON numbers lose precision above 2^53). Parses to the string.
 */
const SATS_TEXT = /^(0|[1-9][0-9]{0,15})$/;
export const satsString = z
  .string()
  .regex(SATS_TEXT, "sats as a decimal string")
  // zod runs every check, so the cap guards itself against text the regex already refused.
  .refine((v) => !SATS_TEXT.test(v) || BigInt(v) <= MAX_MONEY_SATS, "more than 21 million BTC")
  .describe("sats as a decimal string");

/** {@link satsString} parsed to a bigint. */
export const sats = satsString.transform((v) => BigInt(v));

/** Sats in a request: the decimal string, or a safe integer for convenience. */
export const satsInput = z
  .union([satsString, z.number().int("an integer number of sats").nonnegative().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_MONEY_SATS, "more than 21 million BTC");

/** Work (Σ 2^256 / (target + 1)) as a decimal string: not money, so not capped. */
export const workString = z.string().regex(/^(0|[1-9][0-9]{0,80})$/, "work as a decimal string");
