/**
 * POST of a plain object to kube-apiserver, JSON as written. The chart and examples tests use it
 * instead of KubernetesObjectApi, whose typed serializer silently drops keys it does not model
 * (a CRD's `x-kubernetes-validations`), which would weaken the server-side check.
 */
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A Kubernetes object as rendered. */
export interface PlainObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const PLURALS: Record<string, string> = {
  ConfigMap: "configmaps",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  CustomResourceDefinition: "customresourcedefinitions",
  Deployment: "deployments",
  HyperNode: "hypernodes",
  Namespace: "namespaces",
  NetworkPolicy: "networkpolicies",
  PersistentVolumeClaim: "persistentvolumeclaims",
  Secret: "secrets",
  Service: "services",
  ServiceAccount: "serviceaccounts",
  StatefulSet: "statefulsets",
  TemplateProvider: "templateproviders",
};

/** Creates `object` (server-side dry-run with `dryRun: true`); resolves to the server's answer or rejects with its message. */
export async function createRaw(
  kc: KubeConfig,
  object: PlainObject,
  options: { dryRun?: boolean } = {},
): Promise<PlainObject> {
  const plural = PLURALS[object.kind];
  if (!plural) throw new Error(`no plural known for ${object.kind}`);
  const group = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : "";
  const path = `${group}${ns}/${plural}${options.dryRun ? "?dryRun=All&fieldValidation=Strict" : "?fieldValidation=Strict"}`;
  const server = new URL(kc.getCurrentCluster()!.server);
  const opts: import("node:https").RequestOptions = {
    method: "POST",
    host: server.hostname,
    port: server.port,
    path,
    headers: { "content-type": "application/json", accept: "application/json" },
  };
  await kc.applyToHTTPSOptions(opts);
  const body = JSON.stringify(object);
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      let text = "";
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(JSON.parse(text) as PlainObject);
        else reject(new Error(`${status} ${object.kind}/${object.metadata.name}: ${text.slice(0, 600)}`));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
