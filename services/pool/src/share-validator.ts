/**
 * Share validation (sv2-spec §5.3.11–5.3.14), pure and in SRI's check order
 * (share-validation.json `conventions.check_order`): extranonce size → coinbase and merkle
 * root → ntime → version → hash against targets → duplicate. Stale and unknown jobs are
 * decided before, from the job board. Nothing here reads the clock: `nowSeconds` is passed.
 */
import {
  assembleExtendedJob,
  checkShareVersion,
  concat,
  DecodeError,
  hashToBigInt,
  serializeHeader,
  sha256d,
  toHex,
} from "@hyperhash/bitcoin";

/** Consensus limit on a header's time ahead of the node's clock (2 h). */
export const MAX_FUTURE_BLOCK_TIME_SECONDS = 7200;

/** SubmitShares.Error codes on the wire (spec §5.3.14, plus the ones SRI sends). */
export type ShareErrorCode =
  | "invalid-channel-id"
  | "stale-share"
  | "invalid-job-id"
  | "difficulty-too-low"
  | "duplicate-share"
  | "invalid-share"
  | "bad-extranonce-size"
  | "version-rolling-not-allowed";

/**
 * Why a share was rejected, for metrics and logs: the wire code, except that SRI's
 * catch-all `invalid-share` is split by cause.
 */
export const SHARE_REJECT_REASONS = [
  "invalid-channel-id",
  "stale-share",
  "invalid-job-id",
  "difficulty-too-low",
  "duplicate-share",
  "bad-extranonce-size",
  "version-rolling-not-allowed",
  "bad-coinbase",
  "ntime-out-of-range",
  "invalid-non-rollable-version-bit",
] as const satisfies readonly (Exclude<ShareErrorCode, "invalid-share"> | string)[];
export type ShareRejectReason = (typeof SHARE_REJECT_REASONS)[number];

/** The job as the validator needs it. */
export interface ShareJobView {
  /** The job's block version. */
  readonly version: number;
  /** Tip: prev hash (internal order), nBits, min ntime. */
  readonly tip: { readonly prevHash: Uint8Array; readonly nBits: number; readonly minNtime: number };
  /** Standard jobs: the merkle root the server computed for this channel. */
  readonly merkleRoot?: Uint8Array;
  /** Extended jobs: coinbase around the full extranonce, and the merkle path. */
  readonly coinbaseTxPrefix?: Uint8Array;
  /** Extended jobs. */
  readonly coinbaseTxSuffix?: Uint8Array;
  /** Extended jobs. */
  readonly merklePath?: readonly Uint8Array[];
}

/** The channel as the validator needs it. */
export interface ShareChannelView {
  /** Channel kind. */
  readonly kind: "standard" | "extended";
  /** The channel's extranonce prefix (standard: the whole extranonce). */
  readonly extranoncePrefix: Uint8Array;
  /** Bytes the miner supplies (extended). */
  readonly rollableSize: number;
  /** Whether version rolling is allowed (always on standard channels). */
  readonly versionRollingAllowed: boolean;
  /** Version bits the miner may roll. */
  readonly versionRollingMask: number;
  /** The channel target. */
  readonly target: bigint;
  /** An easier target still honoured briefly after a SetTarget (shares in flight). */
  readonly graceTarget?: bigint | null;
}

/** A share as submitted. */
export interface SubmittedShare {
  /** Header nonce. */
  readonly nonce: number;
  /** Header time. */
  readonly ntime: number;
  /** Header version (after rolling). */
  readonly version: number;
  /** Extended channels: the miner's extranonce part. */
  readonly extranonce?: Uint8Array;
}

/** Context of one validation. */
export interface ShareContext {
  /** A share is a block when its hash ≤ this: min(network target, regtest blockTarget). */
  readonly blockTarget: bigint;
  /** Caller's clock (Unix seconds), for the future-ntime bound. */
  readonly nowSeconds: number;
  /** How far ahead of now ntime may be (default: the consensus 2 h). */
  readonly maxFutureSeconds?: number;
  /** Header hashes already accepted for this job on this channel; an accepted share is added. */
  readonly seen: Set<string>;
}

