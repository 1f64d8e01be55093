import { type LndConnection, lnCall, lnServiceHandle } from "@hyperhash/lightning";
import * as ln from "ln-service";
import { z } from "zod";

// Reads of lnd that the LightningWallet interface does not carry yet (reserves, forwards,
// invoice expiry). A thin ln-service wrapper, one call per function, with pure mappers: when
// services/lightning grows these methods this file goes away.

const sats = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hex33 = z.string().regex(/^[0-9a-f]{66}$/);
const msats = z.string().regex(/^\d{1,24}$/);

/** A channel's balances with the reserves each side must keep, integer sats. */
export interface ChannelLiquidity {
  id: string;
  peerPubkey: string;
  capacitySats: bigint;
  localBalanceSats: bigint;
  remoteBalanceSats: bigint;
  localReserveSats: bigint;
  remoteReserveSats: bigint;
  active: boolean;
}

const channelSchema = z.object({
  id: z.string().regex(/^\d+x\d+x\d+$/),
  partner_public_key: hex33,
  capacity: sats,
  local_balance: sats,
  remote_balance: sats,
  local_reserve: sats,
  remote_reserve: sats,
  is_active: z.boolean(),
});

/** Maps ln-service getChannels to channel liquidity. */
export function toChannelLiquidity(answer: unknown): ChannelLiquidity[] {
  const { channels } = z.object({ channels: z.array(channelSchema) }).parse(answer);
  return channels.map((c) => ({
    id: c.id,
    peerPubkey: c.partner_public_key,
    capacitySats: BigInt(c.capacity),
    localBalanceSats: BigInt(c.local_balance),
    remoteBalanceSats: BigInt(c.remote_balance),
    localReserveSats: BigInt(c.local_reserve),
    remoteReserveSats: BigInt(c.remote_reserve),
    active: c.is_active,
  }));
}

/**
 * What the peer can still send us over this channel: its balance less the reserve it must keep.
 * Negative results (a peer below its reserve right after opening) count as zero.
 */
export function inboundSats(c: ChannelLiquidity): bigint {
  const free = c.remoteBalanceSats - c.remoteReserveSats;
  return free > 0n ? free : 0n;
}

/** The largest inbound on one active channel with `peer` (payments are single-path). Pure. */
export function largestInbound(channels: ChannelLiquidity[], peer: string): bigint {
  let best = 0n;
  for (const c of channels)
    if (c.active && c.peerPubkey === peer && inboundSats(c) > best) best = inboundSats(c);
  return best;
}

/** What we can still send over this channel: our balance less our reserve. */
export function outboundSats(c: ChannelLiquidity): bigint {
  const free = c.localBalanceSats - c.localReserveSats;
  return free > 0n ? free : 0n;
}

const forwardsPageSchema = z.object({
  forwards: z.array(z.object({ fee_mtokens: msats })),
  next: z.string().min(1).optional(),
});

/** Maps one getForwards page to the fees it earned (millisats) and the next page token. */
export function toForwardsPage(answer: unknown): { feeMsats: bigint; next?: string } {
  const page = forwardsPageSchema.parse(answer);
  const feeMsats = page.forwards.reduce((sum, f) => sum + BigInt(f.fee_mtokens), 0n);
  return page.next ? { feeMsats, next: page.next } : { feeMsats };
}

/** The lifecycle facts of an invoice this node issued. */
export interface InvoiceState {
  id: string;
  isConfirmed: boolean;
  isCanceled: boolean;
  expiresAt: Date;
}

const invoiceStateSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  is_confirmed: z.boolean(),
  is_canceled: z.boolean().optional(),
  expires_at: z.iso.datetime(),
});

/** Maps ln-service getInvoice to InvoiceState. */
export function toInvoiceState(answer: unknown): InvoiceState {
  const a = invoiceStateSchema.parse(answer);
  return {
    id: a.id,
    isConfirmed: a.is_confirmed,
    isCanceled: a.is_canceled ?? false,
    expiresAt: new Date(a.expires_at),
  };
}

/** The reads above, on one lnd. */
export interface LndReads {
  listChannelLiquidity(): Promise<ChannelLiquidity[]>;
  /** Routing fees this node earned over its whole forwarding history, in sats (floor). */
  getRoutingFeesSats(): Promise<bigint>;
  getInvoiceState(id: string): Promise<InvoiceState>;
}

/** LndReads over ln-service. */
export function lndReads(connection: LndConnection): LndReads {
  const lnd = lnServiceHandle(connection);
  return {
    listChannelLiquidity: () =>
      lnCall("getChannels", async () => toChannelLiquidity(await ln.getChannels({ lnd }))),
    getRoutingFeesSats: () =>
      lnCall("getForwards", async () => {
        let total = 0n;
        let token: string | undefined;
        // Pages of 1,000 until lnd gives no further token; a busy router has many forwards.
        for (let page = 0; page < 100_000; page++) {
          const answer = toForwardsPage(await ln.getForwards(token ? { lnd, token } : { lnd, limit: 1000 }));
          total += answer.feeMsats;
          if (!answer.next) break;
          token = answer.next;
        }
        return total / 1000n;
      }),
    getInvoiceState: (id) =>
      lnCall("getInvoice", async () => toInvoiceState(await ln.getInvoice({ lnd, id }))),
  };
}
