import type { LightningChannelState, LightningWallet } from "@hyperhash/lightning";
import type { Condition } from "../api/common.ts";
import { setCondition } from "../api/conditions.ts";
import { hyperNode } from "../api/hypernode-types.ts";
import {
  type LightningChannel,
  type LightningChannelPhase,
  lightningChannel,
} from "../api/lightningchannel-types.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import { hasFinalizer, setFinalizer } from "../runtime/finalizers.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import { externalNodeWallet, readSecretKeys, treasuryWallet, type WalletLookup } from "./lnd-access.ts";
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

/** Moves a Pending channel to Opening: connect, open, record the funding outpoint. */
async function open(wallet: LightningWallet, ch: LightningChannel) {
  try {
    await wallet.connectPeer(ch.spec.peer.pubkey, ch.spec.peer.address);
  } catch (err) {
    // Already connected is fine; anything else shows up in openChannel's answer.
    if (!/already connected/i.test((err as Error).message)) throw err;
  }
  return wallet.openChannel({
    pubkey: ch.spec.peer.pubkey,
    capacitySats: BigInt(ch.spec.capacitySats),
    socket: ch.spec.peer.address,
  });
}

/** The LightningChannel controller: Pending → Opening → Active ⇄ Inactive → Closed, deletionPolicy behind a finalizer. */
export function lightningChannelController(settings: OperatorSettings): ControllerDefinition {
  return {
    name: "lightningchannel",
    kind: "LightningChannel",
    watches: [{ kind: "HyperNode", map: () => [] }],
    async reconcile(req: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult> {
      let raw: KubeObject | undefined = ctx.informer("LightningChannel").get(req.namespace, req.name);
      if (!raw) return {};
      const ch = lightningChannel.parse(raw);
      const phase = ch.status?.phase;
      const outpoint = parseOutpoint(ch.status?.fundingOutpoint);
      const wallet = await openerWallet(ctx, settings, ch);
      const write = (s: Record<string, unknown>, reason: string, message: string, ok = true) =>
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

      if (raw.metadata.deletionTimestamp) {
        if (!hasFinalizer(raw, CHANNEL_FINALIZER)) return {};
        const live = outpoint && (phase === "Active" || phase === "Inactive" || phase === "Opening");
        if (ch.spec.deletionPolicy === "Close" && live && wallet.ok) {
          const conn = await treasuryConnection(ctx, settings);
          if (ch.spec.initiator === "treasury" && conn) {
            const { closeChannel } = await import("../lightning/close-channel.ts");
            await closeChannel(conn, outpoint);
            ctx.events.normal(raw, "ChannelClosing", `closing ${ch.status?.fundingOutpoint}`);
          }
        }
        await setFinalizer(ctx.client, raw, CHANNEL_FINALIZER, false);
        return {};
      }
      if (!hasFinalizer(raw, CHANNEL_FINALIZER))
        raw = await setFinalizer(ctx.client, raw, CHANNEL_FINALIZER, true);
      if (phase === "Closed" || phase === "Failed") return {};
      if (!wallet.ok) {
        await write({ phase: phase ?? "Pending" }, wallet.reason, wallet.message, false);
        return { requeueAfterMs: settings.pollMs };
      }
      if (!phase) {
        await write({ phase: "Pending" }, "Pending", "waiting to open");
        return { requeueAfterMs: 0 };
      }
      if (phase === "Pending") {
        try {
          const funding = await open(wallet.wallet, ch);
          await write(
            { phase: "Opening", fundingOutpoint: `${funding.fundingTxid}:${funding.fundingOutputIndex}` },
            "FundingBroadcast",
            `funding transaction ${funding.fundingTxid} broadcast; waiting for confirmation`,
            false,
          );
          ctx.events.normal(
            raw,
            "ChannelOpening",
            `funding ${funding.fundingTxid}:${funding.fundingOutputIndex}`,
          );
          return { requeueAfterMs: 1_000 };
        } catch (err) {
          await write({ phase: "Pending" }, "OpenFailed", (err as Error).message.slice(0, 500), false);
          ctx.events.warning(raw, "OpenFailed", (err as Error).message);
          throw err;
        }
      }
      const found = (await wallet.wallet.listChannels()).find(
        (c) =>
          c.fundingTxid === outpoint?.fundingTxid && c.fundingOutputIndex === outpoint.fundingOutputIndex,
      );
      if (phase === "Opening" && !found) {
        await write(
          { phase: "Opening" },
          "FundingBroadcast",
          "waiting for the funding transaction to confirm",
          false,
        );
        return { requeueAfterMs: 1_000 };
      }
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

/** The treasury's raw connection (for the one call not yet on LightningWallet). */
async function treasuryConnection(ctx: ControllerContext, settings: OperatorSettings) {
  const { namespace, name } = settings.treasurySecret;
  const [socket, certPem, macaroonHex] = await readSecretKeys(ctx, namespace, name, [
    "socket",
    "tls.cert",
    "macaroon.hex",
  ]);
  return socket && certPem && macaroonHex ? { socket, certPem, macaroonHex } : undefined;
}
