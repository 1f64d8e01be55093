/**
 * Payout calculation time for 1M shares over 10k miners (issue 7's benchmark; issue 19 item 5:
 * median under 100 ms), plus the canonical list and digest, and a full calculation through
 * SQLite for a 10k-miner window. Prints the median and p90 over RUNS timed runs twice: on the
 * machine as it is, and again while a second process spins a core (issue 19: "report the figure
 * from a quiet machine and from one with a second busy process"). The first, untimed run is
 * printed apart: it interns the 1M destination strings and optimises the code.
 * Run with `npm run bench -w @hyperhash/core`; no assertion, figures only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { subsidy, work } from "@hyperhash/bitcoin";
import {
  calculatePayout,
  canonicalPayoutList,
  openSqliteRepository,
  type PayoutInput,
  payoutDigest,
  type ShareTotal,
} from "../src/index.ts";
import { applyBlockFound, calculateWindow, type WindowContext } from "../src/windows.ts";

const SHARES = 1_000_000;
const MINERS = 10_000;
const NODES = 50;
const RUNS = 21;

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

const ms = (x: number) => `${x.toFixed(1)} ms`;
/** The q-quantile of xs (nearest rank). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
}
const figures = (xs: readonly number[]) =>
  `median ${ms(quantile(xs, 0.5))}, p90 ${ms(quantile(xs, 0.9))}, min ${ms(Math.min(...xs))} over ${xs.length} runs`;

/** A second process that spins one core until killed. */
async function busyProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "process.send('spinning'); for (;;) {}"], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("error", reject);
  });
  return child;
}

const input: PayoutInput = {
  subsidySats: 312_500_000n,
  coinbaseValueSats: 312_500_000n + 12_345_678n,
  shares: shares(),
  winnerDestination: "bcrt1qminer42",
  carriedNodeNetworkSats: 1_234n,
};

function timeRuns(): { calc: number[]; list: number[]; digest: string; recipients: number } {
  const calc: number[] = [];
  const list: number[] = [];
  let digest = "";
  let recipients = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const payout = calculatePayout(input);
    const t1 = performance.now();
    digest = payoutDigest(canonicalPayoutList({ blockHash: "00".repeat(32), height: 1 }, payout));
    const t2 = performance.now();
    calc.push(t1 - t0);
    list.push(t2 - t1);
    recipients = payout.recipients.length;
  }
  return { calc, list, digest, recipients };
}

console.log(
  `calculatePayout: ${SHARES.toLocaleString()} share entries, ${MINERS.toLocaleString()} miners, ${NODES} nodes (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start)`,
);
const c0 = performance.now();
calculatePayout(input);
console.log(`  first run (interns the destinations, optimises): ${ms(performance.now() - c0)}`);
const quiet = timeRuns();
console.log(`  quiet:                   ${figures(quiet.calc)}`);
const child = await busyProcess();
let busy: ReturnType<typeof timeRuns>;
try {
  busy = timeRuns();
} finally {
  child.kill("SIGKILL");
}
console.log(`  with a busy 2nd process: ${figures(busy.calc)}`);
if (busy.digest !== quiet.digest) throw new Error("the payout differs between runs");
console.log(`  → ${quiet.recipients} recipients, payout digest ${quiet.digest}`);
console.log(`canonical list + SHA-256 digest: median ${ms(quantile(quiet.list, 0.5))}`);

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
  `calculateWindow through SQLite (10k miners: list, digest, ${repo.ledgerBalances().length} credits in one transaction): ${ms(performance.now() - t0)}`,
);
repo.close();
