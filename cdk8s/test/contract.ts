/**
 * Checks a rendered container's env against its service's own config contract: every name
 * must be one the schema declares (zod objects drop unknown keys silently, so a misspelt name
 * would otherwise pass as "unset"), and the values, with Secret and ConfigMap references
 * replaced by plausible stand-ins, must parse.
 */
import type { z } from "zod";

/** A container env entry as a manifest holds it. */
export interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

/** Stand-ins for downward-API values, by field path. */
const FIELD_STAND_INS: Record<string, string> = {
  "metadata.namespace": "miners",
  "status.podIP": "10.88.1.7",
};

/** Stand-ins for referenced values, by Secret/ConfigMap key (shaped like what the key holds). */
const STAND_INS: Record<string, string> = {
  nodeId: "hn_abcdefghijklmnop",
  credential: `hnc_${"A".repeat(43)}`,
  token: "t".repeat(43),
  username: "rpcuser",
  password: "rpc-password-0123456789",
  socket: "treasury-lnd.hyperhash.svc:10009",
  authoritySecretKey: "11".repeat(32),
};

/** The env as the process would see it; a referenced key with no stand-in gets a long string. */
export function materialise(env: readonly EnvEntry[]): Record<string, string> {
  return Object.fromEntries(
    env.map((e) => {
      if (e.value !== undefined) return [e.name, e.value];
      const field = e.valueFrom?.fieldRef?.fieldPath;
      if (field) return [e.name, FIELD_STAND_INS[field] ?? "x".repeat(8)];
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      return [e.name, ref ? (STAND_INS[ref.key] ?? "x".repeat(32)) : ""];
    }),
  );
}

/**
 * Problems of `env` against `schema` (empty when the contract holds). A process that reads
 * several contracts (the managed node agent: its config and managed-contract.ts) passes them
 * all: a name must be in one of them, and the env must parse with each.
 */
export function contractProblems(
  schema: z.ZodObject | readonly z.ZodObject[],
  env: readonly EnvEntry[],
): string[] {
  const schemas: readonly z.ZodObject[] = Array.isArray(schema) ? schema : [schema as z.ZodObject];
  const known = new Set(schemas.flatMap((s) => Object.keys(s.shape)));
  const problems = env
    .filter((e) => !known.has(e.name))
    .map((e) => `${e.name}: not a variable the service reads`);
  for (const s of schemas) {
    const parsed = s.safeParse(materialise(env));
    if (!parsed.success)
      problems.push(...parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`));
  }
  return problems;
}
