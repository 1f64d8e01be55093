import type { V1Volume } from "@kubernetes/client-node";
import {
  childMeta,
  containerSecurity,
  opsProbes,
  podSecurity,
  secretData,
  selectorLabels,
} from "./common.ts";
import type {
  DesiredChild,
  HyperNodeInput,
  ManagedLightningMaterial,
  ManifestObject,
  PlatformSettings,
} from "./inputs.ts";
import { buildManagedLightning } from "./managed-lightning.ts";
import { hyperNodeNames } from "./names.ts";
import {
  AGENT_PORT,
  monitoringIngress,
  nodeAgentEnv,
  OPS_PORT,
  translatorEnv,
  treasuryToAgentIngress,
} from "./node-env.ts";
import { synthChildren } from "./synth.ts";

/**
 * The node's settings as a human reads them (`kubectl describe`). Workloads do not read it:
 * each container's env is written against its service's config contract (node-env.ts).
 */
export function buildNodeConfig(node: HyperNodeInput, platform: PlatformSettings): ManifestObject {
  const n = hyperNodeNames(node.metadata.name);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(node, n.config, "hypernode-config"),
    data: {
      NODE_NAME: node.metadata.name,
      NETWORK: node.spec.network,
      VISIBILITY: node.spec.visibility,
      LOG_LEVEL: node.spec.logging?.level ?? "info",
      CORE_URL: platform.coreUrl,
      POOL_ENDPOINT: platform.poolEndpoint,
      LIGHTNING_MODE: node.spec.lightning.mode,
      ...(node.spec.translator?.enabled
        ? {
            TRANSLATOR_PORT: String(node.spec.translator.port),
            CHANNEL_MODE: node.spec.translator.channelMode,
          }
        : {}),
    },
  };
}

const smallResources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** A ServiceAccount with no API token unless the workload talks to the API. */
export function buildServiceAccount(
  node: HyperNodeInput,
  name: string,
  component: string,
  automount: boolean,
): ManifestObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: childMeta(node, name, component),
    automountServiceAccountToken: automount,
  };
}

/** The node agent beside an external lnd (managed mode runs it as the lnd pod's sidecar). */
export function buildNodeAgentDeployment(
  node: HyperNodeInput,
  platform: PlatformSettings,
): ManifestObject | null {
  const external = node.spec.lightning.external;
  if (node.spec.lightning.mode !== "external" || !external) return null;
  const n = hyperNodeNames(node.metadata.name);
  const selector = selectorLabels(node, "node-agent");
  const volumes: V1Volume[] = [
    {
      name: "lnd-tls",
      secret: {
        secretName: external.tlsCertSecretRef.name,
        items: [{ key: external.tlsCertSecretRef.key, path: "tls.cert" }],
      },
    },
    {
      name: "lnd-macaroon",
      secret: {
        secretName: external.macaroonSecretRef.name,
        items: [{ key: external.macaroonSecretRef.key, path: "macaroon.hex" }],
      },
    },
    // The invoice store (read-only root): survives container restarts, not rescheduling.
    { name: "state", emptyDir: {} },
  ];
  const env = nodeAgentEnv(node, platform, {
    socket: external.grpcEndpoint,
    certPath: "/etc/lnd/tls/tls.cert",
    macaroonPath: "/etc/lnd/macaroon/macaroon.hex",
    invoiceStorePath: "/var/lib/hh-node-agent/invoices.json",
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(node, n.agent, "node-agent"),
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, "hyperhash.network/hypernode": node.metadata.name } },
        spec: {
          serviceAccountName: n.agent,
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          volumes,
          containers: [
            {
              name: "node-agent",
              image: platform.images.nodeAgent,
              ...(platform.imagePullPolicy ? { imagePullPolicy: platform.imagePullPolicy } : {}),
              env,
              ports: [
                { name: "payout", containerPort: AGENT_PORT },
                { name: "ops", containerPort: OPS_PORT },
              ],
              volumeMounts: [
                { name: "lnd-tls", mountPath: "/etc/lnd/tls", readOnly: true },
                { name: "lnd-macaroon", mountPath: "/etc/lnd/macaroon", readOnly: true },
                { name: "state", mountPath: "/var/lib/hh-node-agent" },
              ],
              resources: smallResources,
              securityContext: containerSecurity,
              ...opsProbes(),
            },
          ],
        },
      },
    },
  };
}

