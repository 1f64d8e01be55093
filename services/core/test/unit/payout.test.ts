import { work } from "@hyperhash/bitcoin";
import test from "ava";
import fc from "fast-check";
import {
  calculatePayout,
  compareUtf8,
  minerRecipientId,
  type Payout,
  type PayoutInput,
  type ShareTotal,
  TREASURY_RECIPIENT_ID,
} from "../../src/payout.ts";

/** A small deterministic PRNG so 10,000-miner windows are built from one fast-check seed. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

/** Share targets between difficulty ~1 and ~2^40 (2^224 … 2^184), as channels use. */
function randomShareWork(rand: () => number): bigint {
  const exponent = 184 + Math.floor(rand() * 40);
  const target = (1n << BigInt(exponent)) + BigInt(Math.floor(rand() * 1_000_000));
  return work(target) * BigInt(1 + Math.floor(rand() * 50)); // a few shares at that target
}

/** A whole window: 1–10,000 miners, random targets, node attachment, subsidy, fees, carry. */
const bigWindow = fc
  .record({
    miners: fc.integer({ min: 1, max: 10_000 }),
    nodes: fc.integer({ min: 0, max: 40 }),
    seed: fc.integer(),
    subsidy: fc.bigInt({ min: 0n, max: 5_000_000_000n }),
    fees: fc.bigInt({ min: 0n, max: 2_000_000_000n }),
    carried: fc.bigInt({ min: 0n, max: 100_000_000n }),
  })
  .map(({ miners, nodes, seed, subsidy, fees, carried }): PayoutInput => {
    const rand = xorshift(seed);
    const shares: ShareTotal[] = [];
    for (let i = 0; i < miners; i++) {
      const nodeId = nodes > 0 && rand() < 0.6 ? `hn_${Math.floor(rand() * nodes)}` : null;
      shares.push({ destination: `bcrt1q${i.toString(36)}`, nodeId, work: randomShareWork(rand) });
    }
    const winner = shares[Math.floor(rand() * shares.length)]!.destination;
    return {
      subsidySats: subsidy,
      coinbaseValueSats: subsidy + fees,
      shares,
      winnerDestination: winner,
      carriedNodeNetworkSats: carried,
    };
  });

/** Small windows built entirely by fast-check, so failures shrink to a readable case. */
const smallWindow = fc
  .record({
    shares: fc.array(
      fc.record({
        destination: fc.string({ unit: "binary", minLength: 1, maxLength: 6 }),
        nodeId: fc.option(fc.constantFrom("hn_a", "hn_b", "hn_c", "hn_\u{1f600}"), { nil: null }),
        work: fc.bigInt({ min: 0n, max: 1n << 80n }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    subsidy: fc.bigInt({ min: 0n, max: 5_000_000_000n }),
    fees: fc.bigInt({ min: 0n, max: 1_000_000_000n }),
    carried: fc.bigInt({ min: 0n, max: 1_000_000n }),
    winnerIndex: fc.nat(),
  })
  .map(
    ({ shares, subsidy, fees, carried, winnerIndex }): PayoutInput => ({
      subsidySats: subsidy,
      coinbaseValueSats: subsidy + fees,
      shares,
      winnerDestination: shares[winnerIndex % shares.length]!.destination,
      carriedNodeNetworkSats: carried,
    }),
  );

const anyWindow = fc.oneof({ arbitrary: smallWindow, weight: 3 }, { arbitrary: bigWindow, weight: 1 });
const RUNS = { numRuns: 60 };

const amountOf = (p: Payout, id: string) => p.recipients.find((r) => r.recipientId === id)?.amountSats ?? 0n;
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

test("Economics: the parts plus the carry forward sum exactly to S + F + carried-in", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyWindow, (input) => {
        const p = calculatePayout(input);
        return (
          sum(p.recipients.map((r) => r.amountSats)) + p.carriedForwardSats ===
          input.coinbaseValueSats + input.carriedNodeNetworkSats
        );
      }),
      RUNS,
    ),
  );
});

test("Economics: nothing is negative and zero amounts are left out of the list", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyWindow, (input) => {
        const p = calculatePayout(input);
        return p.carriedForwardSats >= 0n && p.recipients.every((r) => r.amountSats > 0n);
      }),
      RUNS,
    ),
  );
});

