import type {
  HyperNodeInput,
  ManagedLightningMaterial,
  PlatformSettings,
  TemplateProviderInput,
} from "../src/index.ts";

/** Settings as the operator passes them. */
export const platform: PlatformSettings = {
  images: {
    nodeAgent: "ghcr.io/hyperhash/node-agent:0.1.0",
    translator: "ghcr.io/hyperhash/translator:0.1.0",
    lnd: "lightninglabs/lnd:v0.20.1-beta",
    templateProvider: "ghcr.io/hyperhash/template-provider:0.1.0",
  },
  coreUrl: "http://core.hyperhash.svc:8080",
  poolEndpoint: "pool.hyperhash.svc:34254",
  operatorNamespace: "hyperhash-system",
  treasuryPubkey: `02${"ab".repeat(32)}`,
};

/** A HyperNode in external mode; `patch` adjusts the spec. */
export function externalNode(patch: Partial<HyperNodeInput["spec"]> = {}): HyperNodeInput {
  return {
    apiVersion: "hyperhash.network/v1alpha1",
    kind: "HyperNode",
    metadata: { name: "edge-1", namespace: "miners", uid: "0b0e7e1a-0000-4000-8000-000000000001" },
    spec: {
      visibility: "public",
      network: "regtest",
      lightning: {
        mode: "external",
        external: {
          grpcEndpoint: "10.0.0.5:10009",
          tlsCertSecretRef: { name: "edge-1-lnd", key: "tls.cert" },
          macaroonSecretRef: { name: "edge-1-lnd", key: "admin.macaroon.hex" },
        },
      },
      ...patch,
    },
  };
}

/** The same node with a managed lnd. */
export function managedNode(): HyperNodeInput {
  const n = externalNode();
  return {
    ...n,
    spec: {
      ...n.spec,
      lightning: {
        mode: "managed",
        managed: { storageSize: "10Gi", neutrinoPeer: "bitcoind.hyperhash.svc:18444" },
      },
    },
  };
}

export const material: ManagedLightningMaterial = {
  tlsCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  tlsKeyPem: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
  walletPassword: "correct horse battery staple",
  macaroonRootKeyHex: "00".repeat(32),
};

export const templateProvider: TemplateProviderInput = {
  apiVersion: "hyperhash.network/v1alpha1",
  kind: "TemplateProvider",
  metadata: { name: "tp", namespace: "hyperhash", uid: "0b0e7e1a-0000-4000-8000-000000000002" },
  spec: {
    replicas: 2,
    network: "regtest",
    bitcoind: { rpcEndpoint: "bitcoind:18443", credentialsSecretName: "bitcoind-rpc" },
    port: 8442,
  },
};
