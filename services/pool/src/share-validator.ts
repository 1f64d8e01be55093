/**
 * Share validation (sv2-spec §5.3.11–5.3.14), pure and in SRI's check order
 * (share-validation.json `conventions.check_order`): extranonce size → coinbase and merkle
 * root → ntime → version → hash against targets → duplicate. Stale and unknown jobs are
 * decided before, from the job board. Nothing here reads the clock: `nowSeconds` is passed.
 *
 * Two implementations of the hashing, with one verdict: the reference (TypeScript: the coinbase
 * assembled, parsed and hashed, the merkle path folded, the header serialized and hashed), and
 * the addon's `shareHash` on Node's OpenSSL (one call, nothing allocated but the result). The
 * native one is used when the addon is loaded and the job's coinbase has a fixed shape: the
 * miner's bytes lie inside the scriptSig, so whether it deserializes does not depend on them and
 * is decided once per job (a malformed job refuses every share as `bad-coinbase`, as the
 * reference does). Differential property tests hold them equal.
 */
import {
  assembleExtendedJob,
  checkShareVersion,
  concat,
  DecodeError,
  parseTransaction,
  serializeHeader,
  sha256d,
} from "@hyperhash/bitcoin";
import { nativeShareCrypto } from "@hyperhash/sv2/native";

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
  /** The hash in display order (hex), as logs, the share log and RPC write it. */
  readonly hashHex: string;
  /** The hash as an integer. */
  readonly hashValue: bigint;
  /** The target the share is weighed by (the channel target it met, or the grace target). */
  readonly acceptedTarget: bigint;
  /** Serialized 80-byte header. */
  readonly header: Uint8Array;
  /** Extended channels, when the share is a block: the non-witness coinbase the miner hashed. */
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

const EMPTY = new Uint8Array(0);

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

/** Display-order hex of an internal-order hash. */
function displayHex(hash: Uint8Array): string {
  return Buffer.from(hash).reverse().toString("hex");
}

interface CoinbaseShape {
  readonly suffix: Uint8Array;
  readonly size: number;
  /** true: deserializes whatever the extranonce; false: never; null: it depends on the bytes. */
  readonly fixed: boolean | null;
}
const shapes = new WeakMap<Uint8Array, CoinbaseShape>();

/**
 * Whether prefix ‖ extranonce ‖ suffix deserializes regardless of the extranonce's bytes: true
 * when it does with zeros and the extranonce lies inside the (single) input's scriptSig, whose
 * length the prefix fixes; false when it does not and it lies inside; null otherwise.
 */
function coinbaseShape(prefix: Uint8Array, suffix: Uint8Array, size: number): boolean | null {
  const cached = shapes.get(prefix);
  if (cached && cached.suffix === suffix && cached.size === size) return cached.fixed;
  // version(4) ‖ input count 1 ‖ prevout(36) ‖ scriptSig length (1 byte, ≤ 100 for a coinbase).
  const scriptLength = prefix[41];
  const inside =
    prefix.length >= 42 && prefix[4] === 1 && scriptLength !== undefined && scriptLength <= 100
      ? prefix.length + size <= 42 + scriptLength
      : false;
  let fixed: boolean | null = null;
  if (inside) {
    try {
      parseTransaction(concat(prefix, new Uint8Array(size), suffix));
      fixed = true;
    } catch (err) {
      if (!(err instanceof DecodeError || err instanceof RangeError)) throw err;
      fixed = false;
    }
  }
  shapes.set(prefix, { suffix, size, fixed });
  return fixed;
}

const flatPaths = new WeakMap<readonly Uint8Array[], Uint8Array>();
function flatPath(path: readonly Uint8Array[]): Uint8Array {
  let flat = flatPaths.get(path);
  if (!flat) {
    flat = concat(...path);
    flatPaths.set(path, flat);
  }
  return flat;
}

/** Validates one share on a known, live job. */
export function validateShare(
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  context: ShareContext,
): ShareVerdict {
  const native = nativeShareCrypto;
  if (native && (channel.kind === "standard" || job.merklePath?.every((h) => h.length === 32))) {
    return validateNative(native, job, channel, share, context);
  }
  return validateReference(job, channel, share, context);
}

