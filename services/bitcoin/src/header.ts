/**
 * The 80-byte block header, its hash, and the assembly a share validator performs:
 * a standard job supplies the merkle root, an extended job supplies the coinbase
 * prefix and suffix around the extranonce plus the merkle path.
 */
import { ByteReader, concat, toHex, u32le } from "./bytes.ts";
import { hashToBigInt, hashToDisplayHex, sha256d } from "./hash.ts";
import { merkleRootFromPath } from "./merkle.ts";
import { parseTransaction, txid } from "./transaction.ts";

/** Serialized header length. */
export const HEADER_LENGTH = 80;

/** BIP320 general-purpose version bits that miners may roll (SRI's VERSION_ROLLING_MASK). */
export const VERSION_ROLLING_MASK = 0x1fff_e000;

/** SRI's share-validation mask (a superset of BIP320, also covering bits 5-12). */
export const SRI_VERSION_ROLLING_MASK = 0x1fff_ffe0;

/** A block header's fields. */
export interface BlockHeader {
  /** nVersion as u32. */
  readonly version: number;
  /** Previous block hash, internal byte order (as SV2 `prev_hash` carries it). */
  readonly prevHash: Uint8Array;
  /** Merkle root, internal byte order. */
  readonly merkleRoot: Uint8Array;
  /** nTime (seconds since the epoch). */
  readonly ntime: number;
  /** Compact target. */
  readonly nBits: number;
  /** Nonce. */
  readonly nonce: number;
}

function check32(bytes: Uint8Array, what: string): void {
  if (bytes.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${bytes.length}`);
}

/** Serializes a header: version ‖ prev hash ‖ merkle root ‖ ntime ‖ nBits ‖ nonce (integers LE). */
export function serializeHeader(header: BlockHeader): Uint8Array {
  check32(header.prevHash, "prevHash");
  check32(header.merkleRoot, "merkleRoot");
  return concat(
    u32le(header.version),
    header.prevHash,
    header.merkleRoot,
    u32le(header.ntime),
    u32le(header.nBits),
    u32le(header.nonce),
  );
}

/** Parses an 80-byte header. */
export function parseHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_LENGTH) throw new RangeError(`header must be 80 bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes);
  return {
    version: r.u32le(),
    prevHash: r.take(32),
    merkleRoot: r.take(32),
    ntime: r.u32le(),
    nBits: r.u32le(),
    nonce: r.u32le(),
  };
}

/** Block hash: dSHA256 of the serialized header, internal byte order. */
export function headerHash(header: BlockHeader): Uint8Array {
  return sha256d(serializeHeader(header));
}

/** The header hash in display order (as RPC, explorers and the vectors show it). */
export function headerHashHex(header: BlockHeader): string {
  return hashToDisplayHex(headerHash(header));
}

/** The header hash as the integer compared with targets. */
export function headerHashValue(header: BlockHeader): bigint {
  return hashToBigInt(headerHash(header));
}

/**
 * Version after rolling: the job's bits outside `mask`, the miner's bits inside it.
 * This is what SV1 `mining.submit`'s version_bits and SV2 share versions combine to.
 */
export function rollVersion(jobVersion: number, bits: number, mask: number = VERSION_ROLLING_MASK): number {
  return ((jobVersion & ~mask) | (bits & mask)) >>> 0;
}

/** True when `shareVersion` differs from `jobVersion` only inside `mask`. */
export function versionWithinMask(
  jobVersion: number,
  shareVersion: number,
  mask: number = SRI_VERSION_ROLLING_MASK,
): boolean {
  return ((jobVersion ^ shareVersion) & ~mask) >>> 0 === 0;
}

/** Result of SRI's version check on a share, in the order SRI applies it. */
export type ShareVersionCheck = "ok" | "invalid-non-rollable-version-bit" | "version-rolling-not-allowed";

/**
 * SRI's version check: with rolling allowed (always on standard channels) only bits inside
 * `mask` may differ from the job's; without it the versions must be equal.
 */
export function checkShareVersion(
  jobVersion: number,
  shareVersion: number,
  rollingAllowed: boolean,
  mask: number = SRI_VERSION_ROLLING_MASK,
): ShareVersionCheck {
  if (rollingAllowed) {
    return versionWithinMask(jobVersion, shareVersion, mask) ? "ok" : "invalid-non-rollable-version-bit";
  }
  return jobVersion >>> 0 === shareVersion >>> 0 ? "ok" : "version-rolling-not-allowed";
}

/** The parts of a share every job kind needs. */
export interface ShareWork {
  /** Version the miner hashed (after rolling). */
  readonly version: number;
  /** nTime the miner hashed. */
  readonly ntime: number;
  /** Nonce the miner found. */
  readonly nonce: number;
}

/** The chain tip the job builds on. */
export interface ChainTip {
  /** Previous block hash, internal byte order. */
  readonly prevHash: Uint8Array;
  /** Compact network target. */
  readonly nBits: number;
}

/** Header of a share on a standard job, whose merkle root the server computed. */
export function standardJobHeader(tip: ChainTip, merkleRoot: Uint8Array, share: ShareWork): BlockHeader {
  return {
    version: share.version,
    prevHash: tip.prevHash,
    merkleRoot,
    ntime: share.ntime,
    nBits: tip.nBits,
    nonce: share.nonce,
  };
}

/** The coinbase of an extended-job share and the merkle root it yields. */
export interface ExtendedJobAssembly {
  /** prefix ‖ full extranonce ‖ suffix, exactly as the miner hashed it. */
  readonly coinbase: Uint8Array;
  /** Its txid, internal byte order. */
  readonly coinbaseTxid: Uint8Array;
  /** Merkle root folded from the txid along the path. */
  readonly merkleRoot: Uint8Array;
}

/**
 * Rebuilds the coinbase of an extended-job share (prefix ‖ extranonce ‖ suffix), parses
 * it as a transaction (either serialization; trailing bytes are refused, as SRI's
 * validator does) and folds its txid along the merkle path.
 * Throws `DecodeError` when the assembled coinbase is not a transaction.
 */
export function assembleExtendedJob(
  coinbaseTxPrefix: Uint8Array,
  fullExtranonce: Uint8Array,
  coinbaseTxSuffix: Uint8Array,
  merklePath: readonly Uint8Array[],
): ExtendedJobAssembly {
  const coinbase = concat(coinbaseTxPrefix, fullExtranonce, coinbaseTxSuffix);
  const coinbaseTxid = txid(parseTransaction(coinbase));
  return { coinbase, coinbaseTxid, merkleRoot: merkleRootFromPath(coinbaseTxid, merklePath) };
}

/** Header of a share on an extended job. */
export function extendedJobHeader(
  tip: ChainTip,
  job: {
    readonly coinbaseTxPrefix: Uint8Array;
    readonly coinbaseTxSuffix: Uint8Array;
    readonly merklePath: readonly Uint8Array[];
  },
  fullExtranonce: Uint8Array,
  share: ShareWork,
): BlockHeader {
  const { merkleRoot } = assembleExtendedJob(
    job.coinbaseTxPrefix,
    fullExtranonce,
    job.coinbaseTxSuffix,
    job.merklePath,
  );
  return standardJobHeader(tip, merkleRoot, share);
}

/** Hex of a serialized header (debug and test output). */
export function headerHex(header: BlockHeader): string {
  return toHex(serializeHeader(header));
}
