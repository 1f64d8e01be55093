/**
 * Share counts that do not depend on the machine being idle: the CPU miner's difficulty is
 * derived from the hash rate measured now (under whatever else the machine is doing), and
 * stale rejections are counted and bounded by what the tip rate explains instead of being
 * filtered out.
 */
import { createHash } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { HASHES_PER_DIFFICULTY_1 } from "@hyperhash/sv2";

const sha256d = (data: Uint8Array) =>
  createHash("sha256").update(createHash("sha256").update(data).digest()).digest();

/**
 * Double-SHA256 of 80-byte headers per second that this process gets right now, hashed the
 * way the CPU miner does (batches of 2,000 with an event-loop turn between them).
 */
export async function measureHashRate(durationMs = 1_000): Promise<number> {
  const header = new Uint8Array(80);
  const view = new DataView(header.buffer);
  const started = performance.now();
  let hashes = 0;
  while (performance.now() - started < durationMs) {
    for (let i = 0; i < 2_000; i++) {
      view.setUint32(76, hashes + i, true);
      sha256d(header);
    }
    hashes += 2_000;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return (hashes * 1000) / (performance.now() - started);
}

/**
 * The largest power-of-two difficulty at which a miner hashing `hashRate` H/s finds a share
 * every `secondsPerShare` seconds on average (at least; a slower machine lowers it), within
 * the translator's bounds.
 */
export function difficultyForPace(
  hashRate: number,
  secondsPerShare: number,
  bounds: { readonly min: number; readonly max: number },
): number {
  const exact = (hashRate * secondsPerShare) / HASHES_PER_DIFFICULTY_1;
  const pow2 = 2 ** Math.floor(Math.log2(Math.max(exact, Number.MIN_VALUE)));
  return Math.min(bounds.max, Math.max(bounds.min, pow2));
}

/**
 * Hashes within which `count` shares at `difficulty` are all but certain: the count is
 * Poisson in the hashes done, with mean `count` after count·H₁·d of them; after (4·count + 20)
 * times that work, falling short of `count` has a probability below 10⁻⁸ for any count.
 */
export function sharesHashBudget(count: number, difficulty: number): number {
  return (4 * count + 20) * HASHES_PER_DIFFICULTY_1 * difficulty;
}

/** Wall-clock guard of {@link waitWithinHashes}: only a hang ever reaches it. */
const HANG_GUARD_MS = 480_000;

/**
 * Waits until `done()` holds, failing once the miners have hashed `hashBudget` more hashes
 * without it: a deadline counted in work, not time, so a loaded machine only makes it slower.
 */
export async function waitWithinHashes<T>(
  done: () => Promise<T | undefined | false> | T | undefined | false,
  options: { readonly hashes: () => number; readonly hashBudget: number; readonly what: string },
): Promise<T> {
  const start = options.hashes();
  const started = Date.now();
  for (;;) {
    const value = await done();
    if (value !== undefined && value !== false) return value as T;
    const spent = options.hashes() - start;
    if (spent > options.hashBudget) {
      throw new Error(
        `${options.what}: not done after ${spent} hashes (budget ${Math.round(options.hashBudget)})`,
      );
    }
    if (Date.now() - started > HANG_GUARD_MS) {
      throw new Error(`${options.what}: not done after ${HANG_GUARD_MS} ms and ${spent} hashes (hang?)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SV1 error messages a share gets for having been found on superseded work. */
const STALE = /job not found|stale/i;

/** A miner's rejections split into stale ones (counted) and anything else (a bug). */
export function rejectionBreakdown(reasons: Readonly<Record<string, number>>): {
  readonly stale: number;
  readonly other: Readonly<Record<string, number>>;
} {
  let stale = 0;
  const other: Record<string, number> = {};
  for (const [reason, count] of Object.entries(reasons)) {
    if (STALE.test(reason)) stale += count;
    else other[reason] = count;
  }
  return { stale, other };
}

/** In-process hops between a block being found and the miner hashing the next tip's job. */
const TIP_HOPS = 8;
/** hh-tp's getbestblockhash poll period when it cannot long-poll (its default). */
const TIP_DETECTION_S = 0.25;

/**
 * Upper bound on the stale shares one miner may get, from the tip rate.
 *
 * A share is stale when it was found on work whose prev hash the judge (translator or pool)
 * has already replaced. After a block is found, the miner keeps hashing the old tip until the
 * clean notify reaches it: hh-tp notices the tip (≤ its poll period), and the news travels
 * pool → translator → miner, while the shares already on their way travel miner →
 * translator → pool. Each of those ~TIP_HOPS in-process hops waits for about one event-loop
 * turn, whose length is measured over the test (99th percentile, `loopTurnS`). So each tip
 * puts W = TIP_DETECTION_S + TIP_HOPS · loopTurnS seconds of this miner's work at risk, and
 * the stale count is about Poisson with mean λ = tips · shareRate · W, shareRate being the
 * miner's own measured rate (shares submitted per second). The bound is λ + 4√λ + 4: a Poisson
 * variable exceeds it with probability below 10⁻³ for every λ, and the +4 also absorbs the odd
 * turn longer than the 99th percentile. A translator that drops jobs its miners are still
 * working on fails it: its stale shares grow with the time between tips, not with W.
 */
export function staleBound(input: {
  readonly tips: number;
  readonly submitted: number;
  readonly elapsedSeconds: number;
  readonly loopTurnS: number;
  /**
   * Measured time from a block found to its tip reaching the judge, when the test can see it
   * (an SRI pool's log); replaces hh-tp's poll period as the detection part of the window.
   */
  readonly tipLatencyS?: number;
}): { readonly bound: number; readonly expected: number; readonly windowSeconds: number } {
  const windowSeconds = (input.tipLatencyS ?? TIP_DETECTION_S) + TIP_HOPS * input.loopTurnS;
  const shareRate = input.submitted / Math.max(input.elapsedSeconds, 1e-3);
  const expected = input.tips * shareRate * windowSeconds;
  return { bound: expected + 4 * Math.sqrt(expected) + 4, expected, windowSeconds };
}

/** Measures event-loop turns from now until `stop()`: the 99th percentile, in seconds (≥ 10 ms). */
export function watchLoopDelay(): { stop(): number } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      return Math.max(0.01, histogram.percentile(99) / 1e9);
    },
  };
}
