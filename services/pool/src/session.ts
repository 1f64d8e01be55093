/**
 * One miner connection (sv2-spec §5): SetupConnection with flag handling, node binding from
 * device_id, channel open/update/close, job distribution and the share path. One loop reads
 * the connection's frames and handles them strictly in order; a peer that breaks framing or
 * the protocol loses its connection, nothing else.
 */
import { targetToU256LE } from "@hyperhash/bitcoin";
import {
  decodeMessage,
  encodeMessage,
  MINING_SETUP_FLAGS,
  PROTOCOL,
  Sv2CodecError,
  type Sv2Message,
} from "@hyperhash/sv2";
import type { Sv2Connection } from "@hyperhash/sv2/connection";
import { type OpenRequest, openChannel, updateChannel } from "./channel-open.ts";
import { forgetJob, type MiningChannel, retarget } from "./channels.ts";
import type { PoolContext } from "./context.ts";
import type { BoardEvent, ChainTip, PoolJob } from "./jobs.ts";
import type { NodeBinding } from "./node-registry.ts";
import { createAckBatcher, handleSubmit, merkleRootFor, type ShareSink } from "./submit.ts";

/** A live miner connection. */
export interface MiningSession {
  readonly id: string;
  /** Its open channels. */
  readonly channels: ReadonlyMap<number, MiningChannel>;
  /** Runs the message loop until the peer leaves or breaks the protocol. */
  run(): Promise<void>;
  /** Relays a job-board event to every channel. */
  onBoardEvent(event: BoardEvent): void;
  /** Drops per-job state of forgotten jobs. */
  forgetJobs(ids: readonly number[]): void;
  /** Judges every channel's vardiff window (silent channels step down). */
  retargetAll(nowMs: number): void;
  /** Closes the connection. */
  close(): void;
}

class ProtocolViolation extends Error {}

const UNSUPPORTED_FLAGS = MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION;

