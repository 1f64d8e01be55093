/**
 * `hh-tp` process: reads the HH_TP_* environment (see README), runs the Template Provider
 * until SIGTERM or SIGINT, and prints where it listens and its authority public key.
 */
import { bitcoinRpc, jsonRpcClient } from "@hyperhash/bitcoin";
import { ConfigError, loadEnvConfig } from "./config.ts";
import { startTemplateProvider } from "./provider.ts";

async function main(): Promise<number> {
  let loaded: ReturnType<typeof loadEnvConfig>;
  try {
    loaded = loadEnvConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`hh-tp: invalid configuration\n${error.message}\n`);
    return 2;
  }
  const { env, endpoint, authoritySecretKey } = loaded;
  const tp = await startTemplateProvider({
    network: env.HH_TP_NETWORK,
    rpc: bitcoinRpc(jsonRpcClient(endpoint), env.HH_TP_RPC_DIALECT),
    rpcEndpoint: endpoint,
    listenHost: env.HH_TP_LISTEN_HOST,
    listenPort: env.HH_TP_LISTEN_PORT,
    authoritySecretKey,
    certificateValiditySeconds: env.HH_TP_CERT_VALIDITY_SECONDS,
    feeUpdateIntervalMs: env.HH_TP_FEE_UPDATE_INTERVAL_MS,
    ...(env.HH_TP_FEE_CHECK_INTERVAL_MS ? { feeCheckIntervalMs: env.HH_TP_FEE_CHECK_INTERVAL_MS } : {}),
    minFeeDeltaSats: BigInt(env.HH_TP_MIN_FEE_DELTA_SATS),
    tipPollIntervalMs: env.HH_TP_TIP_POLL_INTERVAL_MS,
    opsPort: env.HH_TP_OPS_PORT,
    ...(env.HH_TP_OPS_HOST ? { opsHost: env.HH_TP_OPS_HOST } : {}),
    maxClients: env.HH_TP_MAX_CLIENTS,
    logLevel: env.HH_TP_LOG_LEVEL,
  });
  process.stdout.write(
    `hh-tp listening on ${tp.host}:${tp.port} (ops :${tp.opsPort})\nauthority public key ${tp.authorityPublicKeyBase58}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await tp.stop();
  return 0;
}

process.exitCode = await main();
