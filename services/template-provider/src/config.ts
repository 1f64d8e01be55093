/**
 * hh-tp configuration: the programmatic {@link TemplateProviderConfig}, and the zod-validated
 * `HH_TP_*` environment that `main.ts` turns into one.
 */
import { readFileSync } from "node:fs";
import type { BitcoinRpc, JsonRpcEndpoint, Network } from "@hyperhash/bitcoin";
import { parseAuthoritySecretKey } from "@hyperhash/sv2";
import type { LogLevel } from "@hyperhash/telemetry";
import { z } from "zod";

/** Configuration of {@link startTemplateProvider}. */
export interface TemplateProviderConfig {
  network: Network;
  /** The node (btcd or Bitcoin Core): getblocktemplate, submitblock, getbestblockhash. */
  rpc: BitcoinRpc;
  /**
   * The same node's endpoint, for what BitcoinRpc does not carry: the BIP22 long poll (new
   * tips without polling) and, on btcd, the mempool top-up of fee updates. Without it the
   * TP polls getbestblockhash and takes fee updates from getblocktemplate alone.
   */
  rpcEndpoint?: JsonRpcEndpoint;
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** 0 (default) = a free port. */
  listenPort?: number;
  /** 32-byte secret; the TP signs its Noise certificate with it. */
  authoritySecretKey: Uint8Array;
  /** Validity of each certificate, from the handshake. Default 3,600 s (SRI's default). */
  certificateValiditySeconds?: number;
  /** Least time between two templates to one client for fee updates. Default 5,000 ms. */
  feeUpdateIntervalMs?: number;
  /** How often the node is asked for a better template. Default half the update interval, 250..2,500 ms. */
  feeCheckIntervalMs?: number;
  /** Least fee gain (sats) worth a new template, like Core's -sv2feedelta. Default 1,000. */
  minFeeDeltaSats?: bigint;
  /** getbestblockhash period when the node cannot long-poll. Default 250 ms. */
  tipPollIntervalMs?: number;
  /** Port of /metrics /healthz /readyz; 0 (default) = a free port. */
  opsPort?: number;
  /** Host of the ops endpoint. Default: `listenHost`. */
  opsHost?: string;
  /** Clients at once; more are refused at accept. Default 1,024. */
  maxClients?: number;
  logLevel?: LogLevel;
  /**
   * Called after each new tip was written to every client: `observedAt` is when the tip
   * notification saw it, `servedAt` when the last write was accepted (performance.now()).
   */
  onTipServed?: (info: {
    prevHash: string;
    height: number;
    observedAt: number;
    servedAt: number;
    clients: number;
  }) => void;
  /** Where log lines go (tests); stderr by default. */
  logWrite?: (line: string) => void;
}

const logLevel = z.enum(["debug", "info", "warn", "error"]);
const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The `HH_TP_*` environment variables, validated. */
export const envSchema = z
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
/** The validated environment. */
export type TpEnv = z.infer<typeof envSchema>;

/** Everything of the config that comes from the environment (the RPC client is built from it). */
export interface EnvConfig {
  readonly env: TpEnv;
  readonly endpoint: JsonRpcEndpoint;
  readonly authoritySecretKey: Uint8Array;
}

/** The config error, with every problem on its own line and no secret values. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Validates `HH_TP_*` from `source` and reads the files it names. Files are read here so
 * a missing Secret fails at start, not at the first RPC.
 */
export function loadEnvConfig(
  source: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): EnvConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`).join("\n"),
    );
  }
  const env = parsed.data;
  const password = env.HH_TP_RPC_PASSWORD_FILE
    ? readFile(env.HH_TP_RPC_PASSWORD_FILE).trim()
    : (env.HH_TP_RPC_PASSWORD ?? "");
  const keyText = env.HH_TP_AUTHORITY_SECRET_KEY_FILE
    ? readFile(env.HH_TP_AUTHORITY_SECRET_KEY_FILE).trim()
    : (env.HH_TP_AUTHORITY_SECRET_KEY ?? "");
  let authoritySecretKey: Uint8Array;
  try {
    authoritySecretKey = parseAuthoritySecretKey(keyText);
  } catch (error) {
    throw new ConfigError(`HH_TP_AUTHORITY_SECRET_KEY: ${(error as Error).message}`);
  }
  const endpoint: JsonRpcEndpoint = {
    url: env.HH_TP_RPC_URL,
    user: env.HH_TP_RPC_USER,
    password,
    ...(env.HH_TP_RPC_CERT_FILE ? { caPem: readFile(env.HH_TP_RPC_CERT_FILE) } : {}),
  };
  return { env, endpoint, authoritySecretKey };
}
