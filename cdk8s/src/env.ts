/**
 * Container environment written against a service's config contract
 * (`@hyperhash/<service>/config`): the keys are the contract's variable names, so a name the
 * service does not read fails the type check, and an enum variable takes only its values.
 */
import type { V1EnvVar, V1EnvVarSource } from "@kubernetes/client-node";

/** A value taken from the pod's world instead of written inline. */
export type EnvSource = Pick<V1EnvVarSource, "secretKeyRef" | "configMapKeyRef" | "fieldRef">;

/** What each variable of a contract `I` (a schema's z.input) may be set to. */
export type ContractEnv<I> = {
  [K in keyof I]?: (Exclude<I[K], undefined> extends string ? Exclude<I[K], undefined> : string) | EnvSource;
};

/** A value from one key of a Secret. */
export const fromSecret = (name: string, key: string): EnvSource => ({ secretKeyRef: { name, key } });

/** The env list of a container, in the order written; undefined entries are left out. */
export function contractEnv<I>(vars: ContractEnv<I>): V1EnvVar[] {
  const out: V1EnvVar[] = [];
  for (const [name, v] of Object.entries(vars) as Array<[string, string | EnvSource | undefined]>) {
    if (v === undefined) continue;
    out.push(typeof v === "string" ? { name, value: v } : { name, valueFrom: v });
  }
  return out;
}
