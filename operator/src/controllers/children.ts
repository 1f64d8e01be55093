import type { DesiredChild } from "@hyperhash/cdk8s";
import type { ControllerContext } from "../runtime/controller.ts";
import type { KubeObject } from "../runtime/kube.ts";

/** True when every field of `desired` is present and equal in `live` (server defaults may add more). */
export function containsFields(live: unknown, desired: unknown): boolean {
  if (desired === null || typeof desired !== "object") return live === desired;
  if (Array.isArray(desired)) {
    // The API server omits empty lists (omitempty): [] desired matches an absent field.
    if (desired.length === 0 && live === undefined) return true;
    if (!Array.isArray(live)) return false;
    return live.length === desired.length && desired.every((d, i) => containsFields(live[i], d));
  }
  return Object.entries(desired).every(
    ([k, v]) => v === undefined || containsFields((live as Record<string, unknown>)[k], v),
  );
}

/** What a children sync did, for events and logs. */
export interface ChildrenSync {
  applied: string[];
  deleted: string[];
}

/**
 * Brings children in line with the builder's list: present ones are server-side applied unless
 * the cached object already holds every desired field (no-op patches are skipped); absent ones
 * are deleted when they exist and are controlled by `ownerUid`. Secrets with `immutable: true`
 * are created once and never rewritten.
 */
export async function syncChildren(
  ctx: ControllerContext,
  namespace: string,
  ownerUid: string,
  desired: readonly DesiredChild[],
): Promise<ChildrenSync> {
  const result: ChildrenSync = { applied: [], deleted: [] };
  for (const child of desired) {
    const live = ctx.informer(child.kind).get(namespace, child.name);
    if (child.object) {
      if (live && (child.object.immutable === true || containsFields(live, child.object))) continue;
      await ctx.client.apply(child.object as KubeObject);
      result.applied.push(`${child.kind}/${child.name}`);
    } else if (live?.metadata.ownerReferences?.some((o) => o.uid === ownerUid && o.controller)) {
      await ctx.client.delete(child.kind, namespace, child.name, { uid: live.metadata.uid });
      result.deleted.push(`${child.kind}/${child.name}`);
    }
  }
  return result;
}
