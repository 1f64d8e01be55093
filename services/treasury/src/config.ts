import { readFileSync } from "node:fs";
import type { LndConnection } from "@hyperhash/lightning";
import type { LogLevel } from "@hyperhash/telemetry";
import { z } from "zod";
import type { AgentEndpoint } from "./agent-client.ts";
import { parseFault } from "./checks.ts";

/** Everything startTreasury needs, already validated. */
export interface TreasuryConfig {
  core: { url: string; token: string };
  lnd: LndConnection;
  /** SQLite file of payments (WAL). */
  dbPath: string;
  /** Node id → its agent. */
  agents: ReadonlyMap<string, AgentEndpoint>;
  /** Fee limit per payment: max(baseSats, amount × ppm / 1e6). */
  feeLimits: { baseSats: bigint; ppm: bigint };
  /** A node invoice with less life left than this is not paid (a fresh one is asked for). */
  minInvoiceLifeSeconds: number;
  /** Smallest on-chain payout; below it a miner's balance waits for the next window. */
  onchainMinSats: bigint;
  pollIntervalMs: number;
  metricsIntervalMs: number;
  /** Payments driven at once (different recipients only). */
  concurrency: number;
  opsHost: string;
  /** /metrics /healthz /readyz; undefined serves none. */
  opsPort?: number;
  /** HH_FAULT: exit right after the Nth payment lnd reports settled. */
  fault: { exitAfterPayments?: number };
  logLevel: LogLevel;
}

const secret = z.string().min(16, "tokens are at least 16 characters");
const agentsSchema = z.record(
  z.string().min(1).max(100),
  z.strictObject({
    url: z.url(),
    token: secret,
    pubkey: z
      .string()
      .regex(/^0[23][0-9a-f]{64}$/)
      .optional(),
  }),
);
const port = z.coerce.number().int().min(0).max(65535);
const intSats = z.string().regex(/^(0|[1-9]\d{0,15})$/);

const envSchema = z.object({
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
  HH_FAULT: z.string().optional(),
});

/** Parses the agent directory (JSON object: node id → { url, token, pubkey? }). */
export function parseAgents(json: string): Map<string, AgentEndpoint> {
  const parsed = agentsSchema.parse(JSON.parse(json));
  return new Map(Object.entries(parsed).map(([nodeId, a]) => [nodeId, a as AgentEndpoint]));
}

/** Reads and validates HH_TREASURY_* (and HH_FAULT); file paths are read here. Throws on bad config. */
export function configFromEnv(env: NodeJS.ProcessEnv): TreasuryConfig {
  const e = envSchema.parse(env);
  const token =
    e.HH_TREASURY_CORE_TOKEN ??
    (e.HH_TREASURY_CORE_TOKEN_FILE &&
      secret.parse(readFileSync(e.HH_TREASURY_CORE_TOKEN_FILE, "utf8").trim()));
  if (!token) throw new Error("HH_TREASURY_CORE_TOKEN or HH_TREASURY_CORE_TOKEN_FILE is required");
  const agentsJson =
    e.HH_TREASURY_AGENTS ??
    (e.HH_TREASURY_AGENTS_FILE ? readFileSync(e.HH_TREASURY_AGENTS_FILE, "utf8") : "{}");
  return {
    core: { url: e.HH_TREASURY_CORE_URL, token },
    lnd: {
      socket: e.HH_TREASURY_LND_SOCKET,
      certPem: readFileSync(e.HH_TREASURY_LND_CERT_PATH, "utf8"),
      macaroonHex: readFileSync(e.HH_TREASURY_LND_MACAROON_PATH).toString("hex"),
    },
    dbPath: e.HH_TREASURY_DB_PATH,
    agents: parseAgents(agentsJson),
    feeLimits: { baseSats: BigInt(e.HH_TREASURY_FEE_LIMIT_SATS), ppm: BigInt(e.HH_TREASURY_FEE_LIMIT_PPM) },
    minInvoiceLifeSeconds: e.HH_TREASURY_MIN_INVOICE_LIFE_SECONDS,
    onchainMinSats: BigInt(e.HH_TREASURY_ONCHAIN_MIN_SATS),
    pollIntervalMs: e.HH_TREASURY_POLL_INTERVAL_MS,
    metricsIntervalMs: e.HH_TREASURY_METRICS_INTERVAL_MS,
    concurrency: e.HH_TREASURY_CONCURRENCY,
    opsHost: e.HH_TREASURY_OPS_HOST,
    opsPort: e.HH_TREASURY_OPS_PORT,
    fault: parseFault(e.HH_FAULT),
    logLevel: e.HH_TREASURY_LOG_LEVEL,
  };
}
