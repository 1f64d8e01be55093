import { blockHash, hash32, lightningPubkey, satsString } from "@hyperhash/contracts";
import { z } from "zod";

// The node agent's payout API, written once: the agent validates requests with these schemas
// and the treasury validates the agent's answers with the same ones. Sats, block hashes and
// pubkeys are the money contract's (@hyperhash/contracts), as Core has them: a window's block
// hash in upper case is the same window, normalised to lower case.

/** `POST /api/v1/invoices` body. */
export const invoiceRequestSchema = z.strictObject({
  windowBlockHash: blockHash,
  // The text has no sign or leading zeros, so positive is "not 0" (and no BigInt() of text the
  // pattern refused: zod runs every check, so BigInt("abc") threw out of safeParse).
  amountSats: satsString.refine((s) => s !== "0", "amount must be positive"),
});
export type InvoiceRequest = z.infer<typeof invoiceRequestSchema>;

/** `POST /api/v1/invoices` answer (201 on creation, 200 when the invoice already existed). */
export const payoutInvoiceSchema = z.object({
  windowBlockHash: blockHash,
  amountSats: satsString,
  /** Payment hash, hex. */
  paymentHash: hash32,
  /** BOLT 11 request. */
  request: z.string().min(1).max(4096),
  /** Node pubkey that issued it. */
  destination: lightningPubkey,
  expiresAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
});
export type PayoutInvoice = z.infer<typeof payoutInvoiceSchema>;

/** Machine-readable reasons the agent refuses an invoice. */
export const refusalReasons = [
  "insufficient-inbound",
  "invalid-request",
  "unauthorized",
  "lnd-unavailable",
  "internal",
] as const;
export type RefusalReason = (typeof refusalReasons)[number];

/** The body of every refusal (4xx/5xx). */
export const refusalSchema = z.object({
  reason: z.enum(refusalReasons),
  message: z.string(),
  /** For insufficient-inbound: the largest inbound on one active treasury channel. */
  inboundSats: satsString.optional(),
  requiredSats: satsString.optional(),
});
export type Refusal = z.infer<typeof refusalSchema>;

/** HTTP status of each refusal reason. */
export const refusalStatus: Record<RefusalReason, number> = {
  "insufficient-inbound": 409,
  "invalid-request": 400,
  unauthorized: 401,
  "lnd-unavailable": 503,
  internal: 500,
};
