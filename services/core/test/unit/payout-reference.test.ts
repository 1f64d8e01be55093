/**
 * ARCHITECTURE.md "Economics of one payout window": calculatePayout is bit-identical to the
 * design's split stated plainly (test/support/payout-reference.ts). Its fast paths are where
 * the generators aim: work sums that wrap the 64-bit lanes many times, work at and around 2^63
 * and 2^64 (the exact bigint path), a destination through several nodes, zero work, ids above
 * U+D800 (the byte-order comparator instead of the engine's sort), ties of remainders.
 */
import test from "ava";
import fc from "fast-check";
import { calculatePayout, type PayoutInput, type ShareTotal } from "../../src/payout.ts";
import { referencePayout } from "../support/payout-reference.ts";

const TOP = 1n << 63n;
const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

/** Work values aimed at the lanes' edges, plus ordinary and huge ones. */
const shareWork = fc.oneof(
  fc.constantFrom(0n, 1n, TOP - 1n, TOP, TOP + 1n, 2n * TOP - 1n, 2n * TOP, (1n << 256n) - 1n),
  fc.bigInt({ min: TOP - 1000n, max: TOP + 1000n }),
  fc.bigInt({ min: 0n, max: 1n << 20n }),
  fc.bigInt({ min: 0n, max: TOP - 1n }),
  fc.bigInt({ min: 0n, max: 1n << 90n }),
);

const destination = fc.oneof(
  fc.constantFrom("bcrt1qa", "bcrt1qb", "bcrt1qc", "B", "a", "\u{1f600}", "\uffff", "\ue000"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 4 }),
);
const nodeId = fc.option(fc.constantFrom("hn_a", "hn_b", "hn_c", "hn_\u{1f600}"), { nil: null });

const window = fc
  .record({
    shares: fc.array(fc.record({ destination, nodeId, work: shareWork }), { minLength: 1, maxLength: 80 }),
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

test("calculatePayout equals the design's split stated plainly, on windows aimed at its fast paths", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(window, (input) => text(calculatePayout(input)) === text(referencePayout(input))),
      { numRuns: 3000 },
    ),
  );
});

test("calculatePayout equals the reference where one destination's lane wraps thousands of times", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.bigInt({ min: TOP - (1n << 40n), max: TOP - 1n }),
        fc.integer({ min: 1, max: 7 }),
        (count, work, destinations) => {
          const shares: ShareTotal[] = [];
          for (let i = 0; i < count; i++)
            shares.push({
              destination: `bcrt1q${i % destinations}`,
              nodeId: i % 3 === 0 ? `hn_${i % 2}` : null,
              work: work - BigInt(i % 5),
            });
          const input: PayoutInput = {
            subsidySats: 312_500_000n,
            coinbaseValueSats: 312_600_000n,
            shares,
            winnerDestination: "bcrt1q0",
            carriedNodeNetworkSats: 7n,
          };
          return text(calculatePayout(input)) === text(referencePayout(input));
        },
      ),
      { numRuns: 60 },
    ),
  );
});

test("calculatePayout equals the reference on a 10,000-miner window through 40 nodes", (t) => {
  const shares: ShareTotal[] = [];
  for (let i = 0; i < 200_000; i++) {
    const m = i % 10_000;
    shares.push({
      destination: `bcrt1qminer${m}`,
      nodeId: m % 3 === 0 ? `hn_node${(m + (i % 11 === 0 ? 1 : 0)) % 40}` : null,
      work: (1n << BigInt(30 + (i % 40))) + BigInt(i),
    });
  }
  const input: PayoutInput = {
    subsidySats: 312_500_000n,
    coinbaseValueSats: 325_000_000n,
    shares,
    winnerDestination: "bcrt1qminer42",
    carriedNodeNetworkSats: 1_234n,
  };
  t.is(text(calculatePayout(input)), text(referencePayout(input)));
});

test("calculatePayout refuses negative work wherever it sits, as the reference does", (t) => {
  for (const work of [-1n, -TOP, -(1n << 200n)])
    for (const at of [0, 1, 2]) {
      const shares: ShareTotal[] = [
        { destination: "a", nodeId: null, work: 5n },
        { destination: "b", nodeId: "hn_a", work: 5n },
      ];
      shares.splice(at, 0, { destination: at === 1 ? "a" : "c", nodeId: null, work });
      const input: PayoutInput = {
        subsidySats: 100n,
        coinbaseValueSats: 100n,
        shares,
        winnerDestination: "a",
        carriedNodeNetworkSats: 0n,
      };
      t.throws(() => calculatePayout(input), { instanceOf: RangeError, message: "share work is negative" });
      t.throws(() => referencePayout(input), { instanceOf: RangeError });
    }
});
