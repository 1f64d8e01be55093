/**
 * Every contract of the REST API, written once in zod: requests are validated with these
 * schemas and /openapi.json is generated from them.
 */
import { z } from "zod";
import { NODE_ID_PATTERN } from "./nodes.ts";
import { WINDOW_PHASES } from "./store/repository.ts";

/** 21 million BTC in sats: no amount can exceed it. */
export const MAX_MONEY_SATS = 2_100_000_000_000_000n;

/** Sats in a request: a decimal string or a safe integer, a non-negative integer ≤ max money. */
export const satsInput = z
  .union([
    z.string().regex(/^(0|[1-9][0-9]{0,15})$/, "a non-negative integer as a decimal string"),
    z.number().int("an integer number of sats").nonnegative().max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_MONEY_SATS, "more than 21 million BTC");

/** Sats in a response: always a decimal string (JSON numbers lose precision above 2^53). */
export const satsOutput = z
  .string()
  .regex(/^[0-9]+$/)
  .describe("sats as a decimal string");

export const blockHashSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "a 32-byte block hash in hex")
  .transform((s) => s.toLowerCase());
export const nodeIdSchema = z.string().regex(NODE_ID_PATTERN, "a node id (hn_ + 16 base32 characters)");
export const credentialSchema = z
  .string()
  .max(200)
  .describe("a node credential (hnc_ + 43 base64url characters)");
export const lightningPubkeySchema = z
  .string()
  .regex(/^0[23][0-9a-f]{64}$/, "a compressed secp256k1 public key in hex");
export const recipientIdSchema = z
  .string()
  .max(300)
  .regex(
    /^(miner:[\x21-\x7e]{1,200}|node:hn_[a-z2-7]{16}|treasury)$/,
    "miner:<destination>, node:<node id> or treasury",
  );
const hash32 = z.string().regex(/^[0-9a-f]{64}$/, "32 bytes in lowercase hex");

export const visibilitySchema = z.enum(["public", "private"]);
export const windowPhaseSchema = z.enum(WINDOW_PHASES as [string, ...string[]]);

// ---- nodes ----
export const registerNodeBody = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/, "1–253 characters of letters, digits, '.', '_', '/', '-'"),
  visibility: visibilitySchema,
  lightningPubkey: lightningPubkeySchema.optional(),
});
export const nodeParams = z.strictObject({ nodeId: nodeIdSchema });
export const verifyNodeBody = z.strictObject({ nodeId: nodeIdSchema, credential: credentialSchema });

export const channelTelemetry = z.strictObject({
  id: z.string().min(1).max(100),
  peerPubkey: lightningPubkeySchema,
  capacitySats: satsInput,
  localBalanceSats: satsInput,
  remoteBalanceSats: satsInput,
  active: z.boolean(),
});
export const telemetryBody = z.strictObject({
  lightning: z.strictObject({
    pubkey: lightningPubkeySchema,
    syncedToChain: z.boolean(),
    channels: z.array(channelTelemetry).max(1000),
    onchainBalanceSats: satsInput,
    routingFeesSats: satsInput,
  }),
});

// ---- windows ----
export const windowParams = z.strictObject({ blockHash: blockHashSchema });
export const listWindowsQuery = z.strictObject({
  phase: windowPhaseSchema.optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, "1–1000")
    .transform(Number)
    .refine((n) => n <= 1000, "at most 1000")
    .optional(),
});
export const patchWindowBody = z.strictObject({ hold: z.boolean() });

// ---- payments ----
export const paymentMethodSchema = z.enum(["invoice", "keysend", "onchain"]);
export const paymentIntentBody = z.strictObject({
  windowBlockHash: blockHashSchema,
  recipientId: recipientIdSchema,
  amountSats: satsInput.refine((v) => v > 0n, "must be positive"),
  method: paymentMethodSchema,
  paymentHash: hash32.optional(),
  invoice: z.string().min(1).max(4096).optional(),
});
export const paymentParams = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, "a payment id")
    .transform(Number),
});
export const paymentResultBody = z.strictObject({
  state: z.enum(["succeeded", "failed"]),
  feeSats: satsInput.optional(),
  preimage: hash32.optional(),
  channelId: z.string().min(1).max(100).optional(),
  reason: z.string().min(1).max(500).optional(),
});
export const auditQuery = z.strictObject({
  afterId: z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/)
    .transform(Number)
    .optional(),
  nodeId: nodeIdSchema.optional(),
});

