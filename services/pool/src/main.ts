/**
 * hh-pool process: reads HH_POOL_* (validated with zod), starts the pool, stops on
 * SIGTERM/SIGINT. See the README for every variable.
 */
import { readFileSync } from "node:fs";
import { createLogger } from "@hyperhash/telemetry";
import { poolEnvSchema } from "./config-contract.ts";
import { startPool } from "./pool.ts";

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
  const secretFrom = (inline: string | undefined, file: string | undefined) =>
    inline ?? (file ? readFileSync(file, "utf8").trim() : undefined);
  const coreToken = secretFrom(env.HH_POOL_CORE_TOKEN, env.HH_POOL_CORE_TOKEN_FILE);
  const apiToken = secretFrom(env.HH_POOL_API_TOKEN, env.HH_POOL_API_TOKEN_FILE);
  if (env.HH_POOL_CORE_URL && !coreToken) {
    logger.error("invalid configuration", { issues: ["HH_POOL_CORE_URL needs HH_POOL_CORE_TOKEN(_FILE)"] });
    process.exit(2);
  }
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
    ...(env.HH_POOL_CORE_URL && coreToken
      ? {
          core: {
            url: env.HH_POOL_CORE_URL,
            token: coreToken,
            cacheTtlMs: env.HH_POOL_NODE_CACHE_TTL_SECONDS * 1000,
            negativeCacheTtlMs: env.HH_POOL_NODE_CACHE_NEGATIVE_TTL_SECONDS * 1000,
          },
        }
      : {}),
    nodes: env.HH_POOL_NODES,
    ...(apiToken ? { apiToken } : {}),
    maxChannelsPerConnection: env.HH_POOL_MAX_CHANNELS_PER_CONNECTION,
    maxConnectionsPerAddress: env.HH_POOL_MAX_CONNECTIONS_PER_ADDRESS,
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
