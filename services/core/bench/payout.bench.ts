/**
 * Payout calculation time for 1M shares over 10k miners (issue 7's benchmark), plus the
 * canonical list and digest, and a full calculation through SQLite for a 10k-miner window.
 * Prints figures; run with `npm run bench -w @hyperhash/core`.
 */
import { subsidy, work } from "@hyperhash/bitcoin";
import {
  calculatePayout,
  canonicalPayoutList,
  openSqliteRepository,
  payoutDigest,
  type ShareTotal,
} from "../src/index.ts";
import { applyBlockFound, calculateWindow, type WindowContext } from "../src/windows.ts";

const SHARES = 1_000_000;
const MINERS = 10_000;
const NODES = 50;
const RUNS = 5;

function shares(): ShareTotal[] {
  const out: ShareTotal[] = new Array(SHARES);
  for (let i = 0; i < SHARES; i++) {
    const m = i % MINERS;
    // Share targets from difficulty 2^10 to 2^30, as vardiff spreads them.
    const target = 1n << BigInt(224 - 10 - (i % 21));
    out[i] = {
      destination: `bcrt1qminer${m}`,
      nodeId: m % 3 === 0 ? `hn_node${m % NODES}` : null,
      work: work(target),
    };
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const input = {
  subsidySats: 312_500_000n,
  coinbaseValueSats: 312_500_000n + 12_345_678n,
  shares: shares(),
  winnerDestination: "bcrt1qminer42",
  carriedNodeNetworkSats: 1_234n,
};
const times: number[] = [];
const listTimes: number[] = [];
let recipients = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const payout = calculatePayout(input);
  const t1 = performance.now();
  const list = canonicalPayoutList({ blockHash: "00".repeat(32), height: 1 }, payout);
  payoutDigest(list);
  const t2 = performance.now();
  times.push(t1 - t0);
  listTimes.push(t2 - t1);
  recipients = payout.recipients.length;
}
console.log(
  `calculatePayout: ${SHARES.toLocaleString()} share entries, ${MINERS.toLocaleString()} miners, ${NODES} nodes → ${recipients} recipients`,
);
console.log(
  `  median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms over ${RUNS} runs`,
);
console.log(`canonical list + SHA-256 digest: median ${median(listTimes).toFixed(1)} ms`);

// A whole window through the store: the pool's per-(destination, node) totals for 10k miners.
const repo = openSqliteRepository(":memory:");
const ctx: WindowContext = {
  repo,
  network: "regtest",
  payoutConfirmations: 1,
  payoutThresholdSats: 1000n,
  now: () => new Date(),
};
const totals = new Map<string, { destination: string; nodeId: string | null; work: bigint; count: number }>();
for (const s of input.shares) {
  const key = `${s.destination}|${s.nodeId}`;
  const e = totals.get(key) ?? { destination: s.destination, nodeId: s.nodeId, work: 0n, count: 0 };
  e.work += s.work;
  e.count++;
  totals.set(key, e);
}
const height = 1;
applyBlockFound(ctx, {
  outboxSeq: 1,
  blockHash: "11".repeat(32),
  height,
  previousBlockHash: null,
  subsidySats: subsidy(height, "regtest"),
  coinbaseValueSats: subsidy(height, "regtest"),
  winnerDestination: "bcrt1qminer42",
  winnerNodeId: null,
  winnerWorker: "w",
  shares: [...totals.values()].map((e) => ({ ...e, work: e.work.toString() })),
  foundAt: new Date().toISOString(),
});
const t0 = performance.now();
calculateWindow(ctx, "11".repeat(32));
console.log(
  `calculateWindow through SQLite (10k miners: list, digest, ${repo.ledgerBalances().length} credits in one transaction): ${(performance.now() - t0).toFixed(1)} ms`,
);
repo.close();
