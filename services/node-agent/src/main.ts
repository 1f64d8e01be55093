import { readFileSync } from "node:fs";
import { createLogger } from "@hyperhash/telemetry";
import { KubeConfig } from "@kubernetes/client-node";
import { startNodeAgent } from "./agent.ts";
import { configFromEnv } from "./config.ts";
import { managedConfigFromEnv, runManagedDuties } from "./managed.ts";
import { kubeSecretStore } from "./secrets.ts";

// hh-node-agent: reads HH_AGENT_* (see README), runs until SIGTERM/SIGINT. With
// HH_AGENT_MANAGED=true it first does the managed-lnd duties (README "Managed mode") and then
// reaches lnd with the macaroon it baked for itself.
const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const logger = createLogger({ service: "hh-node-agent" });
let managed: ReturnType<typeof managedConfigFromEnv>;
try {
  managed = managedConfigFromEnv(process.env);
} catch (err) {
  logger.error("invalid configuration", { err });
  process.exit(2);
}
const abort = new AbortController();
let lndMacaroonHex: string | undefined;
let backups: Promise<void> | undefined;
if (managed) {
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const namespace = managed.namespace ?? readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
    const duties = await runManagedDuties({
      lnd: {
        grpcSocket: managed.lndSocket,
        restUrl: managed.lndRestUrl,
        certPem: readFileSync(managed.tlsCertPath, "utf8"),
      },
      passwordFile: managed.passwordFile,
      rootKeyFile: managed.rootKeyFile,
      adminMacaroonPath: managed.adminMacaroonPath,
      kube: kubeSecretStore(kc, namespace),
      names: managed.names,
      logger: logger.child({ duty: "managed-lnd" }),
      signal: abort.signal,
      labels: { "hyperhash.network/hypernode": managed.hypernode },
    });
    lndMacaroonHex = duties.agentLnd.macaroonHex;
    backups = duties.backups;
  } catch (err) {
    // WalletInitRefused and NoAdminMacaroon say what a human must do; the pod restarts meanwhile.
    logger.error("managed lnd duties failed", { err });
    process.exit(3);
  }
}
let config: ReturnType<typeof configFromEnv>;
try {
  config = configFromEnv(process.env, { lndMacaroonHex });
} catch (err) {
  logger.error("invalid configuration", { err });
  process.exit(2);
}
const agent = await startNodeAgent(config, {
  logger: createLogger({ service: "hh-node-agent", level: config.logLevel }),
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    abort.abort();
    Promise.all([agent.stop(), backups]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
