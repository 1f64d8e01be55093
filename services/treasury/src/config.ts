import { readFileSync } from "node:fs";
import type { LndConnection } from "@hyperhash/lightning";
import type { LogLevel } from "@hyperhash/telemetry";
import { z } from "zod";
import type { AgentEndpoint } from "./agent-client.ts";
import { secret, treasuryEnvSchema } from "./config-contract.ts";

/** Everything startTreasury needs, already validated. */
export interface TreasuryConfig {
  core: { url: string; token: string };
  lnd: LndConnection;
  /** SQLite file of payments (WAL). */
  dbPath: string;
  /**
   * Node id → its agent, configured statically (HH_TREASURY_AGENTS: tests, overrides); nodes
   * not in it are looked up at Core, where each agent reports its endpoint.
   */
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
  /**
   * @deprecated Ignored, kept so existing callers type-check: fault injection is test-only
   * (test/support/main-fault.ts passes a hook to startTreasury).
   */
  fault?: Record<string, never>;
  logLevel: LogLevel;
}

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
/** Parses the agent directory (JSON object: node id → { url, token, pubkey? }). */
export function parseAgents(json: string): Map<string, AgentEndpoint> {
  const parsed = agentsSchema.parse(JSON.parse(json));
  return new Map(Object.entries(parsed).map(([nodeId, a]) => [nodeId, a as AgentEndpoint]));
}

/**
 * Reads and validates HH_TREASURY_*; file paths are read here. Throws on bad config. HH_FAULT
 * (fault injection) exists only in the test entry `test/support/main-fault.ts`, never bundled
 * into the image: set here it is refused, so nobody believes a production treasury honours it.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): TreasuryConfig {
  if (env.HH_FAULT)
    throw new Error("HH_FAULT is a test-only switch (services/treasury/test/support/main-fault.ts)");
  const e = treasuryEnvSchema.parse(env);
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
    logLevel: e.HH_TREASURY_LOG_LEVEL,
  };
}
