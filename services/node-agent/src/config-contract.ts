/**
 * The node agent's environment contract: the one schema `configFromEnv` parses and the
 * operator's pod builders (cdk8s) write. Side-effect free (zod only), so a builder can import
 * it without pulling the agent in; exported as `@hyperhash/node-agent/config`.
 */
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(16, "tokens are at least 16 characters");

/** Every HH_AGENT_* variable the agent reads. */
export const nodeAgentEnvSchema = z.object({
  HH_AGENT_HOST: z.string().min(1).default("127.0.0.1"),
  HH_AGENT_PORT: port.default(9740),
  HH_AGENT_OPS_PORT: port.optional(),
  HH_AGENT_API_TOKEN: secret.optional(),
  HH_AGENT_API_TOKEN_FILE: z.string().min(1).optional(),
  /** The payout API's URL as the treasury reaches it; reported to Core with the telemetry. */
  HH_AGENT_ADVERTISE_URL: z.url().optional(),
  /**
   * The pod's IP (downward API `status.podIP`): with a wildcard host and no advertise URL the agent
   * reports `http://<pod ip>:<port>`; a restarted pod reports its new address with its next telemetry.
   */
  HH_AGENT_POD_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  HH_AGENT_LND_SOCKET: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
  HH_AGENT_LND_CERT_PATH: z.string().min(1),
  /** Required unless HH_AGENT_MANAGED=true (then the agent bakes its own, see managed-contract.ts). */
  HH_AGENT_LND_MACAROON_PATH: z.string().min(1).optional(),
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
  /** Managed Lightning (sidecar): the wallet unlock password file lnd was started with. */
  HH_AGENT_LND_WALLET_PASSWORD_PATH: z.string().min(1).optional(),
  /** Managed Lightning: the macaroon root key InitWallet is given. */
  HH_AGENT_LND_MACAROON_ROOT_KEY_PATH: z.string().min(1).optional(),
  /** Managed Lightning: the Secret (same namespace) the generated seed is stored in. */
  HH_AGENT_SEED_SECRET: z.string().min(1).max(253).optional(),
});

/** The names of the contract, for builders: a name not in the schema does not type-check. */
export type NodeAgentEnvName = keyof z.input<typeof nodeAgentEnvSchema>;
/** The validated environment. */
export type NodeAgentEnv = z.output<typeof nodeAgentEnvSchema>;
/** The environment as a pod spec writes it (strings; enums keep their literal values). */
export type NodeAgentEnvInput = z.input<typeof nodeAgentEnvSchema>;
