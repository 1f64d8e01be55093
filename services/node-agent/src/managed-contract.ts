/**
 * The managed-mode environment of the node agent (README "Managed mode"): zod only, side-effect
 * free, so the operator's pod builder can import it next to config-contract.ts.
 */
import { z } from "zod";

const dnsName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a DNS label")
  .max(40);

/**
 * The managed-mode environment, a schema of its own beside config-contract.ts. Only read
 * when `HH_AGENT_MANAGED=true`.
 */
export const managedEnvSchema = z.object({
  HH_AGENT_MANAGED: z.literal("true"),
  HH_AGENT_HYPERNODE: dnsName,
  HH_AGENT_NAMESPACE: dnsName.optional(),
  HH_AGENT_LND_REST_URL: z.url().default("https://127.0.0.1:8080"),
  HH_AGENT_LND_SOCKET: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
  HH_AGENT_LND_CERT_PATH: z.string().min(1),
  HH_AGENT_LND_WALLET_PASSWORD_PATH: z.string().min(1),
  HH_AGENT_LND_MACAROON_ROOT_KEY_PATH: z.string().min(1),
  HH_AGENT_LND_ADMIN_MACAROON_PATH: z.string().min(1).optional(),
  /** The seed Secret's name when it is not `<hypernode>-lnd-seed` (config-contract.ts has it too). */
  HH_AGENT_SEED_SECRET: z.string().min(1).max(253).optional(),
});

/** The managed-mode variable names, for builders. */
export type ManagedAgentEnvName = keyof z.input<typeof managedEnvSchema>;
/** The managed-mode environment as a pod spec writes it (exported as `@hyperhash/node-agent/managed`). */
export type ManagedAgentEnvInput = z.input<typeof managedEnvSchema>;
