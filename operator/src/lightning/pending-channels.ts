import * as ln from "ln-service";
import { z } from "zod";
import { type LndConnection, lndHandle, lnError } from "./handle.ts";

/** A channel lnd lists as pending (opening or closing), as the operator uses it. */
export interface PendingChannel {
  peerPubkey: string;
  fundingTxid: string;
  fundingOutputIndex: number;
  capacitySats: bigint;
  isOpening: boolean;
  isClosing: boolean;
  /** True when this node opened (and funded) the channel. */
  isOpener: boolean;
}

const answer = z.object({
  pending_channels: z
    .array(
      z.looseObject({
        partner_public_key: z.string().regex(/^0[23][0-9a-f]{64}$/),
        transaction_id: z.string().regex(/^[0-9a-f]{64}$/),
        transaction_vout: z.number().int().min(0),
        capacity: z.number().int().min(0),
        is_opening: z.boolean(),
        is_closing: z.boolean(),
        is_partner_initiated: z.boolean().optional(),
      }),
    )
    .max(100_000),
});

/**
 * lnd's pending channels (ln-service `getPendingChannels`): a channel whose funding transaction
 * is broadcast but not yet confirmed is only here, not in `listChannels`. Kept here until the
 * call joins LightningWallet in @hyperhash/lightning.
 */
export async function getPendingChannels(connection: LndConnection): Promise<PendingChannel[]> {
  let raw: unknown;
  try {
    raw = await ln.getPendingChannels({ lnd: lndHandle(connection) });
  } catch (err) {
    throw lnError("getPendingChannels", err);
  }
  return answer.parse(raw).pending_channels.map((c) => ({
    peerPubkey: c.partner_public_key,
    fundingTxid: c.transaction_id,
    fundingOutputIndex: c.transaction_vout,
    capacitySats: BigInt(c.capacity),
    isOpening: c.is_opening,
    isClosing: c.is_closing,
    isOpener: c.is_partner_initiated === false,
  }));
}
