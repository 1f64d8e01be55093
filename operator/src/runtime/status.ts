import { KubeApiError, type KubeClient, type KubeObject } from "./kube.ts";

/** A small pure status change: the status a transaction produces from the current one. */
export type StatusTransaction<S> = (status: S) => S;

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A merge patch that turns `from` into `to` (removed keys become null). */
export function mergePatchOf(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (to[k] === undefined && from[k] !== undefined) patch[k] = null;
  for (const [k, v] of Object.entries(to)) if (v !== undefined && !jsonEqual(from[k], v)) patch[k] = v;
  return patch;
}

/**
 * Applies status transactions to the latest object with one status patch carrying its
 * resourceVersion (optimistic lock); on 409 Conflict it re-reads and re-applies them, as
 * CloudNativePG's status.PatchWithOptimisticLock does. Returns the stored object, untouched
 * (and no request sent) when the transactions change nothing.
 */
export async function patchStatus<S extends Record<string, unknown>>(
  client: KubeClient,
  object: KubeObject,
  transactions: ReadonlyArray<StatusTransaction<S>>,
  attempts = 5,
): Promise<KubeObject> {
  let current = object;
  for (let i = 0; ; i++) {
    const before = (current.status ?? {}) as S;
    const after = transactions.reduce((s, tx) => tx(s), structuredClone(before));
    if (jsonEqual(before, after)) return current;
    try {
      return await client.mergePatch(
        current.kind,
        current.metadata.namespace,
        current.metadata.name,
        {
          metadata: { resourceVersion: current.metadata.resourceVersion },
          status: mergePatchOf(before, after),
        },
        "status",
      );
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.code !== 409 || i + 1 >= attempts) throw err;
      const fresh = await client.get(current.kind, current.metadata.namespace, current.metadata.name);
      if (!fresh) throw err;
      current = fresh;
    }
  }
}