/** An accepted share. */
export interface AcceptedShare {
  readonly ok: true;
  /** The hash meets the block target. */
  readonly block: boolean;
  /** Header hash, internal order. */
  readonly hash: Uint8Array;
  /** The hash as an integer. */
  readonly hashValue: bigint;
  /** The target the share is weighed by (the channel target it met, or the grace target). */
  readonly acceptedTarget: bigint;
  /** Serialized 80-byte header. */
  readonly header: Uint8Array;
  /** Extended channels: the non-witness coinbase the miner hashed. */
  readonly coinbase: Uint8Array | null;
}

/** A rejected share. */
export interface RejectedShare {
  readonly ok: false;
  /** Wire code for SubmitShares.Error. */
  readonly code: ShareErrorCode;
  /** Finer reason for metrics. */
  readonly reason: ShareRejectReason;
}

/** Verdict on one share. */
export type ShareVerdict = AcceptedShare | RejectedShare;

const reject = (
  code: ShareErrorCode,
  reason: ShareRejectReason = code as ShareRejectReason,
): RejectedShare => ({
  ok: false,
  code,
  reason,
});

function merkleRootOf(
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
): { root: Uint8Array; coinbase: Uint8Array | null } | RejectedShare {
  if (channel.kind === "standard") {
    if (!job.merkleRoot) return reject("invalid-job-id");
    return { root: job.merkleRoot, coinbase: null };
  }
  const extranonce = share.extranonce ?? new Uint8Array(0);
  if (extranonce.length !== channel.rollableSize) return reject("bad-extranonce-size");
  if (!job.coinbaseTxPrefix || !job.coinbaseTxSuffix) return reject("invalid-job-id");
  try {
    const assembled = assembleExtendedJob(
      job.coinbaseTxPrefix,
      concat(channel.extranoncePrefix, extranonce),
      job.coinbaseTxSuffix,
      job.merklePath ?? [],
    );
    return { root: assembled.merkleRoot, coinbase: assembled.coinbase };
  } catch (err) {
    if (err instanceof DecodeError || err instanceof RangeError)
      return reject("invalid-share", "bad-coinbase");
    throw err;
  }
}

/** Validates one share on a known, live job. */
export function validateShare(
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  context: ShareContext,
): ShareVerdict {
  const assembled = merkleRootOf(job, channel, share);
  if ("ok" in assembled) return assembled;
  const maxFuture = context.maxFutureSeconds ?? MAX_FUTURE_BLOCK_TIME_SECONDS;
  if (share.ntime < job.tip.minNtime || share.ntime > context.nowSeconds + maxFuture) {
    return reject("invalid-share", "ntime-out-of-range");
  }
  const rollingAllowed = channel.kind === "standard" || channel.versionRollingAllowed;
  const version = checkShareVersion(job.version, share.version, rollingAllowed, channel.versionRollingMask);
  if (version === "invalid-non-rollable-version-bit") return reject("invalid-share", version);
  if (version === "version-rolling-not-allowed") return reject(version);
  const header = serializeHeader({
    version: share.version,
    prevHash: job.tip.prevHash,
    merkleRoot: assembled.root,
    ntime: share.ntime,
    nBits: job.tip.nBits,
    nonce: share.nonce,
  });
  const hash = sha256d(header);
  const hashValue = hashToBigInt(hash);
  const block = hashValue <= context.blockTarget;
  let acceptedTarget = channel.target;
  if (hashValue > channel.target) {
    const grace = channel.graceTarget;
    if (grace != null && hashValue <= grace) acceptedTarget = grace;
    // A block counts as a share even where it misses the channel target (weighed by that target).
    else if (!block) return reject("difficulty-too-low");
  }
  const key = toHex(hash);
  if (context.seen.has(key)) return reject("duplicate-share");
  context.seen.add(key);
  return { ok: true, block, hash, hashValue, acceptedTarget, header, coinbase: assembled.coinbase };
}
