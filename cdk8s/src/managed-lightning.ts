import type { ManagedAgentEnvInput } from "@hyperhash/node-agent/managed";
import type { V1EnvVar } from "@kubernetes/client-node";
import { childMeta, containerSecurity, podSecurity, secretData, selectorLabels } from "./common.ts";
import { contractEnv } from "./env.ts";
import type {
  DesiredChild,
  HyperNodeInput,
  ManagedLightningMaterial,
  ManifestObject,
  PlatformSettings,
} from "./inputs.ts";
import { hyperNodeNames } from "./names.ts";
import { AGENT_PORT, monitoringIngress, nodeAgentEnv, OPS_PORT, treasuryToAgentIngress } from "./node-env.ts";

/** lnd's gRPC port (the operator's channel and peer calls, the agent's reads). */
export const LND_GRPC = 10009;
/** lnd's Lightning p2p port (the treasury opens its channel to it). */
export const LND_P2P = 9735;
/** lnd's REST listener, in-pod only: the agent's GenSeed/InitWallet go through it. */
const LND_REST = 8080;
const LND_DIR = "/data/lnd";
const TLS_CERT = "/etc/lnd/tls/tls.crt";
const WALLET_PASSWORD = "/etc/lnd/wallet/password";
const MACAROON_ROOT_KEY = "/etc/lnd/macaroon-root-key/root-key";

/** The neutrino peer of a managed lnd: the HyperNode's override, else the platform's chain node. */
export function neutrinoPeer(node: HyperNodeInput, platform: PlatformSettings): string | undefined {
  return node.spec.lightning.managed?.neutrinoPeer ?? platform.neutrinoPeer;
}

/**
 * lnd's flags (ARCHITECTURE.md "Managed Lightning"): neutrino against the platform's chain node,
 * TLS from the operator's Secret, and a wallet the sidecar creates — so no `--noseedbackup`
 * (the seed is kept, in `<hn>-lnd-seed`) and lnd unlocks itself from the password file.
 */
export function lndArgs(node: HyperNodeInput, platform: PlatformSettings): string[] {
  const peer = neutrinoPeer(node, platform);
  return [
    // Not --lnddir: lnd then moves tlscertpath/tlskeypath into that directory, ignores the
    // operator's TLS pair and generates its own (seen on the devnet's node: the sidecar could not
    // verify lnd). The default lnddir ($HOME/.lnd on an emptyDir) keeps the explicit paths.
    `--datadir=${LND_DIR}/data`,
    `--logdir=${LND_DIR}/logs`,
    `--bitcoin.${node.spec.network}`,
    "--bitcoin.node=neutrino",
    ...(peer ? [`--neutrino.connect=${peer}`] : []),
    `--tlscertpath=${TLS_CERT}`,
    "--tlskeypath=/etc/lnd/tls/tls.key",
    `--wallet-unlock-password-file=${WALLET_PASSWORD}`,
    "--wallet-unlock-allow-create",
    `--rpclisten=0.0.0.0:${LND_GRPC}`,
    `--restlisten=127.0.0.1:${LND_REST}`,
    `--listen=0.0.0.0:${LND_P2P}`,
    "--accept-keysend",
    `--debuglevel=${node.spec.logging?.level === "debug" ? "debug" : "info"}`,
  ];
}

/**
 * The sidecar's env: the agent's own contract (`@hyperhash/node-agent/config`) plus the managed
 * contract (`@hyperhash/node-agent/managed`), each written against its schema. Names both
 * contracts read (socket, cert, wallet inputs) appear once; a disagreement between the two is a
 * bug in this builder and throws.
 */
