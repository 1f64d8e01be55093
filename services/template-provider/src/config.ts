/**
 * hh-tp configuration: the programmatic {@link TemplateProviderConfig}, and the zod-validated
 * `HH_TP_*` environment that `main.ts` turns into one.
 */
import { readFileSync } from "node:fs";
import type { BitcoinRpc, JsonRpcEndpoint, Network } from "@hyperhash/bitcoin";
import { encodeAuthoritySecretKey, parseAuthoritySecretKey } from "@hyperhash/sv2";
import type { LogLevel } from "@hyperhash/telemetry";
import type { z } from "zod";
import { tpEnvSchema } from "./config-contract.ts";

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

/** The `HH_TP_*` environment variables, validated (the contract lives in config-contract.ts). */
export const envSchema = tpEnvSchema;
/** The validated environment. */
export type TpEnv = z.infer<typeof tpEnvSchema>;

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
    // base58check as SRI stores it, or 64 hex digits as the operator generates it.
    authoritySecretKey = /^[0-9a-fA-F]{64}$/.test(keyText)
      ? parseAuthoritySecretKey(encodeAuthoritySecretKey(Uint8Array.from(Buffer.from(keyText, "hex"))))
      : parseAuthoritySecretKey(keyText);
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