/** Creates the session of an accepted, handshaked connection. */
export function createMiningSession(ctx: PoolContext, conn: Sv2Connection, id: string): MiningSession {
  const log = ctx.logger.child({ connection: id });
  const channels = new Map<number, MiningChannel>();
  let setupDone = false;
  let binding: NodeBinding = { kind: "unbound" };
  let deviceId = "";
  let groupChannelId = 0;

  const send = (m: Sv2Message): void => {
    conn.send(encodeMessage(m)).catch(() => {}); // a dead peer is noticed by the read loop
  };
  const sink: ShareSink = {
    send,
    announceTarget: (channel) =>
      send({ type: "SetTarget", channelId: channel.id, maximumTarget: targetToU256LE(channel.target) }),
  };
  const acks = createAckBatcher(sink);

  function sendJob(channel: MiningChannel, job: PoolJob, minNtime: number | null): void {
    channel.jobsSent.add(job.jobId);
    if (channel.kind === "standard") {
      send({
        type: "NewMiningJob",
        channelId: channel.id,
        jobId: job.jobId,
        minNtime,
        version: job.version,
        merkleRoot: merkleRootFor(channel, job),
      });
      return;
    }
    send({
      type: "NewExtendedMiningJob",
      channelId: channel.id,
      jobId: job.jobId,
      minNtime,
      version: job.version,
      versionRollingAllowed: channel.versionRollingAllowed,
      merklePath: [...job.merklePath],
      coinbaseTxPrefix: job.coinbaseTxPrefix,
      coinbaseTxSuffix: job.coinbaseTxSuffix,
    });
  }

  function sendTip(channel: MiningChannel, job: PoolJob, tip: ChainTip): void {
    // SRI's mining device wants the job as a future job before the SetNewPrevHash naming it.
    if (!channel.jobsSent.has(job.jobId)) sendJob(channel, job, null);
    send({
      type: "SetNewPrevHash",
      channelId: channel.id,
      jobId: job.jobId,
      prevHash: tip.prevHash,
      minNtime: tip.minNtime,
      nbits: tip.nBits,
    });
  }

  async function handleSetup(m: Extract<Sv2Message, { type: "SetupConnection" }>): Promise<void> {
    if (setupDone) throw new ProtocolViolation("second SetupConnection");
    const refuse = (errorCode: string, flags = 0) => {
      send({ type: "SetupConnection.Error", flags, errorCode });
      throw new ProtocolViolation(errorCode);
    };
    if (m.protocol !== PROTOCOL.MINING) refuse("unsupported-protocol");
    if (m.minVersion > 2 || m.maxVersion < 2) refuse("protocol-version-mismatch");
    // Work selection needs Job Declaration, which the pool does not run yet.
    if (m.flags & UNSUPPORTED_FLAGS) refuse("unsupported-feature-flags", m.flags & UNSUPPORTED_FLAGS);
    // Awaited inside the read loop: no later message of this connection runs before the answer.
    binding = await ctx.nodes.bind(m.deviceId);
    if (binding.kind === "refused") refuse("invalid-node-credential");
    if (binding.kind === "unavailable") {
      log.warn("node credential not verifiable", { node: binding.nodeId, detail: binding.detail });
      refuse("node-registry-unavailable");
    }
    deviceId = m.deviceId;
    setupDone = true;
    // Version rolling is allowed and channels of either kind are served, so no flag is set.
    send({ type: "SetupConnection.Success", usedVersion: 2, flags: 0 });
    log.info("connection set up", {
      flags: m.flags,
      vendor: m.vendor,
      node: binding.kind === "bound" ? binding.nodeId : null,
    });
  }

  /**
   * A bound connection's credential is re-checked (through the registry's cache) before each
   * channel it opens, so a deregistered node opens nothing once its cached answer expires.
   * Core being unreachable keeps the binding verified at setup: an outage does not stop mining.
   */
  async function recheckBinding(): Promise<void> {
    if (binding.kind !== "bound") return;
    const now = await ctx.nodes.bind(deviceId);
    if (now.kind === "refused" || now.kind === "unbound") {
      log.info("node credential no longer valid", { node: binding.nodeId });
      binding = { kind: "refused", nodeId: binding.nodeId };
    }
  }

  async function handleOpen(request: OpenRequest): Promise<void> {
    if (channels.size >= ctx.settings.maxChannelsPerConnection) {
      send({ type: "OpenMiningChannel.Error", requestId: request.requestId, errorCode: "too-many-channels" });
      log.info("channel refused", { error: "too-many-channels", open: channels.size });
      return;
    }
    if (request.userIdentity.includes("/")) await recheckBinding();
    if (groupChannelId === 0) groupChannelId = ctx.nextChannelId();
    const outcome = openChannel(ctx, request, {
      connectionId: id,
      boundNodeId: binding.kind === "bound" ? binding.nodeId : null,
      groupChannelId,
    });
    if (!outcome.ok) {
      send({ type: "OpenMiningChannel.Error", requestId: request.requestId, errorCode: outcome.error });
      log.info("channel refused", { error: outcome.error, detail: outcome.detail });
      return;
    }
    const channel = outcome.channel;
    channels.set(channel.id, channel);
    ctx.metrics.channels.inc({ channel_kind: channel.kind });
    const target = targetToU256LE(channel.target);
    if (channel.kind === "standard") {
      send({
        type: "OpenStandardMiningChannel.Success",
        requestId: request.requestId,
        channelId: channel.id,
        target,
        extranoncePrefix: channel.allocation.prefix,
        groupChannelId,
      });
    } else {
      send({
        type: "OpenExtendedMiningChannel.Success",
        requestId: request.requestId,
        channelId: channel.id,
        target,
        extranonceSize: channel.allocation.rollableSize,
        extranoncePrefix: channel.allocation.prefix,
        groupChannelId,
      });
    }
    const job = ctx.board.activeJob;
    const tip = ctx.board.tip;
    if (job && tip) sendTip(channel, job, tip);
  }

  function closeChannel(channelId: number): void {
    const channel = channels.get(channelId);
    if (!channel) return;
    channels.delete(channelId);
    ctx.allocator.release(channel.allocation);
    ctx.metrics.channels.dec({ channel_kind: channel.kind });
  }

  /** Handles one message; a promise only where the registry is asked (setup, node channels). */
  function handle(m: Sv2Message): void | Promise<void> {
    if (m.type === "SetupConnection") return handleSetup(m);
    if (!setupDone) throw new ProtocolViolation(`${m.type} before SetupConnection`);
    switch (m.type) {
      case "SubmitSharesStandard":
      case "SubmitSharesExtended":
        handleSubmit(ctx, sink, acks, channels.get(m.channelId), m);
        return;
      case "OpenStandardMiningChannel":
        return handleOpen({ ...m, kind: "standard", minExtranonceSize: 0 });
      case "OpenExtendedMiningChannel":
        return handleOpen({ ...m, kind: "extended" });
      case "UpdateChannel": {
        const channel = channels.get(m.channelId);
        const error = channel
          ? updateChannel(ctx, channel, m.nominalHashRate, m.maximumTarget)
          : "invalid-channel-id";
        if (error) send({ type: "UpdateChannel.Error", channelId: m.channelId, errorCode: error });
        else if (channel) sink.announceTarget(channel);
        return;
      }
      case "CloseChannel":
        closeChannel(m.channelId);
        return;
      case "SetCustomMiningJob":
        send({
          type: "SetCustomMiningJob.Error",
          channelId: m.channelId,
          requestId: m.requestId,
          errorCode: "unsupported",
        });
        return;
      default:
        throw new ProtocolViolation(`unexpected ${m.type} from a miner`);
    }
  }

  async function run(): Promise<void> {
    ctx.metrics.connections.inc();
    try {
      for await (const frame of conn.frames()) {
        let message: Sv2Message;
        try {
          message = decodeMessage(frame);
        } catch (err) {
          // §3.4: an unknown message type is ignored; anything malformed ends the connection.
          if (err instanceof Sv2CodecError && err.code === "unknown-message") continue;
          throw err;
        }
        // Strictly in order: the next frame is read only once this message is handled.
        const pending = handle(message);
        if (pending) await pending;
      }
    } catch (err) {
      log.info("connection closed", { reason: err instanceof Error ? err.message : String(err) });
    } finally {
      for (const channelId of [...channels.keys()]) closeChannel(channelId);
      ctx.allocator.releaseOwner(id);
      ctx.metrics.connections.dec();
      conn.close();
    }
  }

  return {
    id,
    channels,
    run,
    onBoardEvent(event) {
      for (const channel of channels.values()) {
        if (event.kind === "future-job") sendJob(channel, event.job, null);
        else if (event.kind === "new-tip") sendTip(channel, event.job, event.tip);
        else sendJob(channel, event.job, event.tip.minNtime);
      }
    },
    forgetJobs(ids) {
      for (const channel of channels.values()) for (const jobId of ids) forgetJob(channel, jobId);
    },
    retargetAll(nowMs) {
      for (const channel of channels.values()) {
        const before = channel.difficulty;
        if (retarget(channel, nowMs, ctx.settings.vardiff, ctx.settings.targetGraceMs)) {
          ctx.metrics.vardiffChanges.inc({ direction: channel.difficulty > before ? "up" : "down" });
          sink.announceTarget(channel);
        }
      }
    },
    close: () => conn.close(),
  };
}
