/**
 * Channel arithmetic: extranonce allocation (SV2 Mining Protocol §5.1.2.1 Extended
 * Extranonce; OpenExtendedMiningChannel min_extranonce_size) and vardiff (SV2-NOTES:
 * ~6 shares/min, integer powers of two rounded down).
 */
import test from "ava";
import fc from "fast-check";
import {
  createDownstreamAllocator,
  createExtranonceAllocator,
  DEFAULT_VARDIFF,
  type ExtranonceAllocation,
  floorPowerOfTwo,
  HASHES_PER_DIFFICULTY_1,
  indexBytesNeeded,
  initialDifficulty,
  isPowerOfTwo,
  MIN_EXTRANONCE_SIZE_TOO_LARGE,
  nextDifficulty,
  rollableSizeFits,
  SRI_POOL_EXTRANONCE_PREFIX_SIZE,
  SRI_POOL_ROLLABLE_EXTRANONCE_SIZE,
} from "../../src/channel-math.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

test("index width: bytes needed for 0..n−1", (t) => {
  t.is(indexBytesNeeded(1), 1);
  t.is(indexBytesNeeded(256), 1);
  t.is(indexBytesNeeded(257), 2);
  t.is(indexBytesNeeded(65_536), 2);
  t.is(indexBytesNeeded(65_537), 3);
  t.is(indexBytesNeeded(2 ** 32), 4);
  t.throws(() => indexBytesNeeded(0));
});

test("SRI's pool shape: 4-byte prefix and 16 rollable bytes", (t) => {
  const pool = createExtranonceAllocator({
    localPrefix: Uint8Array.of(0x01, 0x00),
    totalExtranonceSize: SRI_POOL_EXTRANONCE_PREFIX_SIZE + SRI_POOL_ROLLABLE_EXTRANONCE_SIZE,
    maxChannels: 65_536,
  });
  t.is(pool.prefixSize, 4);
  t.is(pool.rollableSize, 16);
  const a = pool.allocateExtended("conn-1", 8);
  t.true(a.ok);
  if (!a.ok) return;
  t.is(hex(a.allocation.prefix), "01000000");
  t.is(a.allocation.rollableSize, 16);
  const s = pool.allocateStandard("conn-2");
  t.true(s.ok);
  if (!s.ok) return;
  t.is(hex(s.allocation.prefix), `01000001${"00".repeat(16)}`);
  t.is(s.allocation.rollableSize, 0);
});

test("min_extranonce_size above the rollable space is refused with the spec's error code", (t) => {
  const pool = createExtranonceAllocator({ totalExtranonceSize: 20, maxChannels: 100 });
  const r = pool.allocateExtended("c", 20);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.error, { kind: MIN_EXTRANONCE_SIZE_TOO_LARGE, requested: 20, available: 19 });
  t.is(pool.liveCount, 0);
});

test("capacity is a value, and released indexes come back after the others", (t) => {
  const pool = createExtranonceAllocator({ totalExtranonceSize: 8, maxChannels: 3 });
  const got = [0, 1, 2].map(() => pool.allocateExtended("c", 0));
  t.deepEqual(
    got.map((r) => r.ok && r.allocation.index),
    [0, 1, 2],
  );
  const full = pool.allocateExtended("c", 0);
  t.deepEqual(full, { ok: false, error: { kind: "capacity-exhausted", maxChannels: 3 } });
  const first = got[0]!;
  if (first.ok) t.true(pool.release(first.allocation));
  if (first.ok) t.false(pool.release(first.allocation));
  const again = pool.allocateExtended("c", 0);
  t.true(again.ok && again.allocation.index === 0);
});

test("closing a connection frees all of its channels", (t) => {
  const pool = createExtranonceAllocator({ totalExtranonceSize: 8, maxChannels: 10 });
  pool.allocateExtended("a", 0);
  pool.allocateStandard("b");
  pool.allocateExtended("a", 0);
  t.is(pool.releaseOwner("a"), 2);
  t.is(pool.liveCount, 1);
});

