/**
 * hh-pool's environment contract: the schema `main.ts` parses, exported as
 * `@hyperhash/pool/config` for whatever renders the pool's pods (the Helm chart's test parses
 * its env with it). Side-effect free.
 */
import { fromHex, NETWORKS } from "@hyperhash/bitcoin";
import { parseAuthorityPublicKey, parseAuthoritySecretKey } from "@hyperhash/sv2";
import { z } from "zod";

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
  /** Core's base URL: node credentials are verified there (the normal setup). */
  HH_POOL_CORE_URL: z.url().optional(),
  /** Core's pool token (HH_CORE_POOL_TOKEN), inline or as a file; required with HH_POOL_CORE_URL. */
  HH_POOL_CORE_TOKEN: z.string().min(16).optional(),
  HH_POOL_CORE_TOKEN_FILE: z.string().min(1).optional(),
  /** How long Core's answers are cached: a deregistered node binds no new connection after it. */
  HH_POOL_NODE_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  HH_POOL_NODE_CACHE_NEGATIVE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  /**
   * Static `<node id>:<credential>,…` instead of Core, for tests without a Core only; refused
   * together with HH_POOL_CORE_URL.
   */
  HH_POOL_NODES: nodesSchema,
  /** Bearer token of the HTTP API (Core's HH_CORE_POOL_OUTBOX_TOKEN); required off loopback. */
  HH_POOL_API_TOKEN: z.string().min(16).optional(),
  HH_POOL_API_TOKEN_FILE: z.string().min(1).optional(),
  HH_POOL_MAX_CHANNELS_PER_CONNECTION: z.coerce.number().int().min(1).max(1_000_000).default(64),
  HH_POOL_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(256),
  HH_POOL_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(10),
  HH_POOL_COMMIT_MAX_SHARES: z.coerce.number().int().min(1).max(100_000).default(500),
  HH_POOL_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

/** The validated environment. */
export type PoolEnv = z.output<typeof poolEnvSchema>;
/** The names of the contract, for whatever renders the pool's pods. */
export type PoolEnvName = keyof z.input<typeof poolEnvSchema>;
