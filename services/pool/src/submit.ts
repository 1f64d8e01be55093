/**
 * The share path of a connection: SubmitSharesStandard / SubmitSharesExtended → job lookup →
 * validation → vardiff → share log → (after commit) batched SubmitShares.Success; and, for a
 * block, SubmitSolution to the template provider at once and the block entry in the log.
 */
import {
  buildCoinbase,
  parseTransaction,
  serializeTransaction,
  targetToDifficulty,
  withCoinbaseWitness,
  work,
} from "@hyperhash/bitcoin";
import type { SubmitSharesExtended, SubmitSharesStandard, Sv2Message } from "@hyperhash/sv2";
import { graceTarget, type MiningChannel, retarget } from "./channels.ts";
import type { PoolContext } from "./context.ts";
import { type PoolJob, standardMerkleRoot } from "./jobs.ts";
import {
  type AcceptedShare,
  type ShareErrorCode,
  type ShareRejectReason,
  validateShare,
} from "./share-validator.ts";
import { subsidyAndFees } from "./sqlite-store.ts";

/** The connection side the share path needs. */
export interface ShareSink {
  /** Sends a message (fire and forget; order is call order). */
  send(m: Sv2Message): void;
  /** Sends SetTarget after a vardiff change. */
  announceTarget(channel: MiningChannel): void;
}

interface PendingAck {
  lastSequenceNumber: number;
  count: number;
}

/** Batches SubmitShares.Success per channel: one message per channel per commit. */
export function createAckBatcher(sink: ShareSink) {
  const pending = new Map<number, PendingAck>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [channelId, ack] of pending) {
      sink.send({
        type: "SubmitShares.Success",
        channelId,
        lastSequenceNumber: ack.lastSequenceNumber,
        newSubmitsAcceptedCount: ack.count,
        // Each accepted submit counts as one share (SV2 leaves the unit to the pool).
        newSharesSum: BigInt(ack.count),
      });
    }
    pending.clear();
  };
  return {
    /** Records one committed share; the Success goes out once the commit's callbacks ran. */
    acknowledge(channelId: number, sequenceNumber: number): void {
      const ack = pending.get(channelId);
      if (ack) {
        ack.count++;
        ack.lastSequenceNumber = sequenceNumber;
      } else pending.set(channelId, { lastSequenceNumber: sequenceNumber, count: 1 });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
  };
}

type Submit =
  | ({ type: "SubmitSharesStandard" } & SubmitSharesStandard)
  | ({ type: "SubmitSharesExtended" } & SubmitSharesExtended);

function rejectShare(
  ctx: PoolContext,
  sink: ShareSink,
  m: Submit,
  code: ShareErrorCode,
  reason: ShareRejectReason,
): void {
  ctx.metrics.sharesRejected.inc({ reason });
  sink.send({
    type: "SubmitShares.Error",
    channelId: m.channelId,
    sequenceNumber: m.sequenceNumber,
    errorCode: code,
  });
}

/** Handles one submit on a channel of this connection (or `undefined` for an unknown id). */
export function handleSubmit(
  ctx: PoolContext,
  sink: ShareSink,
  acks: ReturnType<typeof createAckBatcher>,
  channel: MiningChannel | undefined,
  m: Submit,
): void {
  const kind = m.type === "SubmitSharesStandard" ? "standard" : "extended";
  if (!channel || channel.kind !== kind) {
    rejectShare(ctx, sink, m, "invalid-channel-id", "invalid-channel-id");
    return;
  }
  const found = ctx.board.lookup(m.jobId);
  if (!found || !channel.jobsSent.has(m.jobId)) {
    rejectShare(ctx, sink, m, "invalid-job-id", "invalid-job-id");
    return;
  }
  if (found.stale) {
    rejectShare(ctx, sink, m, "stale-share", "stale-share");
    return;
  }
  const { job } = found;
  const tip = job.tip!;
  const nowMs = ctx.now();
  let seen = channel.seen.get(job.jobId);
  if (!seen) {
    seen = new Set();
    channel.seen.set(job.jobId, seen);
  }
  const blockTarget = ctx.solvedEpochs.has(tip.epoch)
    ? -1n // this tip is solved: a later hit is an ordinary share, not a competing block
    : ctx.settings.blockTarget !== null && ctx.settings.blockTarget < tip.networkTarget
      ? ctx.settings.blockTarget
      : tip.networkTarget;
  const verdict = validateShare(
    {
      version: job.version,
      tip,
      ...(kind === "standard"
        ? { merkleRoot: merkleRootFor(channel, job) }
        : {
            coinbaseTxPrefix: job.coinbaseTxPrefix,
            coinbaseTxSuffix: job.coinbaseTxSuffix,
            merklePath: job.merklePath,
          }),
    },
    {
      kind,
      extranoncePrefix: channel.allocation.prefix,
      rollableSize: channel.allocation.rollableSize,
      versionRollingAllowed: channel.versionRollingAllowed,
      versionRollingMask: ctx.settings.versionRollingMask,
      target: channel.target,
      graceTarget: graceTarget(channel, nowMs),
    },
    {
      nonce: m.nonce,
      ntime: m.ntime,
      version: m.version,
      ...(m.type === "SubmitSharesExtended" ? { extranonce: m.extranonce } : {}),
    },
    {
      blockTarget,
      nowSeconds: Math.floor(nowMs / 1000),
      maxFutureSeconds: ctx.settings.maxFutureSeconds,
      seen,
    },
  );
  if (!verdict.ok) {
    rejectShare(ctx, sink, m, verdict.code, verdict.reason);
    return;
  }
  accept(ctx, sink, acks, channel, job, m, verdict, nowMs);
}