export function managedAgentEnv(node: HyperNodeInput, platform: PlatformSettings): V1EnvVar[] {
  const n = hyperNodeNames(node.metadata.name);
  const socket = `127.0.0.1:${LND_GRPC}`;
  const agent = nodeAgentEnv(node, platform, {
    socket,
    certPath: TLS_CERT,
    invoiceStorePath: "/data/node-agent/invoices.json",
    walletInit: { passwordPath: WALLET_PASSWORD, macaroonRootKeyPath: MACAROON_ROOT_KEY, seedSecret: n.seed },
  });
  const managed = contractEnv<ManagedAgentEnvInput>({
    HH_AGENT_MANAGED: "true",
    HH_AGENT_HYPERNODE: node.metadata.name,
    HH_AGENT_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
    HH_AGENT_LND_REST_URL: `https://127.0.0.1:${LND_REST}`,
    HH_AGENT_LND_SOCKET: socket,
    HH_AGENT_LND_CERT_PATH: TLS_CERT,
    HH_AGENT_LND_WALLET_PASSWORD_PATH: WALLET_PASSWORD,
    HH_AGENT_LND_MACAROON_ROOT_KEY_PATH: MACAROON_ROOT_KEY,
    // lnd writes it on the shared data volume; the agent needs it only to re-bake a deleted
    // macaroons Secret (node-agent README "Managed mode").
    HH_AGENT_LND_ADMIN_MACAROON_PATH: `${LND_DIR}/data/chain/bitcoin/${node.spec.network}/admin.macaroon`,
    HH_AGENT_SEED_SECRET: n.seed,
  });
  const byName = new Map(agent.map((e) => [e.name, e]));
  for (const e of managed) {
    const same = byName.get(e.name);
    if (same && JSON.stringify(same) !== JSON.stringify(e))
      throw new Error(`${e.name}: the agent and managed contracts are written with different values`);
  }
  return [...agent, ...managed.filter((e) => !byName.has(e.name))];
}

/**
 * The agent's Role (node-agent README "Managed mode"): RBAC cannot limit create by name, so
 * create is granted on secrets; everything else only on the three Secrets the agent owns.
 */
export function agentRoleRules(name: string) {
  const n = hyperNodeNames(name);
  return [
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
    {
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: [n.seed, n.macaroons, n.scb],
      verbs: ["get", "update", "patch"],
    },
  ];
}

/** The lnd StatefulSet: lnd plus the node agent as a sidecar (wallet init, SCB export, macaroons). */
function lndStatefulSet(node: HyperNodeInput, platform: PlatformSettings): ManifestObject {
  const n = hyperNodeNames(node.metadata.name);
  const selector = selectorLabels(node, "lnd");
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMeta(node, n.lnd, "lnd"),
    spec: {
      replicas: 1,
      serviceName: n.lnd,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, "hyperhash.network/hypernode": node.metadata.name } },
        spec: {
          serviceAccountName: n.agent,
          securityContext: podSecurity,
          terminationGracePeriodSeconds: 60,
          volumes: [
            { name: "data", persistentVolumeClaim: { claimName: n.lndData } },
            { name: "tls", secret: { secretName: n.lndTls } },
            { name: "wallet", secret: { secretName: n.walletPassword } },
            { name: "macaroon-root-key", secret: { secretName: n.macaroonRootKey } },
            // lnd's default lnddir ($HOME/.lnd; uid 10001's home is /tmp): nothing kept there.
            { name: "tmp", emptyDir: {} },
          ],
          containers: [
            {
              name: "lnd",
              image: platform.images.lnd,
              ...(platform.imagePullPolicy ? { imagePullPolicy: platform.imagePullPolicy } : {}),
              args: lndArgs(node, platform),
              ports: [
                { name: "grpc", containerPort: LND_GRPC },
                { name: "p2p", containerPort: LND_P2P },
              ],
              volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "tmp", mountPath: "/tmp" },
                { name: "tls", mountPath: "/etc/lnd/tls", readOnly: true },
                { name: "wallet", mountPath: "/etc/lnd/wallet", readOnly: true },
              ],
              resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
              securityContext: containerSecurity,
              startupProbe: { tcpSocket: { port: LND_GRPC }, periodSeconds: 5, failureThreshold: 120 },
              livenessProbe: { tcpSocket: { port: LND_GRPC }, periodSeconds: 20, failureThreshold: 3 },
              readinessProbe: { tcpSocket: { port: LND_P2P }, periodSeconds: 10 },
            },
            {
              name: "node-agent",
              image: platform.images.nodeAgent,
              ...(platform.imagePullPolicy ? { imagePullPolicy: platform.imagePullPolicy } : {}),
              env: managedAgentEnv(node, platform),
              ports: [
                { name: "payout", containerPort: AGENT_PORT },
                { name: "ops", containerPort: OPS_PORT },
              ],
              volumeMounts: [
                // lnd's data volume: the agent's invoice store, and lnd's admin.macaroon (re-bake only).
                { name: "data", mountPath: "/data" },
                { name: "tls", mountPath: "/etc/lnd/tls", readOnly: true },
                { name: "wallet", mountPath: "/etc/lnd/wallet", readOnly: true },
                { name: "macaroon-root-key", mountPath: "/etc/lnd/macaroon-root-key", readOnly: true },
              ],
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: containerSecurity,
              startupProbe: {
                httpGet: { path: "/healthz", port: 9464 },
                periodSeconds: 2,
                failureThreshold: 60,
              },
              livenessProbe: { httpGet: { path: "/healthz", port: 9464 }, periodSeconds: 10 },
              readinessProbe: { httpGet: { path: "/readyz", port: 9464 }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  };
}

