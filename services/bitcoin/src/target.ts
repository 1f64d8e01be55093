/**
 * Targets, compact nBits, work and difficulty.
 *
 * A target is a `bigint` in [0, 2^256). SV2 carries targets as U256 (32 bytes
 * little-endian); headers carry them as nBits. Share weight in this project is
 * Bitcoin's block work, so `work()` must match Bitcoin Core exactly.
 */
import { bigIntToBytesLE, bytesToBigIntLE } from "./bytes.ts";

/** 2^256, one more than the largest 256-bit value. */
export const TWO_256 = 1n << 256n;
/** The largest 256-bit value; SRI's "maximum target" (every hash meets it). */
export const MAX_TARGET = TWO_256 - 1n;
/** Difficulty-1 target as pools define it (0xFFFF·2^208 = nBits 0x1d00ffff expanded). */
export const DIFF1_TARGET = 0xffffn << 208n;

/** Error for an nBits value that has no meaning as a target (negative or overflowing). */
export class InvalidCompactTargetError extends Error {
  override readonly name = "InvalidCompactTargetError";
}

/**
 * Expands compact nBits to a target, as Bitcoin Core's `arith_uint256::SetCompact`
 * and `DeriveTarget` do: a set sign bit or a mantissa shifted past 256 bits is
 * rejected, because consensus treats such headers as invalid rather than wrapping.
 */
export function nBitsToTarget(nBits: number): bigint {
  if (!Number.isInteger(nBits) || nBits < 0 || nBits > 0xffff_ffff) {
    throw new RangeError(`nBits ${nBits} is not a u32`);
  }
  const exponent = nBits >>> 24;
  const mantissa = nBits & 0x007f_ffff;
  const target =
    exponent <= 3
      ? BigInt(mantissa >>> (8 * (3 - exponent)))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  // Like Core, the sign bit only counts when the shifted mantissa is non-zero.
  if ((nBits & 0x0080_0000) !== 0 && target !== 0n)
    throw new InvalidCompactTargetError(`nBits 0x${nBits.toString(16)} is negative`);
  if (target >= TWO_256) throw new InvalidCompactTargetError(`nBits 0x${nBits.toString(16)} overflows`);
  return target;
}

/**
 * Compresses a target to canonical nBits (`arith_uint256::GetCompact`). Precision is
 * lost below the top 3 bytes, so `nBitsToTarget(targetToNBits(t)) <= t`.
 */
export function targetToNBits(target: bigint): number {
  checkTarget(target);
  let size = byteLength(target);
  let mantissa =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // The mantissa's top bit is a sign bit in this format; move a byte into the exponent instead.
  if (mantissa & 0x0080_0000) {
    mantissa >>>= 8;
    size += 1;
  }
  return ((size << 24) | mantissa) >>> 0;
}

function byteLength(n: bigint): number {
  let size = 0;
  for (let v = n; v > 0n; v >>= 8n) size++;
  return size;
}

function checkTarget(target: bigint): void {
  if (target < 0n || target > MAX_TARGET) throw new RangeError(`target ${target} is outside [0, 2^256)`);
}

/** U256 wire form of a target (32 bytes little-endian, as SV2 SetTarget and channel messages carry it). */
export function targetToU256LE(target: bigint): Uint8Array {
  checkTarget(target);
  return bigIntToBytesLE(target, 32);
}

/** Target from its 32-byte little-endian U256 wire form. */
export function targetFromU256LE(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new RangeError(`U256 must be 32 bytes, got ${bytes.length}`);
  return bytesToBigIntLE(bytes);
}

/**
 * Expected number of hashes to find one hash at or below `target`:
 * floor(2^256 / (target + 1)), Bitcoin Core's `GetBlockProof`. It is the weight of an
 * accepted share in payout windows.
 */
export function work(target: bigint): bigint {
  checkTarget(target);
  return TWO_256 / (target + 1n);
}

/** Alias of {@link work} named for hash-rate estimation: expected hashes per share. */
export const expectedHashesPerShare = work;

/** Outcome of comparing a header hash with the block and channel targets (the hash part of SRI's check). */
export type HashOutcome = "BlockFound" | "Valid" | "DoesNotMeetTarget";

/**
 * Classifies a header hash (as an integer, i.e. display order read big-endian):
 * a block when it meets the network target, a share when it meets the channel target.
 * A block always counts as a share, even if it misses the channel target.
 */
export function classifyHash(hash: bigint, networkTarget: bigint, channelTarget: bigint): HashOutcome {
  if (hash <= networkTarget) return "BlockFound";
  if (hash <= channelTarget) return "Valid";
  return "DoesNotMeetTarget";
}

/** Splits a positive finite double into an odd-or-zero integer mantissa and a power of two, exactly. */
function decomposeDouble(value: number): { mantissa: bigint; exponent: number } {
  let m = value;
  let e = 0;
  // Scaling by 2 is exact for doubles, so this loop loses no precision.
  while (!Number.isInteger(m)) {
    m *= 2;
    e -= 1;
  }
  let mantissa = BigInt(m);
  while (mantissa > 0n && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    e += 1;
  }
  return { mantissa, exponent: e };
}

/**
 * Share target for pool difficulty `d`: floor(0xFFFF·2^208 / d), clamped to the maximum
 * target. `d` may be fractional (regtest CPU miners need d < 1); a `number` is used
 * exactly as the double it is, with no float division.
 */
