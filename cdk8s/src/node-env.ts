/**
 * The environment of a HyperNode's node agent and translator, written against each service's
 * own config contract (`@hyperhash/node-agent/config`, `@hyperhash/translator/config`).
 */

import type { NodeAgentEnvInput } from "@hyperhash/node-agent/config";
import type { TranslatorChannelMode, TranslatorEnvInput } from "@hyperhash/translator/config";
import type { V1EnvVar } from "@kubernetes/client-node";
import { contractEnv, fromSecret } from "./env.ts";
import type { HyperNodeInput, PlatformSettings } from "./inputs.ts";
import { hyperNodeNames } from "./names.ts";

/** The ops port (/metrics, /healthz, /readyz) the probes of every node workload use. */
export const OPS_PORT = 9464;
/** The node agent's payout API port (the treasury calls it for invoices). */
export const AGENT_PORT = 9740;

/**
 * HyperNode `spec.translator.channelMode` → the translator's HH_TRANSLATOR_CHANNEL_MODE. The CRD
 * says what the pool sees (`extended`: one extended channel per SV1 miner); the translator
 * names the same thing by who gets a channel (`per-miner`).
 */
export const TRANSLATOR_CHANNEL_MODE = {
  extended: "per-miner",
  aggregated: "aggregated",
} as const satisfies Record<
  NonNullable<HyperNodeInput["spec"]["translator"]>["channelMode"],
  TranslatorChannelMode
>;

/** Where the node agent finds lnd, and where it keeps its state. */
export interface AgentLnd {
  socket: string;
  certPath: string;
  /** Absent in managed mode: the sidecar bakes `agent.macaroon` itself and runs with it. */
  macaroonPath?: string;
  invoiceStorePath: string;
  /** Managed Lightning only: the sidecar initialises the wallet with these. */
  walletInit?: { passwordPath: string; macaroonRootKeyPath: string; seedSecret: string };
}

/** The node agent's HH_AGENT_* environment. */
export function nodeAgentEnv(node: HyperNodeInput, platform: PlatformSettings, lnd: AgentLnd): V1EnvVar[] {
  const n = hyperNodeNames(node.metadata.name);
  return contractEnv<NodeAgentEnvInput>({
    HH_AGENT_HOST: "0.0.0.0",
    HH_AGENT_PORT: String(AGENT_PORT),
    // The treasury reaches the agent at its pod address, reported to Core with the telemetry.
    HH_AGENT_POD_IP: { fieldRef: { fieldPath: "status.podIP" } },
    HH_AGENT_OPS_PORT: String(OPS_PORT),
    HH_AGENT_API_TOKEN: fromSecret(n.agentToken, "token"),
    HH_AGENT_LND_SOCKET: lnd.socket,
    HH_AGENT_LND_CERT_PATH: lnd.certPath,
    HH_AGENT_LND_MACAROON_PATH: lnd.macaroonPath,
    HH_AGENT_TREASURY_PUBKEY: platform.treasuryPubkey,
    HH_AGENT_INVOICE_STORE: lnd.invoiceStorePath,
    HH_AGENT_CORE_URL: platform.coreUrl,
    HH_AGENT_NODE_ID: fromSecret(n.credentials, "nodeId"),
    HH_AGENT_NODE_CREDENTIAL: fromSecret(n.credentials, "credential"),
    HH_AGENT_LOG_LEVEL: (node.spec.logging?.level ?? "info") as NodeAgentEnvInput["HH_AGENT_LOG_LEVEL"],
    HH_AGENT_LND_WALLET_PASSWORD_PATH: lnd.walletInit?.passwordPath,
    HH_AGENT_LND_MACAROON_ROOT_KEY_PATH: lnd.walletInit?.macaroonRootKeyPath,
    HH_AGENT_SEED_SECRET: lnd.walletInit?.seedSecret,
  });
}

/**
 * The one ingress a node agent takes, external Deployment or managed sidecar alike: the treasury
 * (in the platform's namespace, whichever that is) on the payout port, asking for invoices.
 */
export function treasuryToAgentIngress() {
  return {
    from: [
      {
        namespaceSelector: {},
        podSelector: { matchLabels: { "app.kubernetes.io/component": "treasury" } },
      },
    ],
    ports: [{ port: AGENT_PORT, protocol: "TCP" }],
  };
}

/** Ingress from the configured scrapers to a workload's ops port (none when none is configured). */
export function monitoringIngress(platform: PlatformSettings) {
  const from = platform.monitoringFrom ?? [];
  return from.length === 0 ? [] : [{ from: [...from], ports: [{ port: OPS_PORT, protocol: "TCP" }] }];
}

/** The hash rate a regtest translator declares per upstream channel (a CPU miner, H/s). */
export const REGTEST_NOMINAL_HASH_RATE = 2e4;

/** The translator's HH_TRANSLATOR_* environment, or null when the translator is off. */
export function translatorEnv(node: HyperNodeInput, platform: PlatformSettings): V1EnvVar[] | null {
  const t = node.spec.translator;
  if (!t?.enabled) return null;
  const n = hyperNodeNames(node.metadata.name);
  const mode = TRANSLATOR_CHANNEL_MODE[t.channelMode];
  return contractEnv<TranslatorEnvInput>({
    HH_TRANSLATOR_HOST: "0.0.0.0",
    HH_TRANSLATOR_PORT: String(t.port),
    HH_TRANSLATOR_OPS_HOST: "0.0.0.0",
    HH_TRANSLATOR_OPS_PORT: String(OPS_PORT),
    HH_TRANSLATOR_UPSTREAMS: platform.poolEndpoint,
    HH_TRANSLATOR_NODE_ID: fromSecret(n.credentials, "nodeId"),
    HH_TRANSLATOR_CREDENTIAL: fromSecret(n.credentials, "credential"),
    HH_TRANSLATOR_CHANNEL_MODE: mode,
    HH_TRANSLATOR_AGGREGATED_IDENTITY: mode === "aggregated" ? t.aggregatedIdentity : undefined,
    // Regtest is mined by CPU miners (kH/s): start SV1 difficulty at 2^-16 and let vardiff go to
    // 2^-24, and open upstream channels declaring 20 kH/s, as the devnet does. The translator's
    // default (1 TH/s, an ASIC) makes the pool set a channel target no CPU miner's share ever
    // meets, so nothing would reach the pool. Other networks keep the translator's defaults.
    ...(node.spec.network === "regtest"
      ? {
          HH_TRANSLATOR_INITIAL_DIFFICULTY: String(2 ** -16),
          HH_TRANSLATOR_MIN_DIFFICULTY: String(2 ** -24),
          HH_TRANSLATOR_NOMINAL_HASH_RATE: String(REGTEST_NOMINAL_HASH_RATE),
        }
      : {}),
    HH_TRANSLATOR_LOG_LEVEL: (node.spec.logging?.level ??
      "info") as TranslatorEnvInput["HH_TRANSLATOR_LOG_LEVEL"],
  });
}
