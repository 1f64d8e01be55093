import { readFileSync } from "node:fs";
import type { LndConnection } from "@hyperhash/lightning";
import type { LogLevel } from "@hyperhash/telemetry";
import { z } from "zod";

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
  /** Where telemetry goes; without it the agent reports nothing. */
  core?: { url: string; nodeId: string; credential: string; telemetryIntervalMs: number };
  tls?: AgentTls;
  logLevel: LogLevel;
}

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(16, "tokens are at least 16 characters");

const envSchema = z.object({
  HH_AGENT_HOST: z.string().min(1).default("127.0.0.1"),
  HH_AGENT_PORT: port.default(9740),
  HH_AGENT_OPS_PORT: port.optional(),
  HH_AGENT_API_TOKEN: secret.optional(),
  HH_AGENT_API_TOKEN_FILE: z.string().min(1).optional(),
  HH_AGENT_LND_SOCKET: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
  HH_AGENT_LND_CERT_PATH: z.string().min(1),
  HH_AGENT_LND_MACAROON_PATH: z.string().min(1),
  HH_AGENT_TREASURY_PUBKEY: z.string().regex(/^[0-9a-f]{66}$/, "33-byte compressed pubkey, hex"),
  HH_AGENT_INVOICE_STORE: z.string().min(1),
  HH_AGENT_INVOICE_EXPIRY_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
  HH_AGENT_CORE_URL: z.url().optional(),
  HH_AGENT_NODE_ID: z.string().min(1).max(128).optional(),
  HH_AGENT_NODE_CREDENTIAL: secret.optional(),
  HH_AGENT_NODE_CREDENTIAL_FILE: z.string().min(1).optional(),
  HH_AGENT_TELEMETRY_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  HH_AGENT_TLS_CERT_PATH: z.string().min(1).optional(),
  HH_AGENT_TLS_KEY_PATH: z.string().min(1).optional(),
  HH_AGENT_TLS_CLIENT_CA_PATH: z.string().min(1).optional(),
  HH_AGENT_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

const readText = (path: string) => readFileSync(path, "utf8").trim();

/** Reads and validates the HH_AGENT_* environment; file paths are read here. Throws on bad config. */
export function configFromEnv(env: NodeJS.ProcessEnv): NodeAgentConfig {
  const e = envSchema.parse(env);
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
  return {
    host: e.HH_AGENT_HOST,
    port: e.HH_AGENT_PORT,
    opsPort: e.HH_AGENT_OPS_PORT,
    apiToken,
    lnd: {
      socket: e.HH_AGENT_LND_SOCKET,
      certPem: readFileSync(e.HH_AGENT_LND_CERT_PATH, "utf8"),
      macaroonHex: readFileSync(e.HH_AGENT_LND_MACAROON_PATH).toString("hex"),
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
    logLevel: e.HH_AGENT_LOG_LEVEL,
  };
}
