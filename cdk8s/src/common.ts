import type { V1Container, V1PodSecurityContext, V1SecurityContext } from "@kubernetes/client-node";
import type { ManifestObject, OwnerInput } from "./inputs.ts";

/** The label every object the operator creates carries (its caches select on it). */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "hyperhash-operator" } as const;
export const CHILD_SELECTOR = "app.kubernetes.io/managed-by=hyperhash-operator";

/** Recommended labels of one component of one owner. */
export function componentLabels(owner: OwnerInput, component: string): Record<string, string> {
  return {
    ...MANAGED_BY,
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": owner.metadata.name,
    "app.kubernetes.io/part-of": "hyperhash",
    [`hyperhash.network/${owner.kind.toLowerCase()}`]: owner.metadata.name,
  };
}

/** The labels a component's pods are selected by (immutable in a Deployment selector). */
export function selectorLabels(owner: OwnerInput, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/instance": owner.metadata.name };
}

/** Metadata of a child: name, namespace, labels and the controller owner reference (GC). */
export function childMeta(owner: OwnerInput, name: string, component: string): ManifestObject["metadata"] {
  if (!owner.metadata.uid) throw new Error(`${owner.kind} ${owner.metadata.name} has no uid yet`);
  return {
    name,
    namespace: owner.metadata.namespace,
    labels: componentLabels(owner, component),
    ownerReferences: [
      {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: owner.metadata.name,
        uid: owner.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}

/** Pod-level security: non-root, a fixed uid, seccomp RuntimeDefault (restricted PSS). */
export const podSecurity: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: "RuntimeDefault" },
};

/** Container-level security: no privilege escalation, read-only root, all capabilities dropped. */
export const containerSecurity: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

/** HTTP probes on the ops port every Hyper Hash service serves (/healthz, /readyz). */
export function opsProbes(
  port = 9464,
): Pick<V1Container, "livenessProbe" | "readinessProbe" | "startupProbe"> {
  return {
    startupProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5, failureThreshold: 2 },
  };
}

/** A Secret's data from UTF-8 strings (base64, as the API stores it). */
export function secretData(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]),
  );
}
