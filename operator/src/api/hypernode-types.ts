import { z } from "zod";
import {
  ageColumn,
  conditions,
  hostPort,
  type KindInfo,
  network,
  objectMeta,
  pubkeyHex,
  readyColumn,
  secretKeyRef,
} from "./common.ts";

/** An existing lnd the node owner runs (mode: external). */
export const externalLightning = z.object({
  /** lnd's gRPC listener, `host:port`. */
  grpcEndpoint: hostPort,
  /** Where Lightning peers (the treasury) reach this lnd, `host:port`. */
  p2pAddress: hostPort,
  /** lnd's tls.cert (PEM). */
  tlsCertSecretRef: secretKeyRef,
  /** A macaroon (hex) that may read the wallet and its channels. */
  macaroonSecretRef: secretKeyRef,
});

/** An lnd the operator deploys (mode: managed), see ARCHITECTURE.md "Managed Lightning". */
export const managedLightning = z.object({
  storageSize: z
    .string()
    .regex(/^[0-9]+(Mi|Gi|Ti)$/)
    .default("10Gi"),
  storageClassName: z.string().min(1).max(253).optional(),
  /**
   * A chain node that serves compact block filters to neutrino, `host:port` of its p2p port.
   * Default: the platform's chain node (the operator's NEUTRINO_PEER).
   */
  neutrinoPeer: hostPort.optional(),
});

/** The node's Lightning wallet and its treasury channels (invariants 1 and 2). */
export const hyperNodeLightning = z
  .object({
    mode: z.enum(["external", "managed"]),
    external: externalLightning.optional(),
    managed: managedLightning.optional(),
    minTreasuryChannels: z.number().int().default(1),
    /** Inbound capacity each treasury channel must give the node, in sats. */
    minInboundSats: z.number().int().min(20_000).max(1_600_000_000).default(1_000_000),
    /** Create LightningChannels when treasury channels are missing. */
    autoMaintain: z.boolean().default(true),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "!has(self.minTreasuryChannels) || self.minTreasuryChannels >= 1",
        message: "minTreasuryChannels must be at least 1: every HyperNode keeps a treasury channel",
      },
      {
        rule: "self.mode != 'external' || has(self.external)",
        message: "mode external needs lightning.external (endpoint and Secret refs)",
      },
      {
        rule: "self.mode != 'managed' || has(self.managed)",
        message: "mode managed needs lightning.managed",
      },
      {
        rule: "!(has(self.external) && has(self.managed))",
        message: "set lightning.external or lightning.managed, not both",
      },
    ],
  });

/** The SV1 → SV2 translator for legacy miners. */
export const translatorSpec = z
  .object({
    enabled: z.boolean().default(false),
    port: z.number().int().min(1024).max(65535).default(34255),
    /**
     * One extended channel per SV1 miner (the translator's `per-miner`), or one aggregated
     * channel for the node (the node is then paid as one miner).
     */
    channelMode: z.enum(["extended", "aggregated"]).default("extended"),
    /** Aggregated mode: `<payout destination>[.<worker>]` the whole translator mines as. */
    aggregatedIdentity: z.string().min(1).max(160).optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "!has(self.channelMode) || self.channelMode != 'aggregated' || has(self.aggregatedIdentity)",
        message: "channelMode aggregated needs aggregatedIdentity (the payout destination the node mines as)",
      },
    ],
  });

/** HyperNode.spec: one mining edge. */
export const hyperNodeSpec = z.object({
  visibility: z.enum(["public", "private"]),
  network,
  lightning: hyperNodeLightning,
  translator: translatorSpec.optional(),
  logging: z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).optional(),
});
export type HyperNodeSpec = z.output<typeof hyperNodeSpec>;

/** HyperNode.status. */
export const hyperNodeStatus = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: conditions.optional(),
  /** Issued by Core at registration. */
  nodeId: z.string().min(1).max(128).optional(),
  lightningPubkey: pubkeyHex.optional(),
  /** Active treasury channels that meet minInboundSats. */
  treasuryChannels: z.number().int().min(0).optional(),
});
export type HyperNodeStatus = z.output<typeof hyperNodeStatus>;

/** A HyperNode as the operator reads it (defaults applied by the API server). */
export const hyperNode = z.object({
  apiVersion: z.string(),
  kind: z.literal("HyperNode"),
  metadata: objectMeta,
  spec: hyperNodeSpec,
  status: hyperNodeStatus.optional(),
});
export type HyperNode = z.output<typeof hyperNode>;

/** Condition types of a HyperNode. */
export const HyperNodeCondition = {
  Registered: "Registered",
  LightningWalletReady: "LightningWalletReady",
  TreasuryChannelOpen: "TreasuryChannelOpen",
  TelemetryReporting: "TelemetryReporting",
  Ready: "Ready",
} as const;

/** CRD facts of HyperNode. */
export const hyperNodeKind: KindInfo = {
  kind: "HyperNode",
  plural: "hypernodes",
  singular: "hypernode",
  shortNames: ["hn"],
  categories: ["hyperhash"],
  printerColumns: [
    { name: "Visibility", type: "string", jsonPath: ".spec.visibility" },
    { name: "Lightning", type: "string", jsonPath: ".spec.lightning.mode" },
    { name: "Node ID", type: "string", jsonPath: ".status.nodeId" },
    { name: "Channels", type: "integer", jsonPath: ".status.treasuryChannels" },
    readyColumn,
    {
      name: "Reason",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      priority: 1,
    },
    ageColumn,
  ],
  spec: hyperNodeSpec,
  status: hyperNodeStatus,
};
