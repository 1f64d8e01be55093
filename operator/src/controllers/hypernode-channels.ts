import { MANAGED_BY } from "@hyperhash/cdk8s";
import { API_VERSION } from "../api/common.ts";
import type { ConditionUpdate } from "../api/conditions.ts";
import type { HyperNode } from "../api/hypernode-types.ts";
import type { ControllerContext } from "../runtime/controller.ts";
import { KubeApiError, type KubeObject } from "../runtime/kube.ts";
import type { WalletLookup } from "./lnd-access.ts";

/** Channel capacity that leaves the node ≥ minInboundSats after reserve and commitment fee. */
export function treasuryChannelCapacity(minInboundSats: number): number {
  return Math.ceil(minInboundSats * 1.02) + 20_000;
}

const inProgress = new Set(["Pending", "Opening"]);

/** The node's LightningChannels (owned by it), newest last. */
export function nodeChannels(ctx: ControllerContext, node: HyperNode): KubeObject[] {
  return ctx
    .informer("LightningChannel")
    .list(node.metadata.namespace)
    .filter((c) => c.metadata.ownerReferences?.some((o) => o.uid === node.metadata.uid && o.controller));
}

/**
 * Invariant 2: counts the treasury's active channels to the node whose treasury-side balance
 * (the node's inbound) is ≥ minInboundSats — from the treasury lnd itself, so a channel closed
 * out of band stops counting at once — and, when short and autoMaintain, creates one
 * LightningChannel unless one is already opening.
 */
export async function ensureTreasuryChannels(
  ctx: ControllerContext,
  node: HyperNode,
  treasuryLookup: () => Promise<WalletLookup>,
  pubkey: string | undefined,
): Promise<{ count: number; condition: ConditionUpdate }> {
  const type = "TreasuryChannelOpen";
  const l = node.spec.lightning;
  if (!pubkey)
    return {
      count: 0,
      condition: {
        type,
        status: "Unknown",
        reason: "NodePubkeyUnknown",
        message: "the node's lnd pubkey is not known yet",
      },
    };
  const treasury = await treasuryLookup();
  if (!treasury.ok)
    return {
      count: 0,
      condition: { type, status: "Unknown", reason: treasury.reason, message: treasury.message },
    };
  const channels = await treasury.wallet.listChannels();
  const count = channels.filter(
    (c) => c.peerPubkey === pubkey && c.active && c.localBalanceSats >= BigInt(l.minInboundSats),
  ).length;
  if (count >= l.minTreasuryChannels)
    return {
      count,
      condition: {
        type,
        status: "True",
        reason: "ChannelsActive",
        message: `${count} active treasury channel(s), ${l.minTreasuryChannels} required`,
      },
    };
  const mine = nodeChannels(ctx, node);
  const opening = mine.find((c) =>
    inProgress.has((c.status as { phase?: string } | undefined)?.phase ?? "Pending"),
  );
  if (opening) {
    return {
      count,
      condition: {
        type,
        status: "False",
        reason: "ChannelOpening",
        message: `LightningChannel ${opening.metadata.name} is opening (${count}/${l.minTreasuryChannels} active)`,
      },
    };
  }
  if (!l.autoMaintain)
    return {
      count,
      condition: {
        type,
        status: "False",
        reason: "ChannelMissing",
        message: `${count}/${l.minTreasuryChannels} treasury channels active; autoMaintain is off`,
      },
    };
  const seq =
    mine.reduce((max, c) => Math.max(max, Number(/-treasury-(\d+)$/.exec(c.metadata.name)?.[1] ?? 0)), 0) + 1;
  const name = `${node.metadata.name}-treasury-${seq}`;
  const created = ctx.client.create({
    apiVersion: API_VERSION,
    kind: "LightningChannel",
    metadata: {
      name,
      namespace: node.metadata.namespace,
      labels: { ...MANAGED_BY, "hyperhash.network/hypernode": node.metadata.name },
      ownerReferences: [
        {
          apiVersion: node.apiVersion,
          kind: node.kind,
          name: node.metadata.name,
          uid: node.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: node.metadata.name,
      initiator: "treasury",
      peer: {
        pubkey,
        address: l.external?.p2pAddress ?? `${node.metadata.name}-lnd.${node.metadata.namespace}.svc:9735`,
      },
      capacitySats: treasuryChannelCapacity(l.minInboundSats),
      deletionPolicy: "Retain",
    },
  });
  // 409: our own create from a moment ago that the cache has not seen yet.
  await created.catch((err) => {
    if (!(err instanceof KubeApiError && err.code === 409)) throw err;
  });
  ctx.events.normal(
    node as never,
    "TreasuryChannelRequested",
    `created LightningChannel ${name}: ${count}/${l.minTreasuryChannels} active`,
  );
  return {
    count,
    condition: {
      type,
      status: "False",
      reason: "ChannelMissing",
      message: `${count}/${l.minTreasuryChannels} treasury channels active; requested LightningChannel ${name}`,
    },
  };
}
