import {
  childMeta,
  containerSecurity,
  opsProbes,
  podSecurity,
  secretData,
  selectorLabels,
} from "./common.ts";
import type { DesiredChild, ManifestObject, PlatformSettings, TemplateProviderInput } from "./inputs.ts";
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
  const secretEnv = (name: string, secret: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key } },
  });
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
              env: [
                { name: "NETWORK", value: tp.spec.network },
                { name: "BITCOIN_RPC_ENDPOINT", value: tp.spec.bitcoind.rpcEndpoint },
                secretEnv("BITCOIN_RPC_USER", tp.spec.bitcoind.credentialsSecretName, "username"),
                secretEnv("BITCOIN_RPC_PASSWORD", tp.spec.bitcoind.credentialsSecretName, "password"),
                { name: "TDP_LISTEN", value: `0.0.0.0:${tp.spec.port}` },
                { name: "AUTHORITY_KEY_PATH", value: "/etc/hh-tp/authority/secret-key" },
              ],
              ports: [
                { name: "tdp", containerPort: tp.spec.port },
                { name: "ops", containerPort: 9464 },
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
