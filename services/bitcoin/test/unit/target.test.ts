/**
 * Targets: nBits (Bitcoin Core's compact form), U256 wire form, work (share weight,
 * ARCHITECTURE "Economics"), pool difficulty, and SRI's hash-rate → target (channel_target_vectors).
 */
import test from "ava";
import fc from "fast-check";
import { toHex } from "../../src/bytes.ts";
import {
  classifyHash,
  DIFF1_TARGET,
  difficultyToTarget,
  floorPowerOfTwo,
  HashRateToTargetError,
  hashRateFromShares,
  InvalidCompactTargetError,
  MAX_TARGET,
  nBitsToTarget,
  sriHashRateFromTarget,
  sriHashRateToTarget,
  TWO_256,
  targetFromU256LE,
  targetToDifficulty,
  targetToNBits,
  targetToU256LE,
  work,
} from "../../src/target.ts";
import { loadShareValidationVectors } from "./share-validation-vectors.ts";

const beHex = (n: bigint) => n.toString(16).padStart(64, "0");

test("nBits 0x1d00ffff is the difficulty-1 target, 0x207fffff the regtest limit", (t) => {
  t.is(nBitsToTarget(0x1d00ffff), DIFF1_TARGET);
  t.is(beHex(nBitsToTarget(0x1d00ffff)), "00000000ffff0000000000000000000000000000000000000000000000000000");
  t.is(beHex(nBitsToTarget(0x207fffff)), "7fffff0000000000000000000000000000000000000000000000000000000000");
  t.is(targetToNBits(DIFF1_TARGET), 0x1d00ffff);
  t.is(targetToNBits(nBitsToTarget(0x207fffff)), 0x207fffff);
  // A mainnet block's bits (height 840,000: 0x17034219).
  t.is(beHex(nBitsToTarget(0x17034219)), "0000000000000000000342190000000000000000000000000000000000000000");
});

test("nBits edge cases follow Bitcoin Core's SetCompact/GetCompact", (t) => {
  t.is(nBitsToTarget(0x01003456), 0n);
  t.is(nBitsToTarget(0x01123456), 0x12n);
  t.is(nBitsToTarget(0x02008000), 0x80n);
  t.is(nBitsToTarget(0x05009234), 0x92340000n);
  t.is(nBitsToTarget(0x04923456 & 0xff7fffff), 0x12345600n);
  t.throws(() => nBitsToTarget(0x04923456), { instanceOf: InvalidCompactTargetError });
  t.throws(() => nBitsToTarget(0xff123456), { instanceOf: InvalidCompactTargetError });
  t.is(targetToNBits(0x80n), 0x02008000);
  t.is(targetToNBits(0n), 0);
  t.is(targetToNBits(0x12345600n), 0x04123456);
});

test("property: canonical nBits round-trip, and compressing never raises a target", (t) => {
  // Canonical: the mantissa's top byte is non-zero, or it is zero only because the next byte
  // has its top bit set (which would read as a sign bit).
  const mantissa = fc.oneof(
    fc.integer({ min: 0x010000, max: 0x7fffff }),
    fc.integer({ min: 0x8000, max: 0xffff }),
  );
  const canonical = fc
    .tuple(fc.integer({ min: 3, max: 32 }), mantissa)
    .map(([size, m]) => ((size << 24) | m) >>> 0);
  fc.assert(fc.property(canonical, (bits) => targetToNBits(nBitsToTarget(bits)) === bits));
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: MAX_TARGET }),
        (target) => nBitsToTarget(targetToNBits(target)) <= target,
      ),
    ),
  );
});

test("property: U256 wire form is 32 bytes little-endian and round-trips", (t) => {
  t.is(toHex(targetToU256LE(0x0102n)), `0201${"00".repeat(30)}`);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX_TARGET }), (n) => targetFromU256LE(targetToU256LE(n)) === n),
  );
  t.throws(() => targetToU256LE(TWO_256));
});

test("work is floor(2^256 / (target + 1)) as Core's GetBlockProof", (t) => {
  t.is(work(MAX_TARGET), 1n);
  t.is(work(nBitsToTarget(0x207fffff)), 2n);
  t.is(work(DIFF1_TARGET), 0x100010001n);
  t.is(work(0n), TWO_256);
});