/** Checks after the merkle root, in SRI's order: ntime, then version. */
function headerChecks(
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  context: ShareContext,
): RejectedShare | null {
  const maxFuture = context.maxFutureSeconds ?? MAX_FUTURE_BLOCK_TIME_SECONDS;
  if (share.ntime < job.tip.minNtime || share.ntime > context.nowSeconds + maxFuture) {
    return reject("invalid-share", "ntime-out-of-range");
  }
  const rollingAllowed = channel.kind === "standard" || channel.versionRollingAllowed;
  const version = checkShareVersion(job.version, share.version, rollingAllowed, channel.versionRollingMask);
  if (version === "invalid-non-rollable-version-bit") return reject("invalid-share", version);
  if (version === "version-rolling-not-allowed") return reject(version);
  return null;
}

/** Targets and duplicates, once the hash is known. */
function judge(
  channel: ShareChannelView,
  context: ShareContext,
  hash: Uint8Array,
  header: Uint8Array,
  coinbase: () => Uint8Array | null,
): ShareVerdict {
  const hashHex = displayHex(hash);
  const hashValue = BigInt(`0x${hashHex}`);
  const block = hashValue <= context.blockTarget;
  let acceptedTarget = channel.target;
  if (hashValue > channel.target) {
    const grace = channel.graceTarget;
    if (grace != null && hashValue <= grace) acceptedTarget = grace;
    // A block counts as a share even where it misses the channel target (weighed by that target).
    else if (!block) return reject("difficulty-too-low");
  }
  if (context.seen.has(hashHex)) return reject("duplicate-share");
  context.seen.add(hashHex);
  return {
    ok: true,
    block,
    hash,
    hashHex,
    hashValue,
    acceptedTarget,
    header,
    coinbase: block ? coinbase() : null,
  };
}

function validateNative(
  native: NonNullable<typeof nativeShareCrypto>,
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  context: ShareContext,
): ShareVerdict {
  const extranonce = share.extranonce ?? EMPTY;
  let prefix: Uint8Array | null = null;
  let suffix: Uint8Array = EMPTY;
  let path: Uint8Array;
  if (channel.kind === "standard") {
    if (!job.merkleRoot) return reject("invalid-job-id");
    path = job.merkleRoot;
  } else {
    if (extranonce.length !== channel.rollableSize) return reject("bad-extranonce-size");
    if (!job.coinbaseTxPrefix || !job.coinbaseTxSuffix) return reject("invalid-job-id");
    prefix = job.coinbaseTxPrefix;
    suffix = job.coinbaseTxSuffix;
    const shape = coinbaseShape(prefix, suffix, channel.extranoncePrefix.length + extranonce.length);
    if (shape === null) return validateReference(job, channel, share, context);
    if (!shape) return reject("invalid-share", "bad-coinbase");
    path = flatPath(job.merklePath ?? []);
  }
  const failed = headerChecks(job, channel, share, context);
  if (failed) return failed;
  const out = new Uint8Array(112);
  const header = out.subarray(0, 80);
  const hash = out.subarray(80);
  native.shareHash(
    prefix,
    channel.extranoncePrefix,
    extranonce,
    suffix,
    path,
    share.version >>> 0,
    job.tip.prevHash,
    share.ntime >>> 0,
    job.tip.nBits >>> 0,
    share.nonce >>> 0,
    header,
    hash,
  );
  return judge(channel, context, hash, header, () =>
    prefix ? concat(prefix, channel.extranoncePrefix, extranonce, suffix) : null,
  );
}

/** The reference: everything in TypeScript, allocating as it goes. */
export function validateReference(
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  context: ShareContext,
): ShareVerdict {
  const assembled = merkleRootOf(job, channel, share);
  if ("ok" in assembled) return assembled;
  const failed = headerChecks(job, channel, share, context);
  if (failed) return failed;
  const header = serializeHeader({
    version: share.version,
    prevHash: job.tip.prevHash,
    merkleRoot: assembled.root,
    ntime: share.ntime,
    nBits: job.tip.nBits,
    nonce: share.nonce,
  });
  return judge(channel, context, sha256d(header), header, () => assembled.coinbase);
}
