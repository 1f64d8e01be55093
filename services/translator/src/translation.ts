/**
 * SV2 extended job ⇄ SV1 work, as pure functions.
 *
 * Extranonce layout. The channel's full extranonce is
 * `channel prefix ‖ rollable (R bytes)`; the translator splits the rollable part as
 * `zero padding ‖ extranonce1 ‖ extranonce2`, where extranonce1 is a translator-local
 * index (unique among its miners) and extranonce2 the miner's. The channel prefix and
 * the padding go at the end of coinb1, so the miner hashes exactly
 * `coinbase_tx_prefix ‖ full extranonce ‖ coinbase_tx_suffix`, and extranonce1 never
 * depends on the upstream: it is known at mining.subscribe (before mining.authorize names
 * the identity a per-miner channel is opened with), and it survives a reconnect to a pool
 * that grants a different prefix.
 */
import {
  type BlockHeader,
  concat,
  headerHashValue,
  merkleRootFromPath,
  sha256d,
  targetToDifficulty,
} from "@hyperhash/bitcoin";
import type { Sv1Job } from "@hyperhash/sv1";
import type { ActiveJob } from "./channel-jobs.ts";

/** Consensus limit on a block's time ahead of the node's clock. */
export const MAX_NTIME_AHEAD_SECONDS = 2 * 60 * 60;

/** Where a miner's extranonce sits inside its upstream channel's extranonce. */
export interface ExtranonceLayout {
  /** extranonce_prefix the pool granted the channel. */
  readonly channelPrefix: Uint8Array;
  /** extranonce_size (rollable bytes) the pool granted. */
  readonly channelRollableSize: number;
  /** The miner's extranonce1 (translator-local index). */
  readonly extranonce1: Uint8Array;
  /** The miner's extranonce2_size. */
  readonly extranonce2Size: number;
}

/** Zero bytes between the channel prefix and extranonce1; negative when the grant is too small. */
export function paddingSize(layout: ExtranonceLayout): number {
  return layout.channelRollableSize - layout.extranonce1.length - layout.extranonce2Size;
}

/** The rollable extranonce a share carries upstream: padding ‖ extranonce1 ‖ extranonce2. */
export function rollableExtranonce(layout: ExtranonceLayout, extranonce2: Uint8Array): Uint8Array {
  const pad = paddingSize(layout);
  if (pad < 0) throw new RangeError("channel grant smaller than the miner's extranonce");
  if (extranonce2.length !== layout.extranonce2Size) throw new RangeError("bad extranonce2 size");
  return concat(new Uint8Array(pad), layout.extranonce1, extranonce2);
}

/** What the translator remembers of each notify it sent, to judge shares against it. */
export interface IssuedJob {
  readonly sv1: Sv1Job;
  /** SV2 job id the share is submitted under. */
  readonly upstreamJobId: number;
  /** Upstream session the job came from; a share for an older one is stale. */
  readonly upstreamEpoch: number;
  /** Whether the pool lets this job's version be rolled. */
  readonly versionRollingAllowed: boolean;
  /** Earliest nTime the pool accepts. */
  readonly minNtime: number;
  /** Miner's share target when the job was sent (set_difficulty applies to later jobs). */
  readonly minerTarget: bigint;
}

/** Builds the SV1 job for one miner from the channel's active job. */
export function sv1JobFor(
  active: ActiveJob,
  layout: ExtranonceLayout,
  jobId: string,
  cleanJobs: boolean,
  nowSeconds: number,
): Sv1Job {
  const pad = paddingSize(layout);
  if (pad < 0) throw new RangeError("channel grant smaller than the miner's extranonce");
  return {
    jobId,
    prevHash: active.tip.prevHash,
    coinb1: concat(active.job.coinbaseTxPrefix, layout.channelPrefix, new Uint8Array(pad)),
    coinb2: active.job.coinbaseTxSuffix,
    merkleBranches: active.job.merklePath,
    version: active.job.version,
    nBits: active.tip.nBits,
    // A fresh time keeps long-lived jobs inside the pool's window; never below min_ntime.
    ntime: Math.max(active.ntime, Math.min(nowSeconds, active.ntime + MAX_NTIME_AHEAD_SECONDS)),
    cleanJobs,
  };
}

/** The header a miner hashed for a share on `job`. */
export function shareHeader(
  job: Sv1Job,
  extranonce1: Uint8Array,
  extranonce2: Uint8Array,
  share: { readonly version: number; readonly ntime: number; readonly nonce: number },
): BlockHeader {
  const coinbase = concat(job.coinb1, extranonce1, extranonce2, job.coinb2);
  return {
    version: share.version,
    prevHash: job.prevHash,
    merkleRoot: merkleRootFromPath(sha256d(coinbase), job.merkleBranches),
    ntime: share.ntime,
    nBits: job.nBits,
    nonce: share.nonce,
  };
}

/** How a share compares with the two targets that matter. */
export interface ShareJudgement {
  /** Header hash as the LE integer targets are compared with. */
  readonly hash: bigint;
  /** Difficulty the hash achieved (for best-difficulty metrics). */
  readonly achievedDifficulty: number;
  /** Meets the miner's (vardiff) target. */
  readonly meetsMinerTarget: boolean;
  /** Meets the upstream channel target: forwarded to the pool. */
  readonly meetsUpstreamTarget: boolean;
}

/** Hashes a share's header and compares it with the miner's and the upstream target. */
export function judgeShare(header: BlockHeader, minerTarget: bigint, upstreamTarget: bigint): ShareJudgement {
  const hash = headerHashValue(header);
  return {
    hash,
    achievedDifficulty: hash === 0n ? Number.MAX_VALUE : targetToDifficulty(hash),
    meetsMinerTarget: hash <= minerTarget,
    meetsUpstreamTarget: hash <= upstreamTarget,
  };
}

/** nTime outside what the pool accepts, or null when it is fine. */
export function ntimeProblem(ntime: number, minNtime: number, nowSeconds: number): string | null {
  if (ntime < minNtime) return "ntime below the job's minimum";
  if (ntime > nowSeconds + MAX_NTIME_AHEAD_SECONDS) return "ntime too far in the future";
  return null;
}
