/** hyperhash-core as a process: validated HH_CORE_* environment → startCore; SIGINT/SIGTERM stop it. */
import { readFileSync } from "node:fs";
import { bitcoinRpc, jsonRpcClient } from "@hyperhash/bitcoin";
import { createLogger } from "@hyperhash/telemetry";
import { configFromEnv, coreEnvSchema } from "./config.ts";
import { startCore } from "./core.ts";

const parsed = coreEnvSchema.safeParse(process.env);
const logger = createLogger({
  service: "hyperhash-core",
  level: parsed.success ? (parsed.data.HH_CORE_LOG_LEVEL ?? "info") : "info",
});
if (!parsed.success) {
  // Names and messages only: values may be secrets.
  logger.error("invalid environment", {
    issues: parsed.error.issues.map((i) => ({ variable: i.path.join("."), message: i.message })),
  });
  process.exit(2);
}
const env = parsed.data;
const rpc = bitcoinRpc(
  jsonRpcClient({
    url: env.HH_CORE_BITCOIN_RPC_URL,
    user: env.HH_CORE_BITCOIN_RPC_USER,
    password: env.HH_CORE_BITCOIN_RPC_PASSWORD,
    ...(env.HH_CORE_BITCOIN_RPC_CA_FILE
      ? { caPem: readFileSync(env.HH_CORE_BITCOIN_RPC_CA_FILE, "utf8") }
      : {}),
  }),
  env.HH_CORE_BITCOIN_RPC_DIALECT,
);
const core = await startCore(configFromEnv(env), { rpc, logger });
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info("stopping", { signal });
    void core.stop().then(() => process.exit(0));
  });
}