test("configurations that cannot work throw at creation", (t) => {
  t.throws(() => createExtranonceAllocator({ totalExtranonceSize: 33, maxChannels: 1 }));
  t.throws(() =>
    createExtranonceAllocator({ localPrefix: new Uint8Array(4), totalExtranonceSize: 4, maxChannels: 1 }),
  );
});

test("a translator splits its granted channel: pool prefix, then its own index", (t) => {
  const translator = createDownstreamAllocator(Uint8Array.of(1, 2, 3, 4), 16, 1000, 4);
  t.is(translator.totalExtranonceSize, 20);
  t.is(translator.rollableSize, 14);
  const r = translator.allocateExtended("sv1-miner", 4);
  t.true(r.ok && hex(r.allocation.prefix) === "010203040000");
  t.throws(() => createDownstreamAllocator(new Uint8Array(4), 2, 1000, 1));
});

test("rollable bounds: requested minimum, available space, SV1's 8-byte cap", (t) => {
  t.true(rollableSizeFits(4, { minRequested: 4, available: 16 }));
  t.false(rollableSizeFits(3, { minRequested: 4, available: 16 }));
  t.false(rollableSizeFits(17, { minRequested: 4, available: 16 }));
  t.true(rollableSizeFits(16, { minRequested: 0, available: 16 }));
  t.false(rollableSizeFits(16, { minRequested: 0, available: 16, sv1: true }));
  t.true(rollableSizeFits(8, { minRequested: 0, available: 16, sv1: true }));
});

type Op =
  | { kind: "ext"; owner: number; min: number }
  | { kind: "std"; owner: number }
  | { kind: "rel"; pick: number }
  | { kind: "close"; owner: number };
const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("ext" as const), owner: fc.nat(4), min: fc.nat(12) }),
    fc.record({ kind: fc.constant("std" as const), owner: fc.nat(4) }),
    fc.record({ kind: fc.constant("rel" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("close" as const), owner: fc.nat(4) }),
  ) as fc.Arbitrary<Op>,
  { maxLength: 300 },
);

test("property: live prefixes never collide, nor is one a prefix of another", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        ops,
        fc.integer({ min: 1, max: 300 }),
        fc.uint8Array({ maxLength: 3 }),
        (sequence, maxChannels, local) => {
          const pool = createExtranonceAllocator({
            localPrefix: local,
            totalExtranonceSize: 16,
            maxChannels,
          });
          let live: ExtranonceAllocation[] = [];
          for (const op of sequence) {
            if (op.kind === "ext" || op.kind === "std") {
              const owner = `conn-${op.owner}`;
              const r =
                op.kind === "ext" ? pool.allocateExtended(owner, op.min) : pool.allocateStandard(owner);
              if (r.ok) live.push(r.allocation);
              else if (r.error.kind === "capacity-exhausted" && live.length < maxChannels) return false;
            } else if (op.kind === "rel" && live.length > 0) {
              const victim = live[op.pick % live.length]!;
              if (!pool.release(victim)) return false;
              live = live.filter((a) => a !== victim);
            } else if (op.kind === "close") {
              const owner = `conn-${op.owner}`;
              if (pool.releaseOwner(owner) !== live.filter((a) => a.owner === owner).length) return false;
              live = live.filter((a) => a.owner !== owner);
            }
            if (pool.liveCount !== live.length) return false;
            // Each channel's space is its prefix followed by free bytes; spaces are disjoint
            // exactly when no prefix starts another one.
            for (const a of live) {
              for (const b of live) {
                if (a === b) continue;
                const n = Math.min(a.prefix.length, b.prefix.length);
                if (hex(a.prefix.subarray(0, n)) === hex(b.prefix.subarray(0, n))) return false;
              }
              if (a.prefix.length + a.rollableSize !== 16) return false;
            }
          }
          return true;
        },
      ),
    ),
  );
});

