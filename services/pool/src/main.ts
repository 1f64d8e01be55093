/**
 * hh-pool process: reads HH_POOL_* (validated with zod), starts the pool, stops on
 * SIGTERM/SIGINT. See the README for every variable.
 */
import { fromHex, NETWORKS } from "@hyperhash/bitcoin";
import { parseAuthorityPublicKey, parseAuthoritySecretKey } from "@hyperhash/sv2";
import { createLogger } from "@hyperhash/telemetry";
import { z } from "zod";
import { startPool } from "./pool.ts";

const port = z.coerce.number().int().min(0).max(65_535);
const key32 = z.string().transform((text, ctx) => {
  try {
    return /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text) : parseAuthoritySecretKey(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "not a 32-byte key (hex or base58check)" });
    return z.NEVER;
  }
});
const nodesSchema = z
  .string()
  .default("")
  .transform((text) =>
    text
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const colon = pair.indexOf(":");
        return { nodeId: pair.slice(0, colon), credential: pair.slice(colon + 1) };
      }),
  )
  .pipe(z.array(z.object({ nodeId: z.string().min(1).max(64), credential: z.string().min(8).max(200) })));

/** The environment hh-pool reads. */
export const poolEnvSchema = z.object({
  HH_POOL_NETWORK: z.enum(NETWORKS as [string, ...string[]]).transform((n) => n as (typeof NETWORKS)[number]),
  HH_POOL_HOST: z.string().default("0.0.0.0"),
  HH_POOL_PORT: port.default(34254),
  HH_POOL_AUTHORITY_SECRET_KEY: key32,
  HH_POOL_STATIC_SECRET_KEY: key32.optional(),
  HH_POOL_CERTIFICATE_VALIDITY_SECONDS: z.coerce.number().int().min(60).default(3600),
  HH_POOL_TP_HOST: z.string().min(1),
  HH_POOL_TP_PORT: port,
  HH_POOL_TP_AUTHORITY_PUBLIC_KEY: z
    .string()
    .optional()
    .transform((text) => (text ? parseAuthorityPublicKey(text) : undefined)),
  HH_POOL_TREASURY_ADDRESS: z.string().min(1),
  HH_POOL_TAG: z.string().max(40).default("hyperhash"),
  HH_POOL_DB_PATH: z.string().min(1),
  HH_POOL_DB_SYNCHRONOUS: z.enum(["FULL", "NORMAL"]).default("FULL"),
  HH_POOL_HTTP_HOST: z.string().default("0.0.0.0"),
  HH_POOL_HTTP_PORT: port.default(8080),
  HH_POOL_OPS_HOST: z.string().default("0.0.0.0"),
  HH_POOL_OPS_PORT: port.default(9090),
  HH_POOL_BLOCK_TARGET: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,64}$/)
    .optional()
    .transform((hex) => (hex ? BigInt(hex.startsWith("0x") ? hex : `0x${hex}`) : null)),
  HH_POOL_SHARES_PER_MINUTE: z.coerce.number().positive().max(6000).default(6),
  HH_POOL_MIN_DIFFICULTY: z.coerce
    .number()
    .positive()
    .default(2 ** -32),
  HH_POOL_NODES: nodesSchema,
  HH_POOL_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(10),
  HH_POOL_COMMIT_MAX_SHARES: z.coerce.number().int().min(1).max(100_000).default(500),
  HH_POOL_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

async function main(): Promise<void> {
  const parsed = poolEnvSchema.safeParse(process.env);
  const logger = createLogger({
    service: "hh-pool",
    level: parsed.success ? parsed.data.HH_POOL_LOG_LEVEL : "info",
  });
  if (!parsed.success) {
    logger.error("invalid configuration", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
    process.exit(2);
  }
  const env = parsed.data;
  const pool = await startPool({
    network: env.HH_POOL_NETWORK,
    host: env.HH_POOL_HOST,
    port: env.HH_POOL_PORT,
    authoritySecretKey: env.HH_POOL_AUTHORITY_SECRET_KEY,
    ...(env.HH_POOL_STATIC_SECRET_KEY ? { staticSecretKey: env.HH_POOL_STATIC_SECRET_KEY } : {}),
    certificateValiditySeconds: env.HH_POOL_CERTIFICATE_VALIDITY_SECONDS,
    templateProvider: {
      host: env.HH_POOL_TP_HOST,
      port: env.HH_POOL_TP_PORT,
      ...(env.HH_POOL_TP_AUTHORITY_PUBLIC_KEY
        ? { authorityPublicKey: env.HH_POOL_TP_AUTHORITY_PUBLIC_KEY }
        : {}),
    },
    treasuryAddress: env.HH_POOL_TREASURY_ADDRESS,
    poolTag: env.HH_POOL_TAG,
    dbPath: env.HH_POOL_DB_PATH,
    dbSynchronous: env.HH_POOL_DB_SYNCHRONOUS,
    httpHost: env.HH_POOL_HTTP_HOST,
    httpPort: env.HH_POOL_HTTP_PORT,
    opsHost: env.HH_POOL_OPS_HOST,
    opsPort: env.HH_POOL_OPS_PORT,
    blockTarget: env.HH_POOL_BLOCK_TARGET,
    vardiff: {
      targetSharesPerMinute: env.HH_POOL_SHARES_PER_MINUTE,
      minDifficulty: env.HH_POOL_MIN_DIFFICULTY,
    },
    nodes: env.HH_POOL_NODES,
    commitIntervalMs: env.HH_POOL_COMMIT_INTERVAL_MS,
    commitMaxShares: env.HH_POOL_COMMIT_MAX_SHARES,
    logger,
  });
  logger.info("ready", {
    port: pool.port,
    httpPort: pool.httpPort,
    opsPort: pool.opsPort,
    authorityPublicKey: pool.authorityPublicKeyBase58,
  });
  const shutdown = () => {
    pool.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

await main();
