/**
 * Configuration of hh-translator, written once as zod: `startTranslator` validates what it
 * is given and `main.ts` builds it from HH_TRANSLATOR_* variables.
 */
import { z } from "zod";
import { TRANSLATOR_CHANNEL_MODES } from "./config-contract.ts";

const isPowerOfTwo = (d: number) => Number.isFinite(d) && d > 0 && 2 ** Math.round(Math.log2(d)) === d;
const difficulty = z.number().positive().refine(isPowerOfTwo, "difficulty must be a power of two");

/** One upstream pool endpoint; the list is tried in order (failover). */
export const UpstreamEndpointSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  /** Pool authority key (base58check); when absent the certificate is not verified. */
  authorityPublicKey: z.string().min(1).max(128).optional(),
});
/** One upstream endpoint. */
export type UpstreamEndpoint = z.infer<typeof UpstreamEndpointSchema>;

/** Everything `startTranslator` needs. */
export const TranslatorConfigSchema = z
  .object({
    /** Address the SV1 server listens on. */
    host: z.string().default("127.0.0.1"),
    /** SV1 port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(34255),
    /** Ops HTTP (/metrics, /healthz, /readyz); 0 picks a free one. */
    opsHost: z.string().default("127.0.0.1"),
    opsPort: z.number().int().min(0).max(65535).default(0),
    /** Upstream pools in order of preference. */
    upstreams: z.array(UpstreamEndpointSchema).min(1).max(16),
    /** HyperNode id issued by Core: first part of every user identity. */
    nodeId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
    /** Node credential issued by Core, sent in SetupConnection.device_id as `<nodeId>:<credential>`. */
    credential: z.string().min(1).max(180),
    /** `per-miner`: one extended channel per SV1 miner; `aggregated`: one for the translator. */
    channelMode: z.enum(TRANSLATOR_CHANNEL_MODES).default("per-miner"),
    /** Aggregated mode: `<payout destination>[.<worker>]` the whole translator mines as. */
    aggregatedIdentity: z.string().min(1).max(160).optional(),
    /** extranonce2_size given to miners (cgminer-family firmware breaks above 8). */
    extranonce2Size: z.number().int().min(1).max(8).default(4),
    /** SV1 connections held at once; sets the width of the extranonce1 index. */
    maxMiners: z.number().int().min(1).max(65536).default(65536),
    /** BIP310 mask offered to miners (∩ what they ask for). */
    versionRollingMask: z.number().int().min(0).max(0xffffffff).default(0x1fffe000),
    /** Longest SV1 line accepted, in bytes. */
    maxLineBytes: z
      .number()
      .int()
      .min(256)
      .max(1 << 20)
      .default(16 * 1024),
    /** A miner that sends nothing for this long is disconnected. */
    idleTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(10 * 60_000),
    /** Consecutive bad lines (parse errors, unknown methods, bad params) before a disconnect. */
    maxConsecutiveErrors: z.number().int().min(1).default(20),
    /** Difficulty before vardiff, d= or suggest_difficulty say otherwise. */
    initialDifficulty: difficulty.default(1),
    minDifficulty: difficulty.default(2 ** -32),
    maxDifficulty: difficulty.default(2 ** 52),
    /** Vardiff aim, per SV1 miner. */
    targetSharesPerMinute: z.number().positive().default(6),
    /** Seconds a vardiff window must span before it is judged. */
    vardiffWindowSeconds: z.number().positive().default(60),
    /** A window with this many shares is judged at once. */
    vardiffBurstShares: z.number().int().min(1).default(30),
    /** Hash rate declared when opening a channel (H/s). */
    nominalHashRate: z.number().positive().default(1e12),
    /** Time to wait for the pool's verdict on a forwarded share. */
    shareVerdictTimeoutMs: z.number().int().min(100).default(30_000),
    /** Time mining.authorize waits for an upstream channel (upstream down, slow pool). */
    channelOpenTimeoutMs: z.number().int().min(100).default(30_000),
    /** Reconnect backoff: first delay and cap. */
    reconnectMinMs: z.number().int().min(10).default(250),
    reconnectMaxMs: z.number().int().min(10).default(10_000),
    /** Noise handshake deadline. */
    handshakeTimeoutMs: z.number().int().min(100).default(10_000),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  })
  .refine((c) => c.minDifficulty <= c.maxDifficulty, "minDifficulty must not exceed maxDifficulty")
  .refine(
    (c) => c.initialDifficulty >= c.minDifficulty && c.initialDifficulty <= c.maxDifficulty,
    "initialDifficulty must lie within the bounds",
  )
  .refine(
    (c) => c.channelMode === "per-miner" || c.aggregatedIdentity !== undefined,
    "aggregated mode needs aggregatedIdentity",
  );

/** Validated configuration. */
export type TranslatorConfig = z.infer<typeof TranslatorConfigSchema>;
/** Configuration as callers write it (defaults optional). */
export type TranslatorConfigInput = z.input<typeof TranslatorConfigSchema>;