/** A standard channel's merkle root for a job (computed once per channel and job). */
export function merkleRootFor(channel: MiningChannel, job: PoolJob): Uint8Array {
  let root = channel.merkleRoots.get(job.jobId);
  if (!root) {
    root = standardMerkleRoot(job, channel.allocation.prefix);
    channel.merkleRoots.set(job.jobId, root);
  }
  return root;
}

function accept(
  ctx: PoolContext,
  sink: ShareSink,
  acks: ReturnType<typeof createAckBatcher>,
  channel: MiningChannel,
  job: PoolJob,
  m: Submit,
  verdict: AcceptedShare,
  nowMs: number,
): void {
  const { identity } = channel;
  const { hashHex } = verdict;
  ctx.shareLog.append(
    {
      kind: "share",
      share: {
        hashHex,
        destination: identity.destination,
        nodeId: identity.nodeId,
        worker: identity.worker,
        channelId: channel.id,
        sequenceNumber: m.sequenceNumber,
        jobId: job.jobId,
        work: work(verdict.acceptedTarget),
        acceptedAtMs: nowMs,
      },
    },
    (result) => {
      if (result === "inserted") {
        ctx.metrics.sharesAccepted.inc({ channel_kind: channel.kind });
        acks.acknowledge(channel.id, m.sequenceNumber);
      } else if (result === "duplicate") {
        rejectShare(ctx, sink, m, "duplicate-share", "duplicate-share");
      } else {
        ctx.metrics.sharesRejected.inc({ reason: "log-failed" });
      }
    },
  );
  if (verdict.block) blockFound(ctx, channel, job, m, verdict, hashHex, nowMs);
  recordBest(ctx, channel, verdict);
  channel.window.shares++;
  const before = channel.difficulty;
  const change = retarget(channel, nowMs, ctx.settings.vardiff, ctx.settings.targetGraceMs);
  if (change) {
    ctx.metrics.vardiffChanges.inc({ direction: channel.difficulty > before ? "up" : "down" });
    sink.announceTarget(channel);
  }
}

function recordBest(ctx: PoolContext, channel: MiningChannel, verdict: AcceptedShare): void {
  const difficulty = targetToDifficulty(verdict.hashValue);
  if (difficulty > channel.bestDifficulty) channel.bestDifficulty = difficulty;
  if (difficulty > ctx.best.overall) {
    ctx.best.overall = difficulty;
    ctx.metrics.bestShareDifficulty.set(difficulty);
  }
}

function blockFound(
  ctx: PoolContext,
  channel: MiningChannel,
  job: PoolJob,
  m: Submit,
  verdict: AcceptedShare,
  hashHex: string,
  nowMs: number,
): void {
  const tip = job.tip!;
  ctx.solvedEpochs.add(tip.epoch);
  const coinbase =
    verdict.coinbase !== null
      ? withCoinbaseWitness(parseTransaction(verdict.coinbase))
      : buildCoinbase(job.spec, channel.allocation.prefix);
  const sent = ctx.submitSolution({
    templateId: job.templateId,
    version: m.version,
    headerTimestamp: m.ntime,
    headerNonce: m.nonce,
    coinbaseTx: serializeTransaction(coinbase),
  });
  const { subsidySats, feesSats } = subsidyAndFees(job.height, job.coinbaseValue, ctx.settings.network);
  ctx.metrics.blocksFound.inc();
  ctx.logger.info("block found", {
    blockHash: hashHex,
    height: job.height,
    submitted: sent,
    channelId: channel.id,
  });
  ctx.shareLog.append({
    kind: "block",
    block: {
      blockHash: hashHex,
      height: job.height,
      subsidySats,
      feesSats,
      coinbaseValueSats: job.coinbaseValue,
      winner: {
        destination: channel.identity.destination,
        nodeId: channel.identity.nodeId,
        worker: channel.identity.worker,
      },
      templateId: job.templateId,
      foundAtMs: nowMs,
    },
  });
}
