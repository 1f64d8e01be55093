import type { LightningChannelState } from "@hyperhash/lightning";
import type { Condition } from "../api/common.ts";
import { setCondition } from "../api/conditions.ts";
import { hyperNode } from "../api/hypernode-types.ts";
import {
  type LightningChannel,
  type LightningChannelPhase,
  lightningChannel,
} from "../api/lightningchannel-types.ts";
import { closeChannel } from "../lightning/close-channel.ts";
import { connectPeer } from "../lightning/connect-peer.ts";
import { getPendingChannels } from "../lightning/pending-channels.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import { hasFinalizer, setFinalizer } from "../runtime/finalizers.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import { externalNodeWallet, treasuryWallet, type WalletLookup } from "./lnd-access.ts";
import type { OperatorSettings } from "./settings.ts";

/** Guards deletionPolicy: the channel is closed (or released) before the object goes. */
export const CHANNEL_FINALIZER = "hyperhash.network/lightning-channel";

/** The status a channel's phase and lnd's view give (pure; table-tested). */
export function channelStatus(phase: LightningChannelPhase, found: LightningChannelState | undefined) {
  if (!found) return { phase };
  return {
    phase: found.active ? ("Active" as const) : ("Inactive" as const),
    channelId: found.id,
    capacitySats: found.capacitySats.toString(),
    localBalanceSats: found.localBalanceSats.toString(),
    remoteBalanceSats: found.remoteBalanceSats.toString(),
  };
}

function parseOutpoint(s: string | undefined) {
  const m = /^([0-9a-f]{64}):([0-9]+)$/.exec(s ?? "");
  return m ? { fundingTxid: m[1]!, fundingOutputIndex: Number(m[2]) } : undefined;
}

/** The opener's wallet: the treasury's lnd, or the node's own (initiator: node, external mode). */
async function openerWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  ch: LightningChannel,
): Promise<WalletLookup> {
  if (ch.spec.initiator === "treasury") return treasuryWallet(ctx, settings);
  const raw = ctx.informer("HyperNode").get(ch.metadata.namespace, ch.spec.nodeName);
  const node = raw ? hyperNode.safeParse(raw) : undefined;
  if (!node?.success || !node.data.spec.lightning.external)
    return {
      ok: false,
      reason: "NodeWalletUnavailable",
      message: `HyperNode ${ch.spec.nodeName} has no external lnd to open from`,
    };
  return externalNodeWallet(ctx, settings, ch.metadata.namespace!, node.data.spec.lightning.external);
}

/** Connects to the peer and opens the channel; resolves once the funding tx is broadcast. */
async function open(lookup: Extract<WalletLookup, { ok: true }>, ch: LightningChannel) {
  await connectPeer(lookup.connection, ch.spec.peer.pubkey, ch.spec.peer.address);
  return lookup.wallet.openChannel({
    pubkey: ch.spec.peer.pubkey,
    capacitySats: BigInt(ch.spec.capacitySats),
    socket: ch.spec.peer.address,
  });
}

/** Funding outpoints other LightningChannels already stand for (never adopted twice). */
function claimedOutpoints(ctx: ControllerContext, self: LightningChannel): Set<string> {
  const claimed = new Set<string>();
  for (const o of ctx.informer("LightningChannel").list()) {
    if (o.metadata.uid === self.metadata.uid) continue;
    const outpoint = (o.status as { fundingOutpoint?: string } | undefined)?.fundingOutpoint;
    if (outpoint) claimed.add(outpoint);
  }
  return claimed;
}

/**
 * A channel this wallet already opened to the peer with the spec's capacity that no other
 * LightningChannel stands for: pending (funding broadcast, unconfirmed) first, then open. This
 * is what an operator that crashed between lnd's openChannel and the status write finds on its
 * next pass, so it adopts the channel instead of opening a second one.
 */