/** The SV1 → SV2 translator, present only when spec.translator.enabled. */
export function buildTranslator(node: HyperNodeInput, platform: PlatformSettings): ManifestObject[] | null {
  const t = node.spec.translator;
  if (!t?.enabled) return null;
  const n = hyperNodeNames(node.metadata.name);
  const selector = selectorLabels(node, "translator");
  const env = translatorEnv(node, platform) ?? [];
  const deployment: ManifestObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: childMeta(node, n.translator, "translator"),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, "hyperhash.network/hypernode": node.metadata.name } },
        spec: {
          serviceAccountName: n.translator,
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [
            {
              name: "translator",
              image: platform.images.translator,
              ...(platform.imagePullPolicy ? { imagePullPolicy: platform.imagePullPolicy } : {}),
              env,
              ports: [
                { name: "sv1", containerPort: t.port },
                { name: "ops", containerPort: OPS_PORT },
              ],
              resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: containerSecurity,
              ...opsProbes(),
            },
          ],
        },
      },
    },
  };
  const service: ManifestObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMeta(node, n.translator, "translator"),
    spec: { selector, ports: [{ name: "sv1", port: t.port, targetPort: "sv1", protocol: "TCP" }] },
  };
  const policy: ManifestObject = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(node, n.translator, "translator"),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ["Ingress"],
      // Miners connect from anywhere; the ops port only from the configured scrapers.
      ingress: [{ ports: [{ port: t.port, protocol: "TCP" }] }, ...monitoringIngress(platform)],
    },
  };
  return [buildServiceAccount(node, n.translator, "translator", false), deployment, service, policy];
}

/**
 * Ingress to the node agent: the treasury, on the payout port, asking for invoices (the agent
 * reports its address to Core; the treasury runs in the platform's namespace, whichever that
 * is), and the configured scrapers on the ops port. Everything else the agent does is outbound,
 * to lnd and Core.
 */
export function buildNodeAgentPolicy(
  node: HyperNodeInput,
  platform?: PlatformSettings,
): ManifestObject | null {
  if (node.spec.lightning.mode !== "external") return null;
  const n = hyperNodeNames(node.metadata.name);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: childMeta(node, n.agent, "node-agent"),
    spec: {
      podSelector: { matchLabels: selectorLabels(node, "node-agent") },
      policyTypes: ["Ingress"],
      ingress: [treasuryToAgentIngress(), ...(platform ? monitoringIngress(platform) : [])],
    },
  };
}

/** The bearer token the treasury presents to the node agent (generated once by the reconciler). */
export function buildAgentTokenSecret(node: HyperNodeInput, token: string): ManifestObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMeta(node, hyperNodeNames(node.metadata.name).agentToken, "node-agent"),
    type: "Opaque",
    immutable: true,
    data: secretData({ token }),
  };
}

/**
 * Every child a HyperNode may have, each either its desired object or null (must not exist).
 * Generated Secrets (managed-mode material, the agent's API token) are in the list only when
 * their material is given; otherwise they are left out (neither created nor deleted) so the
 * reconciler can create them once.
 */
export function buildHyperNodeChildren(
  node: HyperNodeInput,
  platform: PlatformSettings,
  material?: ManagedLightningMaterial,
  agentToken?: string,
): DesiredChild[] {
  const n = hyperNodeNames(node.metadata.name);
  const child = (kind: string, name: string, object: ManifestObject | null): DesiredChild => ({
    kind,
    name,
    object,
  });
  const translator = buildTranslator(node, platform);
  const external = node.spec.lightning.mode === "external";
  const list: DesiredChild[] = [
    child("ConfigMap", n.config, buildNodeConfig(node, platform)),
    child("ServiceAccount", n.agent, buildServiceAccount(node, n.agent, "node-agent", !external)),
    child("Deployment", n.agent, buildNodeAgentDeployment(node, platform)),
    child("NetworkPolicy", n.agent, buildNodeAgentPolicy(node, platform)),
    child("ServiceAccount", n.translator, translator?.[0] ?? null),
    child("Deployment", n.translator, translator?.[1] ?? null),
    child("Service", n.translator, translator?.[2] ?? null),
    child("NetworkPolicy", n.translator, translator?.[3] ?? null),
    ...buildManagedLightning(node, platform, material),
    ...(agentToken ? [child("Secret", n.agentToken, buildAgentTokenSecret(node, agentToken))] : []),
  ];
  return synthChildren(list);
}
