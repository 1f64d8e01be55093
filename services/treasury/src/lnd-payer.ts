import { type LndConnection, lnCall, lnServiceHandle } from "@hyperhash/lightning";
import * as ln from "ln-service";
import { z } from "zod";

// The treasury's payment calls on lnd, one ln-service call per function, with pure mappers.
// services/lightning's LightningWallet has no keysend, no channel id in payment answers, no
// request decoding and no on-chain batch yet; these are the thin additions (see README).

const sats = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hex32 = z.string().regex(/^[0-9a-f]{64}$/);

/** A settled payment: hash, preimage, fee and the channel it left by. */
export interface SettledPayment {
  paymentHash: string;
  preimage: string;
  sats: bigint;
  feeSats: bigint;
  /** First hop's channel (the treasury channel it left by), when lnd reports it. */
  channelId?: string;
}

/** What lnd knows of a payment hash. */
export type PaymentLookup =
  | { state: "succeeded"; payment: SettledPayment }
  | { state: "failed"; reason: string }
  | { state: "pending" }
  | { state: "unknown" };

/** A decoded BOLT 11 request. */
export interface DecodedRequest {
  paymentHash: string;
  destination: string;
  sats: bigint;
  msats: bigint;
  expiresAt: Date;
}

const hopSchema = z.object({ channel: z.string().optional() });
const payAnswerSchema = z.object({
  id: hex32,
  secret: hex32,
  tokens: sats,
  fee: sats,
  hops: z.array(hopSchema).optional(),
  paths: z.array(z.object({ hops: z.array(hopSchema) })).optional(),
});

/** Maps an ln-service pay / payViaPaymentDetails answer (or getPayment's `payment`). */
export function toSettledPayment(answer: unknown): SettledPayment {
  const a = payAnswerSchema.parse(answer);
  const channelId = a.hops?.[0]?.channel ?? a.paths?.[0]?.hops[0]?.channel;
  return {
    paymentHash: a.id,
    preimage: a.secret,
    sats: BigInt(a.tokens),
    feeSats: BigInt(a.fee),
    ...(channelId ? { channelId } : {}),
  };
}

const lookupSchema = z.object({
  is_confirmed: z.boolean().optional(),
  is_failed: z.boolean().optional(),
  is_pending: z.boolean().optional(),
  payment: z.unknown().optional(),
  failed: z.record(z.string(), z.unknown()).optional(),
});

/** Maps ln-service getPayment. */
export function toPaymentLookup(answer: unknown): PaymentLookup {
  const a = lookupSchema.parse(answer);
  if (a.is_confirmed && a.payment) return { state: "succeeded", payment: toSettledPayment(a.payment) };
  if (a.is_failed) {
    const reason = Object.entries(a.failed ?? {}).find(([, v]) => v === true)?.[0] ?? "failed";
    return { state: "failed", reason };
  }
  return { state: "pending" };
}

const decodedSchema = z.object({
  id: hex32,
  destination: z.string().regex(/^[0-9a-f]{66}$/),
  tokens: sats,
  mtokens: z.string().regex(/^\d{1,24}$/),
  expires_at: z.iso.datetime(),
});

/** Maps ln-service decodePaymentRequest. */
export function toDecodedRequest(answer: unknown): DecodedRequest {
  const a = decodedSchema.parse(answer);
  return {
    paymentHash: a.id,
    destination: a.destination,
    sats: BigInt(a.tokens),
    msats: BigInt(a.mtokens),
    expiresAt: new Date(a.expires_at),
  };
}

const chainTxsSchema = z.object({
  transactions: z.array(z.object({ id: hex32, description: z.string().optional() })),
});

/** Maps ln-service getChainTransactions to the txid carrying `label`, if any. */
export function toLabelledTxid(answer: unknown, label: string): string | undefined {
  return chainTxsSchema.parse(answer).transactions.find((t) => t.description === label)?.id;
}

/** The TLV record type that carries a keysend preimage (lnd's keysend). */
export const KEYSEND_RECORD_TYPE = "5482373484";

/** The payment calls of the treasury's lnd. */
export interface TreasuryLnd {
  decodeRequest(request: string): Promise<DecodedRequest>;
  payRequest(args: { request: string; maxFeeSats: bigint }): Promise<SettledPayment>;
  /** Spontaneous payment: the preimage travels in the keysend record; its hash is the payment hash. */
  keysend(args: {
    destination: string;
    preimage: string;
    paymentHash: string;
    sats: bigint;
    maxFeeSats: bigint;
  }): Promise<SettledPayment>;
  lookupPayment(paymentHash: string): Promise<PaymentLookup>;
  /** One on-chain transaction to many outputs, labelled so a restart can find it. */
  sendToAddresses(outputs: Array<{ address: string; sats: bigint }>, label: string): Promise<string>;
  findLabelledTx(label: string): Promise<string | undefined>;
}

const safe = (v: bigint) => {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("sats out of range");
  return Number(v);
};

/** TreasuryLnd over ln-service. */
export function treasuryLnd(connection: LndConnection): TreasuryLnd {
  const lnd = lnServiceHandle(connection);
  return {
    decodeRequest: (request) =>
      lnCall("decodePaymentRequest", async () =>
        toDecodedRequest(await ln.decodePaymentRequest({ lnd, request })),
      ),
    payRequest: ({ request, maxFeeSats }) =>
      lnCall("pay", async () => toSettledPayment(await ln.pay({ lnd, request, max_fee: safe(maxFeeSats) }))),
    keysend: ({ destination, preimage, paymentHash, sats: amount, maxFeeSats }) =>
      lnCall("payViaPaymentDetails", async () =>
        toSettledPayment(
          await ln.payViaPaymentDetails({
            lnd,
            destination,
            id: paymentHash,
            tokens: safe(amount),
            max_fee: safe(maxFeeSats),
            messages: [{ type: KEYSEND_RECORD_TYPE, value: preimage }],
          }),
        ),
      ),
    lookupPayment: (paymentHash) =>
      lnCall("getPayment", async () => {
        try {
          return toPaymentLookup(await ln.getPayment({ lnd, id: paymentHash }));
        } catch (err) {
          // NotFound: lnd never tried this hash. A state, not an error: it is safe to send.
          if (Array.isArray(err) && err[0] === 404) return { state: "unknown" as const };
          throw err;
        }
      }),
    sendToAddresses: (outputs, label) =>
      lnCall("sendToChainAddresses", async () => {
        const a = z.object({ id: hex32 }).parse(
          await ln.sendToChainAddresses({
            lnd,
            description: label,
            send_to: outputs.map((o) => ({ address: o.address, tokens: safe(o.sats) })),
          }),
        );
        return a.id;
      }),
    findLabelledTx: (label) =>
      lnCall("getChainTransactions", async () =>
        toLabelledTxid(await ln.getChainTransactions({ lnd }), label),
      ),
  };
}
