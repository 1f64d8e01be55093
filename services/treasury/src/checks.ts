import { type ChannelLiquidity, outboundSats } from "@hyperhash/node-agent";
import type { DecodedRequest } from "./lnd-payer.ts";

/** The fee limit of one payment: the larger of a flat floor and a proportional part. */
export function feeLimitSats(amountSats: bigint, limits: { baseSats: bigint; ppm: bigint }): bigint {
  const proportional = (amountSats * limits.ppm) / 1_000_000n;
  return proportional > limits.baseSats ? proportional : limits.baseSats;
}

/**
 * Checks a node's payout invoice before it is paid: exact amount (to the millisat), the node's
 * own pubkey as destination, the hash the agent announced, and enough life left to pay it.
 * Returns the reason it must not be paid, or undefined.
 */
export function invoiceProblem(
  decoded: DecodedRequest,
  expected: {
    amountSats: bigint;
    destination: string;
    paymentHash: string;
    now: Date;
    minLifeSeconds: number;
  },
): string | undefined {
  if (decoded.sats !== expected.amountSats || decoded.msats !== expected.amountSats * 1000n)
    return `amount ${decoded.msats} msat is not ${expected.amountSats} sats`;
  if (decoded.destination !== expected.destination)
    return `destination ${decoded.destination} is not the node's pubkey ${expected.destination}`;
  if (decoded.paymentHash !== expected.paymentHash) return "payment hash differs from the agent's answer";
  const lifeMs = decoded.expiresAt.getTime() - expected.now.getTime();
  if (lifeMs < expected.minLifeSeconds * 1000) return `invoice expires at ${decoded.expiresAt.toISOString()}`;
  return undefined;
}

/** The largest amount one active channel can send now (payments are single-path). */
export function largestOutbound(channels: ChannelLiquidity[]): bigint {
  let best = 0n;
  for (const c of channels) if (c.active && outboundSats(c) > best) best = outboundSats(c);
  return best;
}

/** Lightning pubkeys are 33-byte compressed points; anything else a miner names is an address. */
export const isLightningPubkey = (destination: string) => /^0[23][0-9a-f]{64}$/.test(destination);
