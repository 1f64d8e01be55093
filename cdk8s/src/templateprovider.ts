import type { TpEnvInput } from "@hyperhash/template-provider/config";
import {
  childMeta,
  containerSecurity,
  opsProbes,
  podSecurity,
  secretData,
  selectorLabels,
} from "./common.ts";
import { contractEnv, fromSecret } from "./env.ts";
import type { DesiredChild, ManifestObject, PlatformSettings, TemplateProviderInput } from "./inputs.ts";
import { OPS_PORT } from "./node-env.ts";
import { synthChildren } from "./synth.ts";

/** Names of a TemplateProvider's children. */
export function templateProviderNames(name: string) {
  return { workload: `${name}-tp`, authorityKey: `${name}-authority-key` };
}

/** The hh-tp Deployment: replicas behind one Service, bitcoind credentials and Noise key from Secrets. */
export function buildTemplateProviderDeployment(
  tp: TemplateProviderInput,
  platform: PlatformSettings,
): ManifestObject {
  const n = templateProviderNames(tp.metadata.name);
  const selector = selectorLabels(tp, "template-provider");
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(tp, n.workload, "template-provider"),
    spec: {
      replicas: tp.spec.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          volumes: [{ name: "authority-key", secret: { secretName: n.authorityKey } }],
          containers: [
            {
              name: "template-provider",
              image: platform.images.templateProvider,
              ...(platform.imagePullPolicy ? { imagePullPolicy: platform.imagePullPolicy } : {}),
              env: contractEnv<TpEnvInput>({
                HH_TP_NETWORK: tp.spec.network as TpEnvInput["HH_TP_NETWORK"],
                HH_TP_RPC_URL: `http://${tp.spec.bitcoind.rpcEndpoint}`,
                HH_TP_RPC_USER: fromSecret(tp.spec.bitcoind.credentialsSecretName, "username"),
                HH_TP_RPC_PASSWORD: fromSecret(tp.spec.bitcoind.credentialsSecretName, "password"),
                HH_TP_LISTEN_HOST: "0.0.0.0",
                HH_TP_LISTEN_PORT: String(tp.spec.port),
                HH_TP_AUTHORITY_SECRET_KEY_FILE: "/etc/hh-tp/authority/secret-key",
                HH_TP_OPS_HOST: "0.0.0.0",
                HH_TP_OPS_PORT: String(OPS_PORT),
                HH_TP_LOG_LEVEL: "info",
              }),
              ports: [
                { name: "tdp", containerPort: tp.spec.port },
                { name: "ops", containerPort: OPS_PORT },
              ],
              volumeMounts: [{ name: "authority-key", mountPath: "/etc/hh-tp/authority", readOnly: true }],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              securityContext: containerSecurity,
              ...opsProbes(),
            },
          ],
        },
      },
    },
  };
}

/**
 * A TemplateProvider's children. The authority-key Secret needs a generated key: without
 * `authoritySecretKeyHex` it is left out (the reconciler creates it once and never rewrites it).
 */
export function buildTemplateProviderChildren(
  tp: TemplateProviderInput,
  platform: PlatformSettings,
  authoritySecretKeyHex?: string,
): DesiredChild[] {
  const n = templateProviderNames(tp.metadata.name);
  const selector = selectorLabels(tp, "template-provider");
  const list: DesiredChild[] = [
    { kind: "Deployment", name: n.workload, object: buildTemplateProviderDeployment(tp, platform) },
    {
      kind: "Service",
      name: n.workload,
      object: {
        apiVersion: "v1",
        kind: "Service",
        metadata: childMeta(tp, n.workload, "template-provider"),
        spec: { selector, ports: [{ name: "tdp", port: tp.spec.port, targetPort: "tdp", protocol: "TCP" }] },
      },
    },
  ];
  if (authoritySecretKeyHex) {
    list.push({
      kind: "Secret",
      name: n.authorityKey,
      object: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: childMeta(tp, n.authorityKey, "template-provider"),
        type: "Opaque",
        immutable: true,
        data: secretData({ "secret-key": authoritySecretKeyHex }),
      },
    });
  }
  return synthChildren(list);
}
