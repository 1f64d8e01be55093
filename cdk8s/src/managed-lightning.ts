import { childMeta, containerSecurity, podSecurity, secretData, selectorLabels } from "./common.ts";
import type {
  DesiredChild,
  HyperNodeInput,
  ManagedLightningMaterial,
  ManifestObject,
  PlatformSettings,
} from "./inputs.ts";
import { hyperNodeNames } from "./names.ts";

const LND_GRPC = 10009;
const LND_P2P = 9735;

/** lnd's flags: neutrino against Core's bitcoind, TLS and wallet password from Secrets. */
export function lndArgs(node: HyperNodeInput): string[] {
  const managed = node.spec.lightning.managed!;
  return [
    "--lnddir=/data/lnd",
    `--bitcoin.${node.spec.network === "mainnet" ? "mainnet" : node.spec.network === "testnet4" ? "testnet4" : node.spec.network}`,
    "--bitcoin.node=neutrino",
    `--neutrino.connect=${managed.neutrinoPeer}`,
    "--tlscertpath=/etc/lnd/tls/tls.crt",
    "--tlskeypath=/etc/lnd/tls/tls.key",
    "--wallet-unlock-password-file=/etc/lnd/wallet/password",
    "--wallet-unlock-allow-create",
    `--rpclisten=0.0.0.0:${LND_GRPC}`,
    `--listen=0.0.0.0:${LND_P2P}`,
    "--accept-keysend",
    `--debuglevel=${node.spec.logging?.level === "debug" ? "debug" : "info"}`,
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
          ],
          containers: [
            {
              name: "lnd",
              image: platform.images.lnd,
              args: lndArgs(node),
              ports: [
                { name: "grpc", containerPort: LND_GRPC },
                { name: "p2p", containerPort: LND_P2P },
              ],
              volumeMounts: [
                { name: "data", mountPath: "/data" },
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
              envFrom: [{ configMapRef: { name: n.config } }],
              env: [
                { name: "NODE_ID", valueFrom: { secretKeyRef: { name: n.credentials, key: "nodeId" } } },
                {
                  name: "NODE_CREDENTIAL",
                  valueFrom: { secretKeyRef: { name: n.credentials, key: "credential" } },
                },
                { name: "LND_GRPC_ENDPOINT", value: `127.0.0.1:${LND_GRPC}` },
                { name: "LND_TLS_CERT_PATH", value: "/etc/lnd/tls/tls.crt" },
                { name: "LND_WALLET_PASSWORD_PATH", value: "/etc/lnd/wallet/password" },
                { name: "LND_MACAROON_ROOT_KEY_PATH", value: "/etc/lnd/macaroon-root-key/root-key" },
                { name: "LND_SEED_SECRET", value: n.seed },
              ],
              ports: [{ name: "ops", containerPort: 9464 }],
              volumeMounts: [
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
        // The agent stores the seed it generated, in one named Secret, and nothing else.
        rules: [
          {
            apiGroups: [""],
            resources: ["secrets"],
            resourceNames: [n.seed],
            verbs: ["get", "update", "patch"],
          },
        ],
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
          ],
        },
      },
      "NetworkPolicy",
      n.lnd,
    ),
    ...secrets,
  ];
}