export function difficultyToTarget(d: number | bigint): bigint {
  if (typeof d === "bigint") {
    if (d <= 0n) throw new RangeError(`difficulty must be positive, got ${d}`);
    return DIFF1_TARGET / d;
  }
  if (!Number.isFinite(d) || d <= 0) throw new RangeError(`difficulty must be positive and finite, got ${d}`);
  const { mantissa, exponent } = decomposeDouble(d);
  const target =
    exponent >= 0
      ? DIFF1_TARGET / (mantissa << BigInt(exponent))
      : (DIFF1_TARGET << BigInt(-exponent)) / mantissa;
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/**
 * Pool difficulty of a target, 0xFFFF·2^208 / target, as a double (for display, logs
 * and SV1 `mining.set_difficulty`). Computed in fixed point so small targets keep precision.
 */
export function targetToDifficulty(target: bigint): number {
  checkTarget(target);
  if (target === 0n) return Number.POSITIVE_INFINITY;
  const scaled = (DIFF1_TARGET << 64n) / target;
  return Number(scaled) / 2 ** 64;
}

/**
 * Largest power of two not above `d` (2^k, k may be negative). Firmware misbehaves on
 * fractional or odd difficulty, so pools send powers of two, rounded down.
 */
export function floorPowerOfTwo(d: number): number {
  if (!Number.isFinite(d) || d <= 0) throw new RangeError(`difficulty must be positive and finite, got ${d}`);
  let k = Math.floor(Math.log2(d));
  // log2 can be off by one ulp near exact powers; correct both ways.
  if (2 ** k > d) k -= 1;
  if (2 ** (k + 1) <= d) k += 1;
  return 2 ** k;
}

/**
 * Hash rate (H/s) implied by `shares` accepted against `target` over `seconds`:
 * shares · 2^256/(target+1) / seconds. A float because it is an estimate.
 */
export function hashRateFromShares(shares: number, target: bigint, seconds: number): number {
  if (!(seconds > 0)) throw new RangeError(`seconds must be positive, got ${seconds}`);
  if (!(shares >= 0)) throw new RangeError(`shares must be non-negative, got ${shares}`);
  return (shares * Number(work(target))) / seconds;
}

/** Why SRI's hash-rate → target conversion refused its inputs. */
export class HashRateToTargetError extends Error {
  override readonly name = "HashRateToTargetError";
  /** `division-by-zero` for 0 shares/min, `negative-input` for a negative (or NaN) input. */
  constructor(readonly reason: "division-by-zero" | "negative-input") {
    super(`hash rate to target: ${reason}`);
  }
}

const U128_MAX = (1n << 128n) - 1n;

/** Rust's saturating `f64 as u128`: truncates toward zero, NaN → 0, out of range → the bound. */
function f64ToU128Saturating(x: number): bigint {
  if (Number.isNaN(x) || x <= 0) return 0n;
  if (x >= 2 ** 128) return U128_MAX;
  return BigInt(Math.trunc(x));
}

/**
 * SRI's `hash_rate_to_target`, bit for bit: hs = (hashrate · (60 / sharesPerMinute)) as u128,
 * target = ((2^256 − 1) − hs) / (hs + 1). Channel targets sent to SRI peers and the
 * `channel_target_vectors` depend on this exact rounding (f64 math, then truncation).
 * NaN inputs are refused here, where Rust would go by the NaN's sign bit.
 */
export function sriHashRateToTarget(hashRate: number, sharesPerMinute: number): bigint {
  if (sharesPerMinute === 0) throw new HashRateToTargetError("division-by-zero");
  if (Number.isNaN(sharesPerMinute) || Number.isNaN(hashRate))
    throw new HashRateToTargetError("negative-input");
  if (sharesPerMinute < 0 || Object.is(sharesPerMinute, -0))
    throw new HashRateToTargetError("negative-input");
  if (hashRate < 0 || Object.is(hashRate, -0)) throw new HashRateToTargetError("negative-input");
  const secondsPerShare = 60 / sharesPerMinute;
  const hs = f64ToU128Saturating(hashRate * secondsPerShare);
  const hsPlusOne = hs === U128_MAX ? hs : hs + 1n;
  return (MAX_TARGET - hs) / hsPlusOne;
}

/**
 * SRI's `hash_rate_from_target` (its vardiff estimator), bit for bit:
 * h = ((2^256 − 1) − (t − 1)) / ((t + 1) · trunc(60 / spm · 100) / 100), truncated to u128.
 * Returns `null` where SRI returns an error (zero or negative rate, zero target, overflow).
 */
export function sriHashRateFromTarget(target: bigint, sharesPerMinute: number): number | null {
  checkTarget(target);
  if (!(sharesPerMinute > 0) || target === 0n) return null;
  const numerator = MAX_TARGET - (target - 1n);
  const secondsTimes100 = f64ToU128Saturating((60 / sharesPerMinute) * 100);
  if (secondsTimes100 === 0n || target === MAX_TARGET) return null;
  const product = (target + 1n) * secondsTimes100;
  if (product > MAX_TARGET) return null;
  const denominator = product / 100n;
  if (denominator === 0n) return null;
  return Number((numerator / denominator) & U128_MAX);
}