test("Invariant 4: P = floor(S/100), T = floor(P/2) to the treasury, N = P − T to nodes or carried", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyWindow, (input) => {
        const p = calculatePayout(input);
        const P = input.subsidySats / 100n;
        const T = P / 2n;
        const nodes = sum(p.recipients.filter((r) => r.kind === "node").map((r) => r.amountSats));
        const hasNodeShares = input.shares.some((s) => s.nodeId !== null && s.work > 0n);
        return (
          p.poolFeeSats === P &&
          p.treasurySats === T &&
          p.nodeNetworkSats === P - T &&
          amountOf(p, TREASURY_RECIPIENT_ID) === T &&
          nodes + p.carriedForwardSats === P - T + input.carriedNodeNetworkSats &&
          (hasNodeShares ? p.carriedForwardSats === 0n : nodes === 0n)
        );
      }),
      RUNS,
    ),
  );
});

test("Invariant 5: the winner gets all of F and nobody else's amount depends on F", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyWindow, (input) => {
        const withFees = calculatePayout(input);
        const noFees = calculatePayout({ ...input, coinbaseValueSats: input.subsidySats });
        const winner = minerRecipientId(input.winnerDestination);
        const F = input.coinbaseValueSats - input.subsidySats;
        if (amountOf(withFees, winner) - amountOf(noFees, winner) !== F) return false;
        const ids = new Set([...withFees.recipients, ...noFees.recipients].map((r) => r.recipientId));
        for (const id of ids)
          if (id !== winner && amountOf(withFees, id) !== amountOf(noFees, id)) return false;
        return withFees.feesSats === F;
      }),
      RUNS,
    ),
  );
});

test("Economics split: recipients of equal weight differ by at most 1 sat", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10_000 }),
        fc.bigInt({ min: 1n, max: 1n << 64n }),
        fc.bigInt({ min: 0n, max: 5_000_000_000n }),
        fc.integer(),
        (count, weight, subsidy, seed) => {
          const rand = xorshift(seed);
          const shares: ShareTotal[] = [];
          for (let i = 0; i < count; i++)
            shares.push({ destination: `m${i}`, nodeId: `hn_${i % 7}`, work: weight });
          // Some miners of other weights around them.
          for (let i = 0; i < 5; i++)
            shares.push({ destination: `x${i}`, nodeId: null, work: randomShareWork(rand) });
          const p = calculatePayout({
            subsidySats: subsidy,
            coinbaseValueSats: subsidy,
            shares,
            winnerDestination: "x0",
            carriedNodeNetworkSats: 0n,
          });
          const equal = shares.slice(0, count).map((s) => amountOf(p, minerRecipientId(s.destination)));
          const sorted = [...equal].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          return sorted[sorted.length - 1]! - sorted[0]! <= 1n;
        },
      ),
      { numRuns: 40 },
    ),
  );
});

test("Economics: the result does not depend on the order (or splitting) of the share totals", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(smallWindow, fc.integer(), (input, seed) => {
        const rand = xorshift(seed);
        // Split every entry in two and shuffle: the same per-destination work, another order.
        const pieces = input.shares.flatMap((s) => {
          const a = s.work / 2n;
          return [
            { ...s, work: a },
            { ...s, work: s.work - a },
          ];
        });
        for (let i = pieces.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
        }
        const a = calculatePayout(input);
        const b = calculatePayout({ ...input, shares: pieces });
        return (
          JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ===
          JSON.stringify(b, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
        );
      }),
      RUNS,
    ),
  );
});

test("Economics tie-break: with equal remainders the extra sats go to the lowest recipient ids by byte order", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: "binary", minLength: 1, maxLength: 5 }), {
          minLength: 2,
          maxLength: 60,
        }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        (destinations, subsidy) => {
          const p = calculatePayout({
            subsidySats: subsidy,
            coinbaseValueSats: subsidy,
            shares: destinations.map((d) => ({ destination: d, nodeId: null, work: 1n })),
            winnerDestination: destinations[0]!,
            carriedNodeNetworkSats: 0n,
          });
          const A = subsidy - subsidy / 100n;
          const k = BigInt(destinations.length);
          const extra = Number(A % k);
          const byBytes = destinations
            .map((d) => minerRecipientId(d))
            .sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
          return byBytes.every((id, i) => amountOf(p, id) === A / k + (i < extra ? 1n : 0n));
        },
      ),
      { numRuns: 200 },
    ),
  );
});

test("compareUtf8 orders strings exactly as their UTF-8 bytes", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
        return Math.sign(compareUtf8(a, b)) === expected;
      }),
      { numRuns: 2000 },
    ),
  );
});