export async function findExistingChannel(
  lookup: Extract<WalletLookup, { ok: true }>,
  ch: LightningChannel,
  claimed: ReadonlySet<string>,
): Promise<string | undefined> {
  const capacity = BigInt(ch.spec.capacitySats);
  const fits = (c: {
    peerPubkey: string;
    capacitySats: bigint;
    isOpener: boolean;
    fundingTxid: string;
    fundingOutputIndex: number;
  }) =>
    c.peerPubkey === ch.spec.peer.pubkey &&
    c.isOpener &&
    c.capacitySats === capacity &&
    !claimed.has(`${c.fundingTxid}:${c.fundingOutputIndex}`);
  const pending = (await getPendingChannels(lookup.connection)).find((c) => c.isOpening && fits(c));
  const found = pending ?? (await lookup.wallet.listChannels()).find(fits);
  return found ? `${found.fundingTxid}:${found.fundingOutputIndex}` : undefined;
}

type Write = (s: Record<string, unknown>, reason: string, message: string, ok?: boolean) => Promise<unknown>;

/**
 * Pending → Opening: adopts a matching channel lnd already has, else opens one. Open errors
 * are counted in status.openAttempts; at settings.maxOpenAttempts the channel goes Failed.
 */
async function openOrAdopt(
  ctx: ControllerContext,
  settings: OperatorSettings,
  raw: KubeObject,
  ch: LightningChannel,
  lookup: Extract<WalletLookup, { ok: true }>,
  write: Write,
): Promise<ReconcileResult> {
  const existing = await findExistingChannel(lookup, ch, claimedOutpoints(ctx, ch));
  if (existing) {
    await write(
      { phase: "Opening", fundingOutpoint: existing },
      "AdoptedExisting",
      `adopted the channel ${existing} lnd already had to this peer; waiting for it to be active`,
      false,
    );
    ctx.events.normal(raw, "ChannelAdopted", `adopted existing channel ${existing}`);
    return { requeueAfterMs: 1_000 };
  }
  try {
    const funding = await open(lookup, ch);
    await write(
      { phase: "Opening", fundingOutpoint: `${funding.fundingTxid}:${funding.fundingOutputIndex}` },
      "FundingBroadcast",
      `funding transaction ${funding.fundingTxid} broadcast; waiting for confirmation`,
      false,
    );
    ctx.events.normal(raw, "ChannelOpening", `funding ${funding.fundingTxid}:${funding.fundingOutputIndex}`);
    return { requeueAfterMs: 1_000 };
  } catch (err) {
    const message = (err as Error).message.slice(0, 400);
    const max = settings.maxOpenAttempts;
    // Counted inside the status transaction, on the stored status (the cache may lag a write).
    const stored = await patchStatus<Record<string, unknown>>(ctx.client, raw, [
      (cur) => {
        const attempts = ((cur.openAttempts as number | undefined) ?? 0) + 1;
        const failed = attempts >= max;
        return {
          ...cur,
          phase: failed ? "Failed" : "Pending",
          openAttempts: attempts,
          observedGeneration: ch.metadata.generation,
          conditions: setCondition(
            cur.conditions as Condition[] | undefined,
            {
              type: "Ready",
              status: "False",
              reason: "OpenFailed",
              message: failed
                ? `gave up after ${attempts} failed opens; last: ${message}`
                : `attempt ${attempts}/${max}: ${message}`,
            },
            ch.metadata.generation,
            ctx.now(),
          ),
        };
      },
    ]);
    const attempts = (stored.status as { openAttempts?: number } | undefined)?.openAttempts ?? 0;
    ctx.events.warning(raw, "OpenFailed", `attempt ${attempts}/${max}: ${message}`);
    if (attempts >= max) return {};
    throw err;
  }
}

/**
 * Deletion: with `deletionPolicy: Close` the channel is closed cooperatively from the opener's
 * lnd before the finalizer goes (a channel lnd no longer lists is already closing or closed);
 * with Retain it stays open.
 */
