/**
 * hh-translator's environment contract: the one schema `configFromEnv` (env.ts) parses and
 * the operator's pod builders (cdk8s) write. Side-effect free (zod only); exported as
 * `@hyperhash/translator/config`.
 */
import { z } from "zod";

/** `per-miner`: one extended channel per SV1 miner; `aggregated`: one for the translator. */
export const TRANSLATOR_CHANNEL_MODES = ["per-miner", "aggregated"] as const;
export type TranslatorChannelMode = (typeof TRANSLATOR_CHANNEL_MODES)[number];

const int = z.coerce.number().int();
const num = z.coerce.number();

/** Every HH_TRANSLATOR_* variable the translator reads. */
export const translatorEnvSchema = z.object({
  HH_TRANSLATOR_HOST: z.string().optional(),
  HH_TRANSLATOR_PORT: int.optional(),
  HH_TRANSLATOR_OPS_HOST: z.string().optional(),
  HH_TRANSLATOR_OPS_PORT: int.optional(),
  /** Comma-separated `host:port[#authorityPublicKey]`, in failover order. */
  HH_TRANSLATOR_UPSTREAMS: z.string().min(1),
  HH_TRANSLATOR_NODE_ID: z.string().min(1),
  /** The credential itself, or … */
  HH_TRANSLATOR_CREDENTIAL: z.string().optional(),
  /** … a file holding it (a mounted Secret). */
  HH_TRANSLATOR_CREDENTIAL_FILE: z.string().optional(),
  HH_TRANSLATOR_CHANNEL_MODE: z.enum(TRANSLATOR_CHANNEL_MODES).optional(),
  HH_TRANSLATOR_AGGREGATED_IDENTITY: z.string().optional(),
  HH_TRANSLATOR_EXTRANONCE2_SIZE: int.optional(),
  HH_TRANSLATOR_MAX_MINERS: int.optional(),
  HH_TRANSLATOR_VERSION_ROLLING_MASK: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,8}$/)
    .transform((s) => Number.parseInt(s.replace(/^0x/, ""), 16))
    .optional(),
  HH_TRANSLATOR_MAX_LINE_BYTES: int.optional(),
  HH_TRANSLATOR_IDLE_TIMEOUT_MS: int.optional(),
  HH_TRANSLATOR_INITIAL_DIFFICULTY: num.optional(),
  HH_TRANSLATOR_MIN_DIFFICULTY: num.optional(),
  HH_TRANSLATOR_MAX_DIFFICULTY: num.optional(),
  HH_TRANSLATOR_SHARES_PER_MINUTE: num.optional(),
  HH_TRANSLATOR_NOMINAL_HASH_RATE: num.optional(),
  HH_TRANSLATOR_RECONNECT_MIN_MS: int.optional(),
  HH_TRANSLATOR_RECONNECT_MAX_MS: int.optional(),
  HH_TRANSLATOR_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).optional(),
});

/** The names of the contract, for builders: a name not in the schema does not type-check. */
export type TranslatorEnvName = keyof z.input<typeof translatorEnvSchema>;
/** The environment as a pod spec writes it (strings; enums keep their literal values). */
export type TranslatorEnvInput = z.input<typeof translatorEnvSchema>;