test("difficulty ↔ target: d → 0xFFFF·2^208 / d, fractional difficulty exact", (t) => {
  t.is(difficultyToTarget(1), DIFF1_TARGET);
  t.is(difficultyToTarget(1n), DIFF1_TARGET);
  t.is(difficultyToTarget(1024), DIFF1_TARGET / 1024n);
  t.is(difficultyToTarget(3), DIFF1_TARGET / 3n);
  t.is(difficultyToTarget(2 ** -20), DIFF1_TARGET << 20n);
  t.is(difficultyToTarget(0.75), (DIFF1_TARGET * 4n) / 3n);
  t.is(difficultyToTarget(2 ** -40), MAX_TARGET);
  t.is(targetToDifficulty(DIFF1_TARGET), 1);
  t.is(targetToDifficulty(DIFF1_TARGET / 4096n), 4096);
  t.is(targetToDifficulty(DIFF1_TARGET << 10n), 2 ** -10);
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => difficultyToTarget(bad));
});

test("power-of-two difficulty rounds down", (t) => {
  t.is(floorPowerOfTwo(1), 1);
  t.is(floorPowerOfTwo(1000), 512);
  t.is(floorPowerOfTwo(1024), 1024);
  t.is(floorPowerOfTwo(1025), 1024);
  t.is(floorPowerOfTwo(0.3), 0.25);
  t.is(floorPowerOfTwo(2 ** -30), 2 ** -30);
  fc.assert(
    fc.property(fc.double({ min: 2 ** -60, max: 2 ** 60, noNaN: true }), (d) => {
      const p = floorPowerOfTwo(d);
      return p <= d && p * 2 > d && Number.isInteger(Math.log2(p));
    }),
  );
});

test("hash rate from shares: shares · 2^256/(t+1) / seconds", (t) => {
  t.is(hashRateFromShares(6, DIFF1_TARGET, 60), (6 * Number(work(DIFF1_TARGET))) / 60);
  t.is(hashRateFromShares(0, DIFF1_TARGET, 60), 0);
  t.throws(() => hashRateFromShares(1, DIFF1_TARGET, 0));
});

test("channel_target_vectors: SRI hash_rate_to_target bit for bit", (t) => {
  const { channel_target_vectors: vectors } = loadShareValidationVectors();
  t.is(vectors.length, 3);
  for (const v of vectors) {
    t.is(beHex(sriHashRateToTarget(v.nominal_hashrate, v.shares_per_minute)), v.expected_target_be_hex);
  }
});

test("SRI hash_rate_to_target refuses what SRI refuses and saturates like Rust casts", (t) => {
  t.is(
    t.throws(() => sriHashRateToTarget(1, 0), { instanceOf: HashRateToTargetError })?.reason,
    "division-by-zero",
  );
  t.is(
    t.throws(() => sriHashRateToTarget(-1, 1), { instanceOf: HashRateToTargetError })?.reason,
    "negative-input",
  );
  t.throws(() => sriHashRateToTarget(1, -1), { instanceOf: HashRateToTargetError });
  t.is(sriHashRateToTarget(0, 1), MAX_TARGET);
  const u128max = (1n << 128n) - 1n;
  t.is(sriHashRateToTarget(Number.MAX_VALUE, 1), (MAX_TARGET - u128max) / u128max);
  // Fractional h·s truncates before the division (Rust `as u128`).
  t.is(sriHashRateToTarget(1.9, 60), (MAX_TARGET - 1n) / 2n);
});

test("SRI hash_rate_from_target inverts hash_rate_to_target approximately and rejects zero", (t) => {
  const target = sriHashRateToTarget(1e12, 6);
  const back = sriHashRateFromTarget(target, 6);
  t.truthy(back);
  t.true(Math.abs(back! - 1e12) / 1e12 < 1e-6);
  t.is(sriHashRateFromTarget(0n, 6), null);
  t.is(sriHashRateFromTarget(target, 0), null);
});

test("hash classification: block beats share, share needs the channel target", (t) => {
  t.is(classifyHash(5n, 10n, 100n), "BlockFound");
  t.is(classifyHash(10n, 10n, 5n), "BlockFound");
  t.is(classifyHash(50n, 10n, 100n), "Valid");
  t.is(classifyHash(101n, 10n, 100n), "DoesNotMeetTarget");
});
