import type { KubeClient, KubeObject } from "./kube.ts";

/** True when the object carries `finalizer`. */
export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

/**
 * Adds or removes one finalizer with a merge patch guarded by resourceVersion: a merge patch
 * replaces the whole list, so the lock keeps another controller's finalizer from being lost.
 */
export async function setFinalizer(
  client: KubeClient,
  object: KubeObject,
  finalizer: string,
  present: boolean,
): Promise<KubeObject> {
  const list = object.metadata.finalizers ?? [];
  if (list.includes(finalizer) === present) return object;
  const finalizers = present ? [...list, finalizer] : list.filter((f) => f !== finalizer);
  return client.mergePatch(object.kind, object.metadata.namespace, object.metadata.name, {
    metadata: { resourceVersion: object.metadata.resourceVersion, finalizers },
  });
}