/**
 * The managed-Lightning set (ARCHITECTURE.md "Managed Lightning"), or all-null when the node's
 * lnd is external. Secrets appear only when `material` is given (generated once by the
 * reconciler; later passes leave existing Secrets alone).
 */
export function buildManagedLightning(
  node: HyperNodeInput,
  platform: PlatformSettings,
  material?: ManagedLightningMaterial,
): DesiredChild[] {
  const n = hyperNodeNames(node.metadata.name);
  const managed = node.spec.lightning.mode === "managed" ? node.spec.lightning.managed : undefined;
  const m = (object: ManifestObject | null, kind: string, name: string): DesiredChild => ({
    kind,
    name,
    object,
  });
  const secrets: DesiredChild[] = [
    [
      n.lndTls,
      "kubernetes.io/tls",
      () => ({ "tls.crt": material!.tlsCertPem, "tls.key": material!.tlsKeyPem }),
    ],
    [n.walletPassword, "Opaque", () => ({ password: material!.walletPassword })],
    [n.macaroonRootKey, "Opaque", () => ({ "root-key": material!.macaroonRootKeyHex })],
  ]
    .filter(() => !managed || material)
    .map(([name, type, data]) =>
      m(
        managed
          ? {
              apiVersion: "v1",
              kind: "Secret",
              metadata: childMeta(node, name as string, "lnd"),
              type: type as string,
              immutable: true,
              data: secretData((data as () => Record<string, string>)()),
            }
          : null,
        "Secret",
        name as string,
      ),
    );
  if (!managed) {
    return [
      m(null, "StatefulSet", n.lnd),
      m(null, "Service", n.lnd),
      m(null, "PersistentVolumeClaim", n.lndData),
      m(null, "Role", n.agent),
      m(null, "RoleBinding", n.agent),
      m(null, "NetworkPolicy", n.lnd),
      ...secrets,
    ];
  }
  const selector = selectorLabels(node, "lnd");
  return [
    m(lndStatefulSet(node, platform), "StatefulSet", n.lnd),
    m(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: childMeta(node, n.lnd, "lnd"),
        spec: {
          selector,
          ports: [
            { name: "grpc", port: LND_GRPC, targetPort: "grpc", protocol: "TCP" },
            { name: "p2p", port: LND_P2P, targetPort: "p2p", protocol: "TCP" },
          ],
        },
      },
      "Service",
      n.lnd,
    ),
    m(
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: childMeta(node, n.lndData, "lnd"),
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: managed.storageSize } },
          ...(managed.storageClassName ? { storageClassName: managed.storageClassName } : {}),
        },
      },
      "PersistentVolumeClaim",
      n.lndData,
    ),
    m(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: childMeta(node, n.agent, "node-agent"),
        // The agent's three Secrets (seed, macaroons, SCB), and nothing else.
        rules: agentRoleRules(node.metadata.name),
      },
      "Role",
      n.agent,
    ),
    m(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: childMeta(node, n.agent, "node-agent"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: n.agent },
        subjects: [{ kind: "ServiceAccount", name: n.agent, namespace: node.metadata.namespace }],
      },
      "RoleBinding",
      n.agent,
    ),
    m(
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: childMeta(node, n.lnd, "lnd"),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            // Lightning peers (the treasury among them) reach p2p from anywhere.
            { ports: [{ port: LND_P2P, protocol: "TCP" }] },
            // gRPC only from the operator's namespace (channels, peers).
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": platform.operatorNamespace },
                  },
                },
              ],
              ports: [{ port: LND_GRPC, protocol: "TCP" }],
            },
            // The node agent sidecar's payout port: the treasury asks it for invoices (without
            // this rule every managed node's payout waited with AgentRefused: connection refused).
            treasuryToAgentIngress(),
            // The sidecar's ops port, from the configured scrapers.
            ...monitoringIngress(platform),
          ],
        },
      },
      "NetworkPolicy",
      n.lnd,
    ),
    ...secrets,
  ];
}