// ---- responses (documentation of what the API returns) ----
export const errorResponse = z.object({
  error: z.object({
    code: z.string().describe("machine-readable reason"),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
      .optional(),
  }),
});
export const credentialResponse = z.object({ nodeId: nodeIdSchema, credential: z.string() });
export const nodeResponse = z.object({
  nodeId: nodeIdSchema,
  name: z.string(),
  visibility: visibilitySchema,
  lightningPubkey: z.string().nullable(),
  telemetry: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("the last report plus reportedAt, sats as strings"),
});
export const windowSummary = z.object({
  phase: windowPhaseSchema,
  blockHash: z.string(),
  height: z.number().int(),
  foundAt: z.string(),
  S: satsOutput,
  F: satsOutput,
  P: satsOutput,
  T: satsOutput,
  N: satsOutput,
  carriedInSats: satsOutput.nullable(),
  carriedForwardSats: satsOutput.nullable(),
  recipientCount: z.number().int().nullable(),
  paidSats: satsOutput,
  inFlightSats: satsOutput,
  pendingSats: satsOutput.describe("credited to miners and nodes and not yet paid (in flight included)"),
  payoutDigest: z.string().nullable(),
  hold: z.boolean(),
  reason: z.string().nullable(),
  rolledInto: z.string().nullable(),
});
export const payoutRecipientOutput = z.object({
  recipientId: z.string(),
  kind: z.enum(["miner", "node", "treasury"]),
  amountSats: satsOutput,
});
export const payoutsResponse = z.object({
  blockHash: z.string(),
  payoutDigest: z.string(),
  canonical: z.string().describe("the canonical payout list (its SHA-256 is payoutDigest)"),
  recipients: z.array(payoutRecipientOutput),
});
export const paymentOutput = z.object({
  id: z.number().int(),
  windowBlockHash: z.string(),
  recipientId: z.string(),
  kind: z.enum(["miner", "node", "treasury"]),
  amountSats: satsOutput,
  method: paymentMethodSchema,
  paymentHash: z.string().nullable(),
  invoice: z.string().nullable(),
  state: z.enum(["pending", "succeeded", "failed"]),
  attempts: z.number().int(),
  feeSats: satsOutput.nullable(),
  channelId: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const dueResponse = z.object({
  thresholdSats: satsOutput,
  due: z.array(
    z.object({
      recipientId: z.string(),
      kind: z.enum(["miner", "node"]),
      destination: z.string().nullable(),
      nodeId: z.string().nullable(),
      windowBlockHash: z.string(),
      amountSats: satsOutput,
    }),
  ),
});
export const ledgerResponse = z.object({
  thresholdSats: satsOutput,
  balances: z.array(
    z.object({
      recipientId: z.string(),
      kind: z.enum(["miner", "node", "treasury"]),
      creditedSats: satsOutput,
      paidSats: satsOutput,
      inFlightSats: satsOutput,
      balanceSats: satsOutput.describe("credited − paid − in flight"),
    }),
  ),
});
export const auditResponse = z.object({
  entries: z.array(
    z.object({
      id: z.number().int(),
      at: z.string(),
      event: z.enum(["intent", "attempt-failed", "succeeded", "failed"]),
      paymentId: z.number().int(),
      windowBlockHash: z.string(),
      recipientId: z.string(),
      nodeId: z.string().nullable(),
      paymentHash: z.string().nullable(),
      invoice: z.string().nullable(),
      amountSats: satsOutput,
      feeSats: satsOutput.nullable(),
      channelId: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
});
