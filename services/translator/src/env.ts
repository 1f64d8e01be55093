/**
 * HH_TRANSLATOR_* environment variables → {@link TranslatorConfigInput}, validated with zod.
 * Every variable is listed in the README.
 */
import { readFileSync } from "node:fs";
import type { TranslatorConfigInput } from "./config.ts";
import { translatorEnvSchema } from "./config-contract.ts";

/** Parses `host:port[#key]` entries. */
export function parseUpstreams(text: string): { host: string; port: number; authorityPublicKey?: string }[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const [address, key] = entry.split("#", 2) as [string, string | undefined];
      const colon = address.lastIndexOf(":");
      if (colon <= 0) throw new Error(`upstream "${address}" must be host:port`);
      const port = Number(address.slice(colon + 1));
      return { host: address.slice(0, colon), port, ...(key ? { authorityPublicKey: key } : {}) };
    });
}

/** Builds the translator configuration from `env`; throws a readable error when invalid. */
export function configFromEnv(env: NodeJS.ProcessEnv): TranslatorConfigInput {
  const e = translatorEnvSchema.parse(env);
  const credential =
    e.HH_TRANSLATOR_CREDENTIAL ??
    (e.HH_TRANSLATOR_CREDENTIAL_FILE
      ? readFileSync(e.HH_TRANSLATOR_CREDENTIAL_FILE, "utf8").trim()
      : undefined);
  if (!credential) throw new Error("set HH_TRANSLATOR_CREDENTIAL or HH_TRANSLATOR_CREDENTIAL_FILE");
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    upstreams: parseUpstreams(e.HH_TRANSLATOR_UPSTREAMS),
    nodeId: e.HH_TRANSLATOR_NODE_ID,
    credential,
    ...optional("host", e.HH_TRANSLATOR_HOST),
    ...optional("port", e.HH_TRANSLATOR_PORT),
    ...optional("opsHost", e.HH_TRANSLATOR_OPS_HOST),
    ...optional("opsPort", e.HH_TRANSLATOR_OPS_PORT),
    ...optional("channelMode", e.HH_TRANSLATOR_CHANNEL_MODE),
    ...optional("aggregatedIdentity", e.HH_TRANSLATOR_AGGREGATED_IDENTITY),
    ...optional("extranonce2Size", e.HH_TRANSLATOR_EXTRANONCE2_SIZE),
    ...optional("maxMiners", e.HH_TRANSLATOR_MAX_MINERS),
    ...optional("versionRollingMask", e.HH_TRANSLATOR_VERSION_ROLLING_MASK),
    ...optional("maxLineBytes", e.HH_TRANSLATOR_MAX_LINE_BYTES),
    ...optional("idleTimeoutMs", e.HH_TRANSLATOR_IDLE_TIMEOUT_MS),
    ...optional("initialDifficulty", e.HH_TRANSLATOR_INITIAL_DIFFICULTY),
    ...optional("minDifficulty", e.HH_TRANSLATOR_MIN_DIFFICULTY),
    ...optional("maxDifficulty", e.HH_TRANSLATOR_MAX_DIFFICULTY),
    ...optional("targetSharesPerMinute", e.HH_TRANSLATOR_SHARES_PER_MINUTE),
    ...optional("nominalHashRate", e.HH_TRANSLATOR_NOMINAL_HASH_RATE),
    ...optional("reconnectMinMs", e.HH_TRANSLATOR_RECONNECT_MIN_MS),
    ...optional("reconnectMaxMs", e.HH_TRANSLATOR_RECONNECT_MAX_MS),
    ...optional("logLevel", e.HH_TRANSLATOR_LOG_LEVEL),
  } as TranslatorConfigInput;
}