test("power-of-two helpers round down", (t) => {
  t.is(floorPowerOfTwo(1000), 512);
  t.is(floorPowerOfTwo(0.3), 0.25);
  t.true(isPowerOfTwo(2 ** -20));
  t.false(isPowerOfTwo(3));
  t.false(isPowerOfTwo(0));
});

test("initial difficulty from nominal hash rate gives ≈6 shares/min, rounded down", (t) => {
  // 100 TH/s: 1e14 · 10 s / 2^32 ≈ 232,823 → 2^17.
  t.is(initialDifficulty(100e12), 2 ** 17);
  const d = initialDifficulty(1e6);
  t.true(isPowerOfTwo(d));
  const sharesPerMinute = (1e6 * 60) / (d * HASHES_PER_DIFFICULTY_1);
  t.true(sharesPerMinute >= 6 && sharesPerMinute < 12);
  t.is(initialDifficulty(0), DEFAULT_VARDIFF.minDifficulty);
});

test("vardiff waits for a full window unless shares burst in", (t) => {
  t.deepEqual(nextDifficulty(1024, { shares: 3, elapsedSeconds: 10 }), {
    difficulty: 1024,
    changed: false,
    judged: false,
  });
  const burst = nextDifficulty(1024, { shares: 60, elapsedSeconds: 10 });
  t.deepEqual(burst, { difficulty: 4096, changed: true, judged: true });
});

test("vardiff holds inside (½×, 2×) of the target rate and steps by at most ×/÷4", (t) => {
  for (const shares of [4, 6, 11]) {
    t.is(nextDifficulty(1024, { shares, elapsedSeconds: 60 }).difficulty, 1024, `${shares} shares/min`);
  }
  t.is(nextDifficulty(1024, { shares: 12, elapsedSeconds: 60 }).difficulty, 2048);
  // A third of the target rate is 2^-1.58, truncated toward zero: one halving.
  t.is(nextDifficulty(1024, { shares: 2, elapsedSeconds: 60 }).difficulty, 512);
  t.is(nextDifficulty(1024, { shares: 1, elapsedSeconds: 120 }).difficulty, 256);
  t.is(nextDifficulty(1024, { shares: 600, elapsedSeconds: 60 }).difficulty, 4096);
  t.is(nextDifficulty(1024, { shares: 0, elapsedSeconds: 60 }).difficulty, 256);
  t.is(nextDifficulty(2 ** -32, { shares: 0, elapsedSeconds: 600 }).difficulty, 2 ** -32);
  t.throws(() => nextDifficulty(1000, { shares: 6, elapsedSeconds: 60 }));
});

test("property: vardiff output is a power of two, within bounds and one bounded step away", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: -32, max: 52 }),
        fc.nat(100_000),
        fc.double({ min: 0.001, max: 100_000, noNaN: true }),
        (k, shares, elapsedSeconds) => {
          const current = 2 ** k;
          const { difficulty } = nextDifficulty(current, { shares, elapsedSeconds });
          const step = Math.abs(Math.log2(difficulty / current));
          return (
            isPowerOfTwo(difficulty) &&
            difficulty >= DEFAULT_VARDIFF.minDifficulty &&
            difficulty <= DEFAULT_VARDIFF.maxDifficulty &&
            step <= DEFAULT_VARDIFF.maxStepLog2
          );
        },
      ),
    ),
  );
});

test("vardiff converges: a steady miner ends within (½×, 2×) of 6 shares/min", (t) => {
  const hashRate = 3e15;
  let difficulty = 1;
  for (let round = 0; round < 30; round++) {
    const expectedShares = Math.floor((hashRate * 60) / (difficulty * HASHES_PER_DIFFICULTY_1));
    difficulty = nextDifficulty(difficulty, { shares: expectedShares, elapsedSeconds: 60 }).difficulty;
  }
  const rate = (hashRate * 60) / (difficulty * HASHES_PER_DIFFICULTY_1);
  t.true(rate > 3 && rate < 12, `rate ${rate}`);
});
