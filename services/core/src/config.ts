/** Core's configuration: one zod schema for startCore, and the HH_CORE_* environment mapping. */
import { NETWORKS, type Network } from "@hyperhash/bitcoin";
import { z } from "zod";

const token = z
  .string()
  .min(16, "tokens are at least 16 characters")
  .max(512)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII");

/** Everything startCore needs (the Bitcoin RPC is passed in, built from the env by main). */
export const coreConfigSchema = z.object({
  network: z.enum(NETWORKS as [Network, ...Network[]]),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  opsHost: z.string().default("127.0.0.1"),
  opsPort: z.number().int().min(0).max(65535).default(0),
  /** SQLite file (WAL); ":memory:" for tests. */
  dbPath: z.string().min(1),
  adminToken: token,
  poolToken: token,
  treasuryToken: token,
  /** The pool's HTTP base URL for its outbox; without it no block events are consumed. */
  poolUrl: z.url().optional(),
  poolOutboxToken: token.optional(),
  /** Default: 100 on mainnet/signet/testnet4, 1 on regtest. */
  payoutConfirmations: z.number().int().min(1).max(10_000).optional(),
  payoutThresholdSats: z.bigint().nonnegative().default(1000n),
  maxPaymentAttempts: z.number().int().min(1).max(100).default(3),
  pollIntervalMs: z.number().int().min(50).max(600_000).default(2000),
  outboxBatch: z.number().int().min(1).max(1000).default(20),
  outboxMaxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(256 * 1024),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
});
export type CoreConfigInput = z.input<typeof coreConfigSchema>;
export type CoreConfig = z.output<typeof coreConfigSchema>;

const int = z
  .string()
  .regex(/^[0-9]+$/)
  .transform(Number);
const optionalInt = int.optional();

/** The environment of `main`: HH_CORE_* (README lists every variable). */
export const coreEnvSchema = z.object({
  HH_CORE_NETWORK: z.enum(NETWORKS as [Network, ...Network[]]),
  HH_CORE_HOST: z.string().default("0.0.0.0"),
  HH_CORE_PORT: int.default(8080),
  HH_CORE_OPS_HOST: z.string().default("0.0.0.0"),
  HH_CORE_OPS_PORT: int.default(9090),
  HH_CORE_DB_PATH: z.string().min(1),
  HH_CORE_ADMIN_TOKEN: token,
  HH_CORE_POOL_TOKEN: token,
  HH_CORE_TREASURY_TOKEN: token,
  HH_CORE_POOL_URL: z.url().optional(),
  HH_CORE_POOL_OUTBOX_TOKEN: token.optional(),
  HH_CORE_BITCOIN_RPC_URL: z.url(),
  HH_CORE_BITCOIN_RPC_USER: z.string().min(1),
  HH_CORE_BITCOIN_RPC_PASSWORD: z.string().min(1),
  HH_CORE_BITCOIN_RPC_CA_FILE: z.string().optional(),
  HH_CORE_BITCOIN_RPC_DIALECT: z.enum(["btcd", "core"]).default("core"),
  HH_CORE_PAYOUT_CONFIRMATIONS: optionalInt,
  HH_CORE_PAYOUT_THRESHOLD_SATS: z
    .string()
    .regex(/^[0-9]{1,16}$/)
    .transform(BigInt)
    .optional(),
  HH_CORE_MAX_PAYMENT_ATTEMPTS: optionalInt,
  HH_CORE_POLL_INTERVAL_MS: optionalInt,
  HH_CORE_MAX_BODY_BYTES: optionalInt,
  HH_CORE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).optional(),
});
export type CoreEnv = z.output<typeof coreEnvSchema>;

/** Maps a validated environment to startCore's input (the RPC settings are main's). */
export function configFromEnv(env: CoreEnv): CoreConfigInput {
  const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : { [key]: v });
  return {
    network: env.HH_CORE_NETWORK,
    host: env.HH_CORE_HOST,
    port: env.HH_CORE_PORT,
    opsHost: env.HH_CORE_OPS_HOST,
    opsPort: env.HH_CORE_OPS_PORT,
    dbPath: env.HH_CORE_DB_PATH,
    adminToken: env.HH_CORE_ADMIN_TOKEN,
    poolToken: env.HH_CORE_POOL_TOKEN,
    treasuryToken: env.HH_CORE_TREASURY_TOKEN,
    ...opt("poolUrl", env.HH_CORE_POOL_URL),
    ...opt("poolOutboxToken", env.HH_CORE_POOL_OUTBOX_TOKEN),
    ...opt("payoutConfirmations", env.HH_CORE_PAYOUT_CONFIRMATIONS),
    ...opt("payoutThresholdSats", env.HH_CORE_PAYOUT_THRESHOLD_SATS),
    ...opt("maxPaymentAttempts", env.HH_CORE_MAX_PAYMENT_ATTEMPTS),
    ...opt("pollIntervalMs", env.HH_CORE_POLL_INTERVAL_MS),
    ...opt("maxBodyBytes", env.HH_CORE_MAX_BODY_BYTES),
    ...opt("logLevel", env.HH_CORE_LOG_LEVEL),
  };
}
