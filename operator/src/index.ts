export * from "./api/index.ts";
export * from "./core/core-client.ts";
export * from "./metrics.ts";
export * from "./operator.ts";
export * from "./rbac.ts";
export { installCrds } from "./runtime/crds.ts";
export { type KubeClient, kubeClient } from "./runtime/kube.ts";
export * from "./runtime/metrics.ts";