const view = (p: Payout) => Object.fromEntries(p.recipients.map((r) => [r.recipientId, r.amountSats]));

test("worked example 1: 50 BTC, two direct miners 3:1, no HyperNode shares → N carried forward", (t) => {
  const p = calculatePayout({
    subsidySats: 5_000_000_000n,
    coinbaseValueSats: 5_000_012_345n,
    shares: [
      { destination: "alice", nodeId: null, work: 3n },
      { destination: "bob", nodeId: null, work: 1n },
    ],
    winnerDestination: "bob",
    carriedNodeNetworkSats: 0n,
  });
  // P = 50,000,000; T = 25,000,000; N = 25,000,000; miners 4,950,000,000 split 3:1.
  t.deepEqual(view(p), {
    "miner:alice": 3_712_500_000n,
    "miner:bob": 1_237_500_000n + 12_345n,
    treasury: 25_000_000n,
  });
  t.is(p.carriedForwardSats, 25_000_000n);
});

test("worked example 2: equal weights, the leftover sat goes to the lowest id; carry-in joins N", (t) => {
  // S = 1001: P = 10, T = 5, N = 5 (+2 carried = 7); miners' part 991 over 3 → 330 r1 each.
  const p = calculatePayout({
    subsidySats: 1001n,
    coinbaseValueSats: 1008n,
    shares: [
      { destination: "c", nodeId: null, work: 5n },
      { destination: "b", nodeId: "hn_y", work: 5n },
      { destination: "a", nodeId: "hn_x", work: 5n },
    ],
    winnerDestination: "c",
    carriedNodeNetworkSats: 2n,
  });
  t.deepEqual(view(p), {
    "miner:a": 331n,
    "miner:b": 330n,
    "miner:c": 337n,
    "node:hn_x": 4n,
    "node:hn_y": 3n,
    treasury: 5n,
  });
  t.deepEqual(
    p.recipients.map((r) => r.recipientId),
    ["miner:a", "miner:b", "miner:c", "node:hn_x", "node:hn_y", "treasury"],
  );
  t.is(p.carriedForwardSats, 0n);
});

test("worked example 3: the largest remainder, not the largest weight, takes the leftover sat", (t) => {
  // S = 200: P = 2, T = 1, N = 1 carried; 198 over 1:2:4 → 28 r2, 56 r4, 113 r1; leftover 1 → b.
  const p = calculatePayout({
    subsidySats: 200n,
    coinbaseValueSats: 200n,
    shares: [
      { destination: "a", nodeId: null, work: 1n },
      { destination: "b", nodeId: null, work: 2n },
      { destination: "c", nodeId: null, work: 4n },
    ],
    winnerDestination: "c",
    carriedNodeNetworkSats: 0n,
  });
  t.deepEqual(view(p), { "miner:a": 28n, "miner:b": 57n, "miner:c": 113n, treasury: 1n });
  t.is(p.carriedForwardSats, 1n);
});

test("worked example 4: byte order puts 'B' before 'a'; a zero treasury part is left out", (t) => {
  // S = 101: P = 1, T = 0, N = 1 carried; 100 over three equal → 33 each, leftover 1 → "miner:B".
  const p = calculatePayout({
    subsidySats: 101n,
    coinbaseValueSats: 101n,
    shares: ["a", "B", "c"].map((d) => ({ destination: d, nodeId: null, work: 7n })),
    winnerDestination: "a",
    carriedNodeNetworkSats: 0n,
  });
  t.deepEqual(view(p), { "miner:B": 34n, "miner:a": 33n, "miner:c": 33n });
  t.is(p.carriedForwardSats, 1n);
});

test("calculatePayout refuses a coinbase value below the subsidy and negative inputs", (t) => {
  const base: PayoutInput = {
    subsidySats: 100n,
    coinbaseValueSats: 100n,
    shares: [{ destination: "a", nodeId: null, work: 1n }],
    winnerDestination: "a",
    carriedNodeNetworkSats: 0n,
  };
  t.throws(() => calculatePayout({ ...base, coinbaseValueSats: 99n }), { instanceOf: RangeError });
  t.throws(() => calculatePayout({ ...base, carriedNodeNetworkSats: -1n }), { instanceOf: RangeError });
  t.throws(() => calculatePayout({ ...base, shares: [{ destination: "a", nodeId: null, work: -1n }] }), {
    instanceOf: RangeError,
  });
});
