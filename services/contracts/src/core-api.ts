/**
 * Core's REST API contract, written once in zod: Core validates requests with these schemas,
 * generates /openapi.json from them and serves bodies of the response schemas; every client
 * (treasury, operator, node agent, devnet, end-to-end tests) parses Core's answers with the
 * same schemas instead of re-declaring them.
 */
import { z } from "zod";
import { blockHash, hash32, lightningPubkey, nodeId, recipientId } from "./ids.ts";
import { satsInput, satsString } from "./money.ts";

/** Window phases (ARCHITECTURE.md "PayoutWindow"). */
export const WINDOW_PHASES = ["Maturing", "Calculated", "Paying", "Settled", "Orphaned", "Failed"] as const;
export type WindowPhase = (typeof WINDOW_PHASES)[number];

/** Sats in a response: always a decimal string (the one wire form). */
export const satsOutput = satsString;

export const blockHashSchema = blockHash;
export const nodeIdSchema = nodeId;
export const lightningPubkeySchema = lightningPubkey;
export const recipientIdSchema = recipientId;
export const credentialSchema = z
  .string()
  .max(200)
  .describe("a node credential (hnc_ + 43 base64url characters)");

export const visibilitySchema = z.enum(["public", "private"]);
export const windowPhaseSchema = z.enum(WINDOW_PHASES);

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
/** `POST /api/v1/nodes/verify`: whether the credential is the node's current one. */
export const verifyNodeResponse = z.object({ valid: z.boolean() });

/**
 * Where the treasury asks a node's agent for payout invoices, and the bearer token the agent's
 * `POST /api/v1/invoices` requires (HH_AGENT_API_TOKEN). The agent reports it with its
 * telemetry; Core serves the token only to the treasury (`GET /api/v1/nodes/:nodeId/agent`).
 */
export const nodeAgentEndpoint = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  token: z.string().min(16).max(512),
});

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
  /** The node agent's payout API; optional so agents that predate it still report. */
  agent: nodeAgentEndpoint.optional(),
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
  // Loose: refusals add details beside code and message (409 node-exists names the nodeId).
  error: z.looseObject({
    code: z.string().describe("machine-readable reason"),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
      .optional(),
    nodeId: nodeIdSchema.optional().describe("409 node-exists: the id registered under that name"),
  }),
});
export const credentialResponse = z.object({ nodeId: nodeIdSchema, credential: z.string().min(16).max(200) });
/** `DELETE /api/v1/nodes/:nodeId` (operator): who deregistered the node and when. */
export const deregisteredResponse = z.object({
  nodeId: nodeIdSchema,
  name: z.string(),
  deregisteredAt: z.iso.datetime({ offset: true }),
  deregisteredBy: z.string(),
});
/**
 * A node's last telemetry as Core serves it: the report as {@link telemetryBody} took it, sats
 * as decimal strings, the agent's endpoint without its token (only the treasury's route has it).
 */
export const nodeTelemetryOutput = z.object({
  lightning: z.object({
    pubkey: lightningPubkeySchema,
    syncedToChain: z.boolean(),
    channels: z.array(
      z.object({
        id: z.string(),
        peerPubkey: lightningPubkeySchema,
        capacitySats: satsOutput,
        localBalanceSats: satsOutput,
        remoteBalanceSats: satsOutput,
        active: z.boolean(),
      }),
    ),
    onchainBalanceSats: satsOutput,
    routingFeesSats: satsOutput,
  }),
  agent: z.object({ url: z.string() }).optional(),
  reportedAt: z.iso.datetime({ offset: true }),
});
export const nodeResponse = z.object({
  nodeId: nodeIdSchema,
  name: z.string(),
  visibility: visibilitySchema,
  lightningPubkey: lightningPubkey.nullable(),
  telemetry: nodeTelemetryOutput.nullable().describe("the last report plus reportedAt, sats as strings"),
});
/** `GET /api/v1/nodes` (admin). */
export const listNodesResponse = z.object({ nodes: z.array(nodeResponse) });
/** `POST /api/v1/nodes/:nodeId/telemetry` (the node agent): when Core stored the report. */
export const telemetryAcceptedResponse = z.object({ reportedAt: z.iso.datetime({ offset: true }) });
/** `GET /api/v1/nodes/:nodeId/agent` (treasury): the node's agent endpoint and its token. */
export const nodeAgentResponse = z.object({
  nodeId: nodeIdSchema,
  url: z.string(),
  token: z.string(),
  reportedAt: z.string(),
});
export const windowSummary = z.object({
  phase: windowPhaseSchema,
  blockHash: blockHash,
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
  payoutDigest: hash32.nullable(),
  hold: z.boolean(),
  reason: z.string().nullable(),
  rolledInto: z.string().nullable(),
});
/** `GET /api/v1/windows` (admin, treasury): summaries in window order. */
export const listWindowsResponse = z.object({ windows: z.array(windowSummary) });
export const payoutRecipientOutput = z.object({
  recipientId: recipientId,
  kind: z.enum(["miner", "node", "treasury"]),
  amountSats: satsOutput,
});
export const payoutsResponse = z.object({
  blockHash: blockHash,
  payoutDigest: hash32,
  canonical: z.string().describe("the canonical payout list (its SHA-256 is payoutDigest)"),
  recipients: z.array(payoutRecipientOutput),
});
export const paymentOutput = z.object({
  id: z.number().int(),
  windowBlockHash: blockHash,
  recipientId: recipientId,
  kind: z.enum(["miner", "node", "treasury"]),
  amountSats: satsOutput,
  method: paymentMethodSchema,
  paymentHash: hash32.nullable(),
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
      recipientId: recipientId,
      kind: z.enum(["miner", "node"]),
      destination: z.string().nullable(),
      nodeId: nodeId.nullable(),
      windowBlockHash: blockHash,
      amountSats: satsOutput,
    }),
  ),
});
export const ledgerResponse = z.object({
  thresholdSats: satsOutput,
  balances: z.array(
    z.object({
      recipientId: recipientId,
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
      windowBlockHash: blockHash,
      recipientId: recipientId,
      nodeId: nodeId.nullable(),
      paymentHash: hash32.nullable(),
      invoice: z.string().nullable(),
      amountSats: satsOutput,
      feeSats: satsOutput.nullable(),
      channelId: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
});
