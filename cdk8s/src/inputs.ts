/**
 * What the builders read from a resource. Structural types, so the operator's zod-derived
 * HyperNode and TemplateProvider satisfy them without this package depending on the operator.
 */
export interface OwnerInput {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

/** The HyperNode fields the builders use. */
export interface HyperNodeInput extends OwnerInput {
  spec: {
    visibility: "public" | "private";
    network: string;
    lightning: {
      mode: "external" | "managed";
      external?: {
        grpcEndpoint: string;
        tlsCertSecretRef: { name: string; key: string };
        macaroonSecretRef: { name: string; key: string };
      };
      /** `neutrinoPeer` overrides the platform's chain node (PlatformSettings.neutrinoPeer). */
      managed?: { storageSize: string; storageClassName?: string; neutrinoPeer?: string };
    };
    translator?: {
      enabled: boolean;
      port: number;
      channelMode: "extended" | "aggregated";
      /** Aggregated mode: `<payout destination>[.<worker>]` the whole translator mines as. */
      aggregatedIdentity?: string;
    };
    logging?: { level: string };
  };
}

/** The TemplateProvider fields the builders use. */
export interface TemplateProviderInput extends OwnerInput {
  spec: {
    replicas: number;
    network: string;
    bitcoind: { rpcEndpoint: string; credentialsSecretName: string };
    port: number;
  };
}

/** Platform settings the operator passes to every builder (from its own config). */
export interface PlatformSettings {
  images: { nodeAgent: string; translator: string; lnd: string; templateProvider: string };
  /**
   * imagePullPolicy of every container the builders make; unset leaves Kubernetes' default
   * (IfNotPresent for a tag). `Never` for clusters whose images are imported, not pulled (the
   * devnet: an image that is missing must fail on the node, never reach for a registry).
   */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Core's REST API as pods reach it. */
  coreUrl: string;
  /** The pool's SV2 endpoint the translator connects to, `host:port`. */
  poolEndpoint: string;
  /** The operator's namespace, allowed to reach lnd's gRPC (channels, peers). */
  operatorNamespace: string;
  /**
   * The Core Treasury lnd's pubkey: node agents issue payout invoices only to it. Without it the
   * agent's required HH_AGENT_TREASURY_PUBKEY is missing and the agent refuses to start.
   */
  treasuryPubkey?: string;
  /**
   * The platform's chain node as a neutrino peer, `host:port` of its p2p Service (a btcd, or a
   * Bitcoin Core with blockfilterindex and peerblockfilters): managed lnds connect only to it.
   * A HyperNode's `lightning.managed.neutrinoPeer` overrides it; with neither, lnd finds peers
   * through the network's DNS seeds (mainnet, testnet4), which regtest has none of.
   */
  neutrinoPeer?: string;
  /**
   * NetworkPolicy `from` peers allowed to the workloads' ops port (metrics, health), e.g. the
   * namespace of a Prometheus (the chart's `networkPolicies.monitoringFrom`). Empty: no scraper
   * gets through the workloads' policies where they are enforced (kubelet probes need no rule).
   */
  monitoringFrom?: readonly Record<string, unknown>[];
}

/** Secret material the reconciler generates once; builders never invent randomness. */
export interface ManagedLightningMaterial {
  tlsCertPem: string;
  tlsKeyPem: string;
  walletPassword: string;
  macaroonRootKeyHex: string;
}

/** A plain Kubernetes object as the builders return it. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
  };
  [key: string]: unknown;
}

/** A child the resource may have: `object: null` means it must not exist. */
export interface DesiredChild {
  kind: string;
  name: string;
  object: ManifestObject | null;
}
