/**
 * hh-tp's environment contract: the one schema `loadEnvConfig` parses and the operator's pod
 * builders (cdk8s) write. Side-effect free (zod only); exported as
 * `@hyperhash/template-provider/config`.
 */
import { z } from "zod";

const logLevel = z.enum(["debug", "info", "warn", "error"]);
const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Every HH_TP_* variable hh-tp reads. */
export const tpEnvSchema = z
  .object({
    HH_TP_NETWORK: z.enum(["regtest", "signet", "testnet4", "mainnet"]),
    HH_TP_RPC_URL: z.url({ protocol: /^https?$/ }),
    HH_TP_RPC_USER: z.string().min(1).max(256),
    HH_TP_RPC_PASSWORD: z.string().min(1).max(1024).optional(),
    /** A file holding the password (a mounted Secret); wins over HH_TP_RPC_PASSWORD. */
    HH_TP_RPC_PASSWORD_FILE: z.string().min(1).optional(),
    /** PEM of the node's RPC certificate (btcd's self-signed TLS). */
    HH_TP_RPC_CERT_FILE: z.string().min(1).optional(),
    HH_TP_RPC_DIALECT: z.enum(["btcd", "core"]).default("core"),
    HH_TP_LISTEN_HOST: z.string().min(1).default("127.0.0.1"),
    HH_TP_LISTEN_PORT: intFromEnv(0, 65_535).default(8442),
    /** base58check of the raw 32-byte secret, as SRI configs store `authority_secret_key`. */
    HH_TP_AUTHORITY_SECRET_KEY: z.string().min(1).max(128).optional(),
    HH_TP_AUTHORITY_SECRET_KEY_FILE: z.string().min(1).optional(),
    HH_TP_CERT_VALIDITY_SECONDS: intFromEnv(60, 10 * 365 * 86_400).default(3_600),
    HH_TP_FEE_UPDATE_INTERVAL_MS: intFromEnv(100, 3_600_000).default(5_000),
    HH_TP_FEE_CHECK_INTERVAL_MS: intFromEnv(50, 3_600_000).optional(),
    HH_TP_MIN_FEE_DELTA_SATS: intFromEnv(0, 2_100_000_000).default(1_000),
    HH_TP_TIP_POLL_INTERVAL_MS: intFromEnv(10, 60_000).default(250),
    HH_TP_OPS_HOST: z.string().min(1).optional(),
    HH_TP_OPS_PORT: intFromEnv(0, 65_535).default(9442),
    HH_TP_MAX_CLIENTS: intFromEnv(1, 100_000).default(1_024),
    HH_TP_LOG_LEVEL: logLevel.default("info"),
  })
  .refine((e) => e.HH_TP_RPC_PASSWORD || e.HH_TP_RPC_PASSWORD_FILE, {
    message: "set HH_TP_RPC_PASSWORD or HH_TP_RPC_PASSWORD_FILE",
  })
  .refine((e) => e.HH_TP_AUTHORITY_SECRET_KEY || e.HH_TP_AUTHORITY_SECRET_KEY_FILE, {
    message: "set HH_TP_AUTHORITY_SECRET_KEY or HH_TP_AUTHORITY_SECRET_KEY_FILE",
  });

/** The names of the contract, for builders: a name not in the schema does not type-check. */
export type TpEnvName = keyof z.input<typeof tpEnvSchema>;
/** The environment as a pod spec writes it (strings; enums keep their literal values). */
export type TpEnvInput = z.input<typeof tpEnvSchema>;
