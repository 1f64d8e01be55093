import { API_VERSION } from "../api/common.ts";

/** Where a kind lives in the REST API. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const table: ResourceType[] = [
  { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", plural: "roles", namespaced: true },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: true,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    plural: "clusterroles",
    namespaced: false,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  { apiVersion: "events.k8s.io/v1", kind: "Event", plural: "events", namespaced: true },
  {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
  { apiVersion: API_VERSION, kind: "HyperNode", plural: "hypernodes", namespaced: true },
  { apiVersion: API_VERSION, kind: "TemplateProvider", plural: "templateproviders", namespaced: true },
  { apiVersion: API_VERSION, kind: "LightningChannel", plural: "lightningchannels", namespaced: true },
  { apiVersion: API_VERSION, kind: "PayoutWindow", plural: "payoutwindows", namespaced: true },
];

/** The resource type of a kind; a static table, so the operator makes no discovery calls. */
export function resourceType(kind: string): ResourceType {
  const found = table.find((r) => r.kind === kind);
  if (!found) throw new Error(`unknown kind ${kind}`);
  return found;
}

/** The collection path of a kind, in one namespace or cluster-wide. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  return type.namespaced && namespace
    ? `${base}/namespaces/${namespace}/${type.plural}`
    : `${base}/${type.plural}`;
}

/** The path of one object (optionally a subresource such as `status`). */
export function objectPath(
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  sub?: string,
): string {
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}${sub ? `/${sub}` : ""}`;
}
