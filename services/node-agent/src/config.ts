import { readFileSync } from "node:fs";
import type { LndConnection } from "@hyperhash/lightning";
import type { LogLevel } from "@hyperhash/telemetry";
import { z } from "zod";
import { nodeAgentEnvSchema } from "./config-contract.ts";

/** TLS for the payout API; with `clientCaPem` the treasury must present a client certificate. */
export interface AgentTls {
  certPem: string;
  keyPem: string;
  clientCaPem?: string;
}

/** Everything startNodeAgent needs, already validated. */
export interface NodeAgentConfig {
  host: string;
  /** Payout API port; 0 picks a free one. */
  port: number;
  /** Ops port (/metrics, /healthz, /readyz); undefined serves none. */
  opsPort?: number;
  /** Bearer token the treasury presents. */
  apiToken: string;
  lnd: LndConnection;
  treasuryPubkey: string;
  /** JSON file of issued payout invoices. */
  invoiceStorePath: string;
  invoiceExpirySeconds: number;
  /**
   * The payout API's URL as the treasury reaches it (a Service address in a cluster), reported
   * to Core with the telemetry. Default: the listener's own URL unless it listens on a wildcard.
   */
  advertiseUrl?: string;
  /** Where telemetry goes; without it the agent reports nothing. */
  core?: { url: string; nodeId: string; credential: string; telemetryIntervalMs: number };
  tls?: AgentTls;
  /** Managed Lightning (sidecar): what the wallet is initialised with; absent for an external lnd. */
  walletInit?: { passwordPath: string; macaroonRootKeyPath: string; seedSecret: string };
  logLevel: LogLevel;
}

const secret = z.string().min(16, "tokens are at least 16 characters");

/**
 * A macaroon file as lnd writes it (binary), or as a HyperNode's Secret holds it (hex text, the
 * CRD's `macaroonSecretRef`): both give the hex ln-service wants. A binary macaroon starts with
 * a version byte (0x02), so it is never mistaken for hex text.
 */
export function macaroonHex(file: Uint8Array): string {
  const text = Buffer.from(file).toString("utf8").trim();
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? text.toLowerCase() : Buffer.from(file).toString("hex");
}

const readText = (path: string) => readFileSync(path, "utf8").trim();

/**
 * Reads and validates the HH_AGENT_* environment; file paths are read here. Throws on bad config.
 * `lndMacaroonHex` (managed mode: the macaroon the agent baked, managed.ts) replaces
 * HH_AGENT_LND_MACAROON_PATH.
 */
export function configFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: { lndMacaroonHex?: string } = {},
): NodeAgentConfig {
  const e = nodeAgentEnvSchema.parse(env);
  const lndMacaroonHex =
    overrides.lndMacaroonHex ??
    (e.HH_AGENT_LND_MACAROON_PATH && macaroonHex(readFileSync(e.HH_AGENT_LND_MACAROON_PATH)));
  if (!lndMacaroonHex) throw new Error("HH_AGENT_LND_MACAROON_PATH is required unless HH_AGENT_MANAGED=true");
  const apiToken =
    e.HH_AGENT_API_TOKEN ?? (e.HH_AGENT_API_TOKEN_FILE && secret.parse(readText(e.HH_AGENT_API_TOKEN_FILE)));
  if (!apiToken) throw new Error("HH_AGENT_API_TOKEN or HH_AGENT_API_TOKEN_FILE is required");
  const credential =
    e.HH_AGENT_NODE_CREDENTIAL ??
    (e.HH_AGENT_NODE_CREDENTIAL_FILE && secret.parse(readText(e.HH_AGENT_NODE_CREDENTIAL_FILE)));
  const coreParts = [e.HH_AGENT_CORE_URL, e.HH_AGENT_NODE_ID, credential];
  if (coreParts.some(Boolean) && !coreParts.every(Boolean))
    throw new Error("HH_AGENT_CORE_URL, HH_AGENT_NODE_ID and a node credential go together");
  if (Boolean(e.HH_AGENT_TLS_CERT_PATH) !== Boolean(e.HH_AGENT_TLS_KEY_PATH))
    throw new Error("HH_AGENT_TLS_CERT_PATH and HH_AGENT_TLS_KEY_PATH go together");
  const walletParts = [
    e.HH_AGENT_LND_WALLET_PASSWORD_PATH,
    e.HH_AGENT_LND_MACAROON_ROOT_KEY_PATH,
    e.HH_AGENT_SEED_SECRET,
  ];
  if (walletParts.some(Boolean) && !walletParts.every(Boolean))
    throw new Error(
      "HH_AGENT_LND_WALLET_PASSWORD_PATH, HH_AGENT_LND_MACAROON_ROOT_KEY_PATH and HH_AGENT_SEED_SECRET go together",
    );
  return {
    host: e.HH_AGENT_HOST,
    port: e.HH_AGENT_PORT,
    opsPort: e.HH_AGENT_OPS_PORT,
    apiToken,
    ...(e.HH_AGENT_ADVERTISE_URL
      ? { advertiseUrl: e.HH_AGENT_ADVERTISE_URL }
      : e.HH_AGENT_POD_IP
        ? {
            advertiseUrl: `http://${e.HH_AGENT_POD_IP.includes(":") ? `[${e.HH_AGENT_POD_IP}]` : e.HH_AGENT_POD_IP}:${e.HH_AGENT_PORT}`,
          }
        : {}),
    lnd: {
      socket: e.HH_AGENT_LND_SOCKET,
      certPem: readFileSync(e.HH_AGENT_LND_CERT_PATH, "utf8"),
      macaroonHex: lndMacaroonHex,
    },
    treasuryPubkey: e.HH_AGENT_TREASURY_PUBKEY,
    invoiceStorePath: e.HH_AGENT_INVOICE_STORE,
    invoiceExpirySeconds: e.HH_AGENT_INVOICE_EXPIRY_SECONDS,
    core:
      e.HH_AGENT_CORE_URL && e.HH_AGENT_NODE_ID && credential
        ? {
            url: e.HH_AGENT_CORE_URL,
            nodeId: e.HH_AGENT_NODE_ID,
            credential,
            telemetryIntervalMs: e.HH_AGENT_TELEMETRY_INTERVAL_MS,
          }
        : undefined,
    tls:
      e.HH_AGENT_TLS_CERT_PATH && e.HH_AGENT_TLS_KEY_PATH
        ? {
            certPem: readFileSync(e.HH_AGENT_TLS_CERT_PATH, "utf8"),
            keyPem: readFileSync(e.HH_AGENT_TLS_KEY_PATH, "utf8"),
            clientCaPem: e.HH_AGENT_TLS_CLIENT_CA_PATH && readFileSync(e.HH_AGENT_TLS_CLIENT_CA_PATH, "utf8"),
          }
        : undefined,
    walletInit:
      e.HH_AGENT_LND_WALLET_PASSWORD_PATH && e.HH_AGENT_LND_MACAROON_ROOT_KEY_PATH && e.HH_AGENT_SEED_SECRET
        ? {
            passwordPath: e.HH_AGENT_LND_WALLET_PASSWORD_PATH,
            macaroonRootKeyPath: e.HH_AGENT_LND_MACAROON_ROOT_KEY_PATH,
            seedSecret: e.HH_AGENT_SEED_SECRET,
          }
        : undefined,
    logLevel: e.HH_AGENT_LOG_LEVEL,
  };
}
