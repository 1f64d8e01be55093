import { z } from "zod";
import {
  ageColumn,
  conditions,
  hostPort,
  type KindInfo,
  objectMeta,
  pubkeyHex,
  satsString,
} from "./common.ts";

/** Phases of a LightningChannel (ARCHITECTURE.md "LightningChannel"). */
export const lightningChannelPhase = z.enum([
  "Pending",
  "Opening",
  "Active",
  "Inactive",
  "Closing",
  "Closed",
  "Failed",
]);
export type LightningChannelPhase = z.infer<typeof lightningChannelPhase>;

/** LightningChannel.spec: one channel between a node and a peer. */
export const lightningChannelSpec = z.object({
  /** The HyperNode this channel serves (its inbound capacity). */
  nodeName: z
    .string()
    .min(1)
    .max(253)
    .meta({
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "nodeName is immutable" }],
    }),
  /** Who opens and funds the channel: the Core Treasury (default) or the node. */
  initiator: z.enum(["treasury", "node"]).default("treasury"),
  /** The far end seen from the initiator: the node's lnd for a treasury channel. */
  peer: z
    .object({ pubkey: pubkeyHex, address: hostPort })
    .meta({ "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "peer is immutable" }] }),
  capacitySats: z.number().int().min(20_000).max(16_777_215_000),
  /** What deleting the resource does to the channel. */
  deletionPolicy: z.enum(["Close", "Retain"]).default("Retain"),
});
export type LightningChannelSpec = z.output<typeof lightningChannelSpec>;

const allowedTransitions =
  "!has(oldSelf.phase) || (has(self.phase) && (self.phase == oldSelf.phase || self.phase == 'Failed'" +
  " || (oldSelf.phase == 'Pending' && self.phase in ['Opening', 'Closed'])" +
  " || (oldSelf.phase == 'Opening' && self.phase in ['Active', 'Inactive', 'Closed'])" +
  " || (oldSelf.phase in ['Active', 'Inactive'] && self.phase in ['Active', 'Inactive', 'Closing', 'Closed'])" +
  " || (oldSelf.phase == 'Closing' && self.phase == 'Closed')))";

/** LightningChannel.status. */
export const lightningChannelStatus = z
  .object({
    observedGeneration: z.number().int().min(0).optional(),
    conditions: conditions.optional(),
    phase: lightningChannelPhase.optional(),
    /** Short channel id, `block x tx x output`. */
    channelId: z.string().max(64).optional(),
    /** `txid:index` of the funding output. */
    fundingOutpoint: z
      .string()
      .regex(/^[0-9a-f]{64}:[0-9]{1,5}$/)
      .optional(),
    capacitySats: satsString.optional(),
    /** Balances as the initiator sees them. */
    localBalanceSats: satsString.optional(),
    remoteBalanceSats: satsString.optional(),
    /** Failed open attempts so far; at the operator's limit the channel goes Failed. */
    openAttempts: z.number().int().min(0).max(1000).optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: allowedTransitions,
        message: "phase may only move Pending → Opening → Active ⇄ Inactive → Closing → Closed, or to Failed",
      },
    ],
  });
export type LightningChannelStatus = z.output<typeof lightningChannelStatus>;

/** A LightningChannel as the operator reads it. */
export const lightningChannel = z.object({
  apiVersion: z.string(),
  kind: z.literal("LightningChannel"),
  metadata: objectMeta,
  spec: lightningChannelSpec,
  status: lightningChannelStatus.optional(),
});
export type LightningChannel = z.output<typeof lightningChannel>;

/** CRD facts of LightningChannel. */
export const lightningChannelKind: KindInfo = {
  kind: "LightningChannel",
  plural: "lightningchannels",
  singular: "lightningchannel",
  shortNames: ["lnc"],
  categories: ["hyperhash"],
  printerColumns: [
    { name: "Node", type: "string", jsonPath: ".spec.nodeName" },
    { name: "Initiator", type: "string", jsonPath: ".spec.initiator" },
    { name: "Capacity", type: "integer", jsonPath: ".spec.capacitySats" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Channel", type: "string", jsonPath: ".status.channelId" },
    ageColumn,
  ],
  spec: lightningChannelSpec,
  status: lightningChannelStatus,
};