async function finalize(
  ctx: ControllerContext,
  raw: KubeObject,
  ch: LightningChannel,
  lookup: WalletLookup,
  write: Write,
): Promise<ReconcileResult> {
  if (!hasFinalizer(raw, CHANNEL_FINALIZER)) return {};
  const outpoint = parseOutpoint(ch.status?.fundingOutpoint);
  if (ch.spec.deletionPolicy === "Close" && outpoint) {
    if (!lookup.ok) {
      // Keep the finalizer: releasing it would leave an open channel nobody asked to keep.
      await write({}, "CloseBlocked", `cannot reach the opener's lnd to close: ${lookup.message}`, false);
      return { requeueAfterMs: 5_000 };
    }
    const open = (await lookup.wallet.listChannels()).some(
      (c) => c.fundingTxid === outpoint.fundingTxid && c.fundingOutputIndex === outpoint.fundingOutputIndex,
    );
    if (open) {
      await closeChannel(lookup.connection, outpoint);
      ctx.events.normal(raw, "ChannelClosing", `closing ${ch.status?.fundingOutpoint}`);
    }
  }
  await setFinalizer(ctx.client, raw, CHANNEL_FINALIZER, false);
  return {};
}

/** The LightningChannel controller: Pending → Opening → Active ⇄ Inactive → Closed, deletionPolicy behind a finalizer. */
export function lightningChannelController(settings: OperatorSettings): ControllerDefinition {
  return {
    name: "lightningchannel",
    kind: "LightningChannel",
    // Cached for reads only (the opener's node and lnd Secrets); their events need no reconcile.
    watches: [
      { kind: "HyperNode", map: () => [] },
      { kind: "Secret", map: () => [] },
    ],
    async reconcile(req: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult> {
      let raw: KubeObject | undefined = ctx.informer("LightningChannel").get(req.namespace, req.name);
      if (!raw) return {};
      const ch = lightningChannel.parse(raw);
      const phase = ch.status?.phase;
      const outpoint = parseOutpoint(ch.status?.fundingOutpoint);
      const wallet = await openerWallet(ctx, settings, ch);
      const write: Write = (s, reason, message, ok = true) =>
        patchStatus<Record<string, unknown>>(ctx.client, raw!, [
          (cur) => ({
            ...cur,
            ...s,
            observedGeneration: ch.metadata.generation,
            conditions: setCondition(
              cur.conditions as Condition[] | undefined,
              { type: "Ready", status: ok ? "True" : "False", reason, message },
              ch.metadata.generation,
              ctx.now(),
            ),
          }),
        ]);

      if (raw.metadata.deletionTimestamp) return finalize(ctx, raw, ch, wallet, write);
      if (!hasFinalizer(raw, CHANNEL_FINALIZER))
        raw = await setFinalizer(ctx.client, raw, CHANNEL_FINALIZER, true);
      if (phase === "Closed" || phase === "Failed") return {};
      if (!wallet.ok) {
        await write({ phase: phase ?? "Pending" }, wallet.reason, wallet.message, false);
        return { requeueAfterMs: settings.pollMs };
      }
      if (!phase) {
        await write({ phase: "Pending" }, "Pending", "waiting to open", false);
        return { requeueAfterMs: 0 };
      }
      if (phase === "Pending") return openOrAdopt(ctx, settings, raw, ch, wallet, write);
      const found = (await wallet.wallet.listChannels()).find(
        (c) =>
          c.fundingTxid === outpoint?.fundingTxid && c.fundingOutputIndex === outpoint.fundingOutputIndex,
      );
      // Still unconfirmed: status already says Opening (FundingBroadcast or AdoptedExisting).
      if (phase === "Opening" && !found) return { requeueAfterMs: 1_000 };
      if (!found) {
        await write(
          { phase: "Closed" },
          "ChannelClosed",
          `channel ${ch.status?.channelId ?? ch.status?.fundingOutpoint} is no longer open`,
          false,
        );
        ctx.events.warning(raw, "ChannelClosed", `channel ${ch.status?.channelId} closed out of band`);
        return {};
      }
      const next = channelStatus(phase, found);
      await write(
        next,
        next.phase === "Active" ? "ChannelActive" : "PeerOffline",
        `channel ${found.id} ${next.phase === "Active" ? "is active" : "is inactive (peer offline)"}`,
        next.phase === "Active",
      );
      return { requeueAfterMs: Math.min(settings.pollMs, 5_000) };
    },
  };
}
