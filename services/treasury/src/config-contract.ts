/**
 * hh-treasury's environment contract: the schema `configFromEnv` parses, exported as
 * `@hyperhash/treasury/config` for whatever renders the treasury's pods (the Helm chart's test
 * parses its env with it). Side-effect free.
 */
import { z } from "zod";

/** Bearer tokens and credentials. */
export const secret = z.string().min(16, "tokens are at least 16 characters");
const port = z.coerce.number().int().min(0).max(65535);
const intSats = z.string().regex(/^(0|[1-9]\d{0,15})$/);

/** Every HH_TREASURY_* variable hh-treasury reads. There is no fault switch here: see the README. */
export const treasuryEnvSchema = z.object({
  HH_TREASURY_CORE_URL: z.url(),
  HH_TREASURY_CORE_TOKEN: secret.optional(),
  HH_TREASURY_CORE_TOKEN_FILE: z.string().min(1).optional(),
  HH_TREASURY_LND_SOCKET: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
  HH_TREASURY_LND_CERT_PATH: z.string().min(1),
  HH_TREASURY_LND_MACAROON_PATH: z.string().min(1),
  HH_TREASURY_DB_PATH: z.string().min(1),
  HH_TREASURY_AGENTS: z.string().optional(),
  HH_TREASURY_AGENTS_FILE: z.string().min(1).optional(),
  HH_TREASURY_FEE_LIMIT_SATS: intSats.default("10"),
  HH_TREASURY_FEE_LIMIT_PPM: intSats.default("5000"),
  HH_TREASURY_MIN_INVOICE_LIFE_SECONDS: z.coerce.number().int().min(0).default(120),
  HH_TREASURY_ONCHAIN_MIN_SATS: intSats.default("100000"),
  HH_TREASURY_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(5000),
  HH_TREASURY_METRICS_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  HH_TREASURY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  HH_TREASURY_OPS_HOST: z.string().min(1).default("127.0.0.1"),
  HH_TREASURY_OPS_PORT: port.optional(),
  HH_TREASURY_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});
