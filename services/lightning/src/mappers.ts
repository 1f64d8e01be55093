import { z } from "zod";
import type {
  LightningChannelState,
  LightningInvoice,
  LightningPayment,
  PaymentStatus,
  WalletInfo,
} from "./types.ts";

const sats = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

const walletInfoSchema = z.object({
  public_key: hex(33),
  alias: z.string(),
  version: z.string(),
  current_block_height: z.number().int().nonnegative(),
  is_synced_to_chain: z.boolean(),
  active_channels_count: z.number().int().nonnegative(),
  pending_channels_count: z.number().int().nonnegative(),
  peers_count: z.number().int().nonnegative(),
});

/** Maps ln-service getWalletInfo to WalletInfo. */
export function toWalletInfo(answer: unknown): WalletInfo {
  const a = walletInfoSchema.parse(answer);
  return {
    pubkey: a.public_key,
    alias: a.alias,
    version: a.version,
    blockHeight: a.current_block_height,
    syncedToChain: a.is_synced_to_chain,
    activeChannels: a.active_channels_count,
    pendingChannels: a.pending_channels_count,
    peers: a.peers_count,
  };
}

const channelSchema = z.object({
  id: z.string().regex(/^\d+x\d+x\d+$/),
  partner_public_key: hex(33),
  transaction_id: hex(32),
  transaction_vout: z.number().int().nonnegative(),
  capacity: sats,
  local_balance: sats,
  remote_balance: sats,
  is_active: z.boolean(),
  is_opening: z.boolean().optional(),
  is_partner_initiated: z.boolean(),
});

/** Maps ln-service getChannels to channel states. */
export function toChannels(answer: unknown): LightningChannelState[] {
  const { channels } = z.object({ channels: z.array(channelSchema) }).parse(answer);
  return channels.map((c) => ({
    id: c.id,
    peerPubkey: c.partner_public_key,
    fundingTxid: c.transaction_id,
    fundingOutputIndex: c.transaction_vout,
    capacitySats: BigInt(c.capacity),
    localBalanceSats: BigInt(c.local_balance),
    remoteBalanceSats: BigInt(c.remote_balance),
    active: c.is_active,
    isOpener: !c.is_partner_initiated,
  }));
}

const invoiceSchema = z.object({
  id: hex(32),
  request: z.string().min(1).optional(),
  tokens: sats,
  is_confirmed: z.boolean().optional(),
  received: sats.optional(),
});

/** Maps ln-service createInvoice/getInvoice to LightningInvoice. */
export function toInvoice(answer: unknown, request?: string): LightningInvoice {
  const a = invoiceSchema.parse(answer);
  const req = a.request ?? request;
  if (!req) throw new Error("invoice answer carries no payment request");
  return {
    id: a.id,
    request: req,
    sats: BigInt(a.tokens),
    isConfirmed: a.is_confirmed ?? false,
    receivedSats: BigInt(a.received ?? 0),
  };
}

const paymentSchema = z.object({
  id: hex(32),
  secret: hex(32),
  tokens: sats,
  fee: sats,
});

/** Maps ln-service pay to LightningPayment. */
export function toPayment(answer: unknown): LightningPayment {
  const a = paymentSchema.parse(answer);
  return { id: a.id, preimage: a.secret, sats: BigInt(a.tokens), feeSats: BigInt(a.fee) };
}

const paymentStatusSchema = z.object({
  is_confirmed: z.boolean(),
  is_failed: z.boolean(),
  is_pending: z.boolean(),
  payment: z.object({ id: hex(32), secret: hex(32), tokens: sats, fee: sats }).optional(),
  failed: z.record(z.string(), z.unknown()).optional(),
});

/** Maps ln-service getPayment (or its "payment not found" error) to PaymentStatus. */
export function toPaymentStatus(answer: unknown): PaymentStatus {
  const a = paymentStatusSchema.parse(answer);
  if (a.is_confirmed && a.payment) return { state: "succeeded", payment: toPayment(a.payment) };
  if (a.is_failed) {
    const reason = Object.entries(a.failed ?? {}).find(([, v]) => v === true)?.[0] ?? "failed";
    return { state: "failed", reason };
  }
  return { state: "pending" };
}

/** ln-service errors are arrays `[httpCode, message, details?]`; this reads the message. */
export function lnServiceErrorMessage(err: unknown): string | undefined {
  if (Array.isArray(err) && typeof err[1] === "string") return err[1];
  return undefined;
}

const graphChannelSchema = z.object({
  policies: z.array(z.object({ public_key: hex(33), cltv_delta: z.number().int().optional() })),
});

/** Maps ln-service getChannel: routable when both ends' policies are known. */
export function toRoutable(answer: unknown): boolean {
  const { policies } = graphChannelSchema.parse(answer);
  return policies.length === 2 && policies.every((p) => p.cltv_delta !== undefined);
}
