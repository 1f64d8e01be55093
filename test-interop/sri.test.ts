/**
 * Interop with SRI's released roles (issue 12), against the real btcd on regtest:
 *
 *   SRI translator_sv2 (aggregated, then per-miner channels) → hh-pool
 *   SRI mining_device → hh-pool
 *   SRI pool_sv2 → hh-tp (hh-tp's authority key checked), with hh-translator → SRI pool
 *
 * Each case asserts shares accepted upstream, a block found and btcd's tip moving, and zero
 * unexpected rejections; stale ones are reported as a figure and bounded by what the tip rate
 * explains (services/translator/test/support/share-pace.ts). Run with `npm run test:interop`,
 * which builds the SRI roles first (scripts/sri.mjs). Not part of `npm test`.
 */
import { readFileSync } from "node:fs";
import { scriptPubKeyToAddress } from "@hyperhash/bitcoin";
import { waitFor } from "@hyperhash/devnet";
import type { RunningPool } from "@hyperhash/pool";
import { type Sv1Miner, startSv1Miner, startTranslator } from "@hyperhash/translator";
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import {
  difficultyForPace,
  measureHashRate,
  rejectionBreakdown,
  sharesHashBudget,
  staleBound,
  waitWithinHashes,
  watchLoopDelay,
} from "../services/translator/test/support/share-pace.ts";
import {
  BLOCK_DIFFICULTY,
  NODE,
  poolBlocks,
  poolStats,
  regtestAddress,
  type Stack,
  startStack,
} from "../services/translator/test/support/stack.ts";
import {
  SRI_EXAMPLE_AUTHORITY,
  type SriProcess,
  sriBinary,
  startSriMiningDevice,
  startSriPool,
  startSriTranslator,
} from "./support/sri.ts";

const test = anyTest as TestFn<{ stack: Stack }>;
/** A hang guard only: waits are budgeted in hashes where a CPU miner does the work. */
const LONG = 600_000;
const BOUNDS = { min: 2 ** -24, max: 2 ** 20 };

test.before(async (t) => {
  // Fail loudly, with how to build them, when a role is missing.
  for (const role of ["pool_sv2", "translator_sv2", "mining_device"] as const) sriBinary(role);
  t.context.stack = await startStack();
});
test.after.always(async (t) => {
  await t.context.stack?.stop();
});

/** Counters of the pool's /metrics, by series text (`name{labels}`). */
async function poolCounters(pool: RunningPool): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${pool.opsPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.length === 0) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The pool's rejections since `before`, by reason. */
async function poolRejections(
  pool: RunningPool,
  before: Map<string, number>,
): Promise<Record<string, number>> {
  const now = await poolCounters(pool);
  const out: Record<string, number> = {};
  for (const [series, value] of now) {
    const m = /^hyperhash_pool_shares_rejected_total\{reason="([^"]+)"\}$/.exec(series);
    if (!m) continue;
    const delta = value - (before.get(series) ?? 0);
    if (delta > 0) out[m[1]!] = delta;
  }
  return out;
}

/** The growth of every series matching `re` since `before`. */
function sumSeries(now: Map<string, number>, before: Map<string, number>, re: RegExp): number {
  let sum = 0;
  for (const [series, value] of now) if (re.test(series)) sum += value - (before.get(series) ?? 0);
  return sum;
}

/** Shares the pool logged for `destination`, all time. */
async function loggedShares(pool: RunningPool, destination: string): Promise<number> {
  return (await poolStats(pool)).allTime.miners
    .filter((m) => m.destination === destination)
    .reduce((sum, m) => sum + m.count, 0);
}

/** Stops SRI processes and miners at teardown, failing or not. */
function owned(t: ExecutionContext<unknown>) {
  const stops: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  });
  return <T extends { stop(): Promise<void> }>(x: T): T => {
    stops.push(() => x.stop());
    return x;
  };
}

/** Stale rejections of `miners` within the tip-rate bound; any other rejection fails. */
function assertStaleExplained(
  t: ExecutionContext<unknown>,
  window: { tips: number; elapsedSeconds: number; loopTurnS: number; tipLatencyS?: number },
  miners: Readonly<Record<string, Sv1Miner>>,
): void {
  for (const [name, miner] of Object.entries(miners)) {
    const stats = miner.stats();
    const { stale, other } = rejectionBreakdown(stats.rejectReasons);
    const b = staleBound({ ...window, submitted: stats.submitted });
    t.log(
      `${name}: ${stats.accepted} accepted, ${stale} stale of ${stats.submitted} submitted; ${window.tips} tips in ` +
        `${window.elapsedSeconds.toFixed(0)} s, expected ≤ ${b.expected.toFixed(2)}, bound ${b.bound.toFixed(1)}; ` +
        `rejections ${JSON.stringify(stats.rejectReasons)}`,
    );
    t.deepEqual(other, {}, `${name}: rejections other than stale ones`);
    t.true(
      stale <= b.bound,
      `${name}: ${stale} stale shares exceed the ${b.bound.toFixed(1)} the tip rate explains`,
    );
  }
}

/** Runs SV1 CPU miners against an SV1 endpoint until the pool logs a block for `destination`. */
async function sv1MinersFindABlock(
  t: ExecutionContext<{ stack: Stack }>,
  endpoint: { host: string; port: number },
  destination: string,
  workers: readonly string[],
  own: ReturnType<typeof owned>,
) {
  const { pool, btcd } = t.context.stack;
  const heightBefore = await btcd.rpc.getBlockCount();
  const startedMs = Date.now();
  const loop = watchLoopDelay();
  const metricsBefore = await poolCounters(pool);
  const sharesBefore = await loggedShares(pool, destination);
  const miners: Record<string, Sv1Miner> = {};
  for (const w of workers) {
    miners[w] = own(await startSv1Miner({ ...endpoint, user: `${destination}.${w}`, password: "x" }));
  }
  const hashes = () => Object.values(miners).reduce((s, m) => s + m.stats().hashes, 0);
  const block = await waitWithinHashes(
    async () => {
      btcd.process.assertRunning();
      return (await poolBlocks(pool)).find((b) => b.winner.destination === destination);
    },
    { hashes, hashBudget: sharesHashBudget(1, BLOCK_DIFFICULTY), what: `a block won by ${destination}` },
  );
  await waitFor(async () => (await btcd.rpc.getBlockCount()) > heightBefore, {
    what: "btcd's tip moved",
    timeoutMs: 30_000,
  });
  t.is(
    (await btcd.rpc.getBlock(block.blockHash)).hash,
    block.blockHash,
    "the pool's block is on btcd's chain",
  );
  // Every miner's shares reach the pool, through whatever channels the translator opened.
  for (const [w, m] of Object.entries(miners)) {
    await waitWithinHashes(() => m.stats().accepted >= 2, {
      hashes: () => m.stats().hashes,
      hashBudget: sharesHashBudget(2, Math.max(m.stats().difficulty, 2 ** -24)),
      what: `${w}: 2 accepted shares`,
    });
  }
  const logged = (await loggedShares(pool, destination)) - sharesBefore;
  t.true(logged >= 1, `the pool logged ${logged} shares of ${destination}`);
  const tips = (await btcd.rpc.getBlockCount()) - heightBefore;
  const window = { tips, elapsedSeconds: (Date.now() - startedMs) / 1000, loopTurnS: loop.stop() };
  assertStaleExplained(t, window, miners);
  const rejected = await poolRejections(pool, metricsBefore);
  const { stale, other } = rejectionBreakdown(rejected);
  // SRI translator_sv2 0.6.0 forwards every share that meets its SV1 difficulty, also those
  // below the channel target hh-pool set (its log: "valid share, forwarding it to upstream" for
  // each, never "does not meet the upstream channel target"); hh-pool's refusal is right — the
  // share fraction it accepts matches the ratio of the two difficulties, and those it accepts
  // make valid blocks. Counted and reported, not hidden; anything else fails.
  const { "difficulty-too-low": belowTarget = 0, ...unexpected } = other;
  t.log(
    `hh-pool: ${logged} shares logged; ${stale} stale, ${belowTarget} below the channel target (SRI forwards them), ` +
      `other ${JSON.stringify(unexpected)}; ${tips} tips`,
  );
  t.deepEqual(
    unexpected,
    {},
    "hh-pool rejected SRI's shares for a reason other than staleness or SRI's below-target forwarding",
  );
  return { block, miners };
}

test.serial(
  "SRI translator_sv2 (aggregated channel) → hh-pool: SV1 miners' shares accepted, a block on btcd",
  async (t) => {
    t.timeout(LONG);
    const { pool, dir } = t.context.stack;
    const own = owned(t);
    const destination = regtestAddress(31);
    const hashRate = (await measureHashRate()) / 3;
    const sri = own(
      await startSriTranslator({
        dir,
        upstream: { host: pool.host, port: pool.port, publicKey: pool.authorityPublicKeyBase58 },
        userIdentity: destination,
        aggregate: true,
        minerHashRate: hashRate,
        sharesPerMinute: 60,
      }),
    );
    const { block } = await sv1MinersFindABlock(
      t,
      { host: "127.0.0.1", port: sri.port },
      destination,
      ["rig1", "rig2"],
      own,
    );
    // Aggregated: one upstream channel named `<address>.translator-proxy`.
    t.deepEqual(block.winner, { destination, nodeId: null, worker: "translator-proxy" });
  },
);

test.serial(
  "SRI translator_sv2 (a channel per miner) → hh-pool: each miner on its own channel, a block on btcd",
  async (t) => {
    t.timeout(LONG);
    const { pool, dir } = t.context.stack;
    const own = owned(t);
    const destination = regtestAddress(32);
    const hashRate = (await measureHashRate()) / 3;
    const sri = own(
      await startSriTranslator({
        dir,
        upstream: { host: pool.host, port: pool.port, publicKey: pool.authorityPublicKeyBase58 },
        userIdentity: destination,
        aggregate: false,
        minerHashRate: hashRate,
        sharesPerMinute: 60,
      }),
    );
    const { block } = await sv1MinersFindABlock(
      t,
      { host: "127.0.0.1", port: sri.port },
      destination,
      ["rig1", "rig2"],
      own,
    );
    // Per miner: `<address>.miner<N>`, one channel each.
    t.regex(block.winner.worker, /^miner\d+$/);
    t.is(block.winner.destination, destination);
  },
);

test.serial(
  "SRI mining_device → hh-pool: standard-channel shares accepted, a block on btcd, no rejection",
  async (t) => {
    t.timeout(LONG);
    const { pool, btcd, dir } = t.context.stack;
    const own = owned(t);
    const destination = regtestAddress(33);
    const heightBefore = await btcd.rpc.getBlockCount();
    const metricsBefore = await poolCounters(pool);
    const startedMs = Date.now();
    const loop = watchLoopDelay();
    const device = own(
      startSriMiningDevice({
        dir,
        pool: { host: pool.host, port: pool.port, publicKey: pool.authorityPublicKeyBase58 },
        userIdentity: `${destination}.sri-device`,
        handicapUs: 0,
      }),
    );
    const block = await waitFor(
      async () => {
        device.process.assertRunning();
        btcd.process.assertRunning();
        return (await poolBlocks(pool)).find((b) => b.winner.destination === destination);
      },
      // A native miner does ≥ 10⁶ H/s on one core; a block here needs 2³² · 2⁻¹² ≈ 10⁶ hashes.
      { what: "a block won by SRI's mining device", timeoutMs: 180_000, intervalMs: 250 },
    );
    t.deepEqual(block.winner, { destination, nodeId: null, worker: "sri-device" });
    await waitFor(async () => (await btcd.rpc.getBlockCount()) > heightBefore, {
      what: "btcd's tip moved",
      timeoutMs: 30_000,
    });
    t.is((await btcd.rpc.getBlock(block.blockHash)).hash, block.blockHash);
    const logged = await loggedShares(pool, destination);
    t.true(logged >= 1, `the pool logged ${logged} shares of the device`);
    const rejected = await poolRejections(pool, metricsBefore);
    const tips = (await btcd.rpc.getBlockCount()) - heightBefore;
    t.log(`mining_device: ${logged} shares logged, rejections ${JSON.stringify(rejected)}, ${tips} tips`);
    const { stale, other } = rejectionBreakdown(rejected);
    t.deepEqual(other, {}, "hh-pool rejected the device's shares for a reason other than staleness");
    // The same derivation as the SV1 miners': the device alone mines in this case, so the
    // pool's counters are its shares.
    const accepted = sumSeries(
      await poolCounters(pool),
      metricsBefore,
      /^hyperhash_pool_shares_accepted_total\b/,
    );
    const b = staleBound({
      tips,
      submitted: accepted + Object.values(rejected).reduce((a, v) => a + v, 0),
      elapsedSeconds: (Date.now() - startedMs) / 1000,
      loopTurnS: loop.stop(),
    });
    t.log(
      `mining_device: ${stale} stale of ${accepted} accepted; expected ≤ ${b.expected.toFixed(2)}, bound ${b.bound.toFixed(1)}`,
    );
    t.true(stale <= b.bound, `${stale} stale shares exceed the ${b.bound.toFixed(1)} the tip rate explains`);
  },
);

/** Seconds since the epoch of an SRI log line (tracing's RFC 3339 timestamp), or NaN. */
const lineTime = (line: string) => Date.parse(line.slice(0, line.indexOf(" "))) / 1000;

/**
 * From the SRI pool's whole log: the SetNewPrevHash messages it received, the blocks it found, and
 * for each tip change the time from its first block found to the next SetNewPrevHash (or to now,
 * when that tip has not reached the pool yet).
 */
function sriTipTimes(pool: SriProcess): { prevHashes: number[]; blocksFound: number; latenciesS: number[] } {
  const events = readFileSync(pool.process.logPath, "utf8")
    .split("\n")
    .filter((l) => /Received: SetNewPrevHash|Block Found/.test(l))
    .map((l) => ({ at: lineTime(l), tip: l.includes("SetNewPrevHash") }))
    .filter((e) => Number.isFinite(e.at));
  const prevHashes = events.filter((e) => e.tip).map((e) => e.at);
  const latenciesS: number[] = [];
  let firstFound: number | null = null;
  for (const e of events) {
    if (!e.tip && firstFound === null) firstFound = e.at;
    if (e.tip && firstFound !== null) {
      latenciesS.push(e.at - firstFound);
      firstFound = null;
    }
  }
  if (firstFound !== null) latenciesS.push(Date.now() / 1000 - firstFound);
  return { prevHashes, blocksFound: events.filter((e) => !e.tip).length, latenciesS };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

/** The regtest address a block's coinbase pays first (its first output with an address). */
async function coinbaseAddress(btcd: Stack["btcd"], hash: string): Promise<string | undefined> {
  const first = (await btcd.rpc.getBlock(hash)).tx[0];
  if (first === undefined) return undefined;
  const coinbase = await btcd.rpc.getRawTransaction(typeof first === "string" ? first : first.txid);
  for (const out of coinbase.vout) {
    const address = scriptPubKeyToAddress(
      Uint8Array.from(Buffer.from(out.scriptPubKey.hex, "hex")),
      "regtest",
    );
    if (address) return address;
  }
  return undefined;
}

test.serial(
  "SRI pool_sv2 → hh-tp with hh-tp's authority key; hh-translator → SRI pool: shares accepted upstream, SRI's blocks on btcd",
  async (t) => {
    t.timeout(LONG);
    const { tp, btcd, dir } = t.context.stack;
    const own = owned(t);
    const sriCoinbase = regtestAddress(34);
    const heightBefore = await btcd.rpc.getBlockCount();
    const sriPool = own(
      await startSriPool({
        dir,
        templateProvider: { host: tp.host, port: tp.port, publicKey: tp.authorityPublicKeyBase58 },
        coinbaseAddress: sriCoinbase,
        sharesPerMinute: 30,
      }),
    );
    const translator = own(
      await startTranslator({
        port: 0,
        opsPort: 0,
        upstreams: [
          { host: "127.0.0.1", port: sriPool.port, authorityPublicKey: SRI_EXAMPLE_AUTHORITY.publicKey },
        ],
        nodeId: NODE.nodeId,
        credential: NODE.credential,
        initialDifficulty: 2 ** -16,
        minDifficulty: 2 ** -24,
        maxDifficulty: 2 ** 20,
        nominalHashRate: 2e4,
        logLevel: "warn",
      }),
    );
    const startedMs = Date.now();
    const loop = watchLoopDelay();
    const d = difficultyForPace((await measureHashRate()) / 3, 0.5, BOUNDS);
    const destination = regtestAddress(35);
    const miners: Record<string, Sv1Miner> = {};
    for (const w of ["rig1", "rig2"]) {
      miners[w] = own(
        await startSv1Miner({
          host: translator.host,
          port: translator.port,
          user: `${destination}.${w}`,
          password: `d=${d}`,
        }),
      );
    }
    const forwarded = async () => {
      const metrics = await translator.registry
        .getSingleMetric("hyperhash_translator_shares_forwarded_total")
        ?.get();
      return (metrics?.values ?? []).reduce((s, v) => s + v.value, 0);
    };
    const hashes = () => Object.values(miners).reduce((s, m) => s + m.stats().hashes, 0);
    // On regtest the network target is easier than any share target, so a share the SRI pool
    // accepts is a block: SRI's pool hands it to hh-tp (SubmitSolution), which submits it to btcd.
    // Finding it is the miners' work (budgeted in hashes: the SRI pool sets the target from the
    // declared 20 kH/s at 30 shares a minute); reaching btcd is delivery (a deadline, since
    // hh-tp submits a burst of sibling blocks one by one).
    await waitWithinHashes(
      () => {
        sriPool.process.assertRunning();
        return sriPool.logLines(/Block Found/).length > 0;
      },
      { hashes, hashBudget: sharesHashBudget(2, (2e4 * 2) / 2 ** 32), what: "a block found by the SRI pool" },
    );
    const sriBlock = await waitFor(
      async () => {
        const height = await btcd.rpc.getBlockCount();
        for (let h = height; h > heightBefore; h--) {
          const hash = await btcd.rpc.getBlockHash(h);
          if ((await coinbaseAddress(btcd, hash)) === sriCoinbase) return { hash, height: h };
        }
        return undefined;
      },
      { what: "the SRI pool's block on btcd's chain", timeoutMs: 120_000, intervalMs: 500 },
    );
    t.log(`SRI pool block at height ${sriBlock.height} (${sriBlock.hash})`);
    for (const [w, m] of Object.entries(miners)) {
      await waitWithinHashes(() => m.stats().accepted >= 2, {
        hashes: () => m.stats().hashes,
        hashBudget: sharesHashBudget(2, d),
        what: `${w}: 2 accepted shares`,
      });
    }
    t.true((await forwarded()) >= 1, "hh-translator forwarded shares upstream");
    // The SRI pool logs each share it rejects as an ERROR line; a stale one (a share on the
    // previous prev hash, in flight when the tip moved) is expected and bounded below with the
    // miners' own stale shares. Any other error fails the case.
    const isUpstreamStale = (l: string) => /SubmitSharesError:.*error_code: stale-share/.test(l);
    const sriErrors = sriPool
      .logLines(/ERROR/)
      .filter((l) => !/Connection closed|disconnect/i.test(l) && !isUpstreamStale(l));
    t.deepEqual(sriErrors, [], "the SRI pool logged no error other than stale shares");
    // The judge is the SRI pool. On regtest every share it accepts is a block (it has no block
    // target of its own), so blocks come in bursts of siblings on one prev hash; hh-tp submits
    // them one by one, and a tip reaches the SRI pool only after btcd accepted the first. So the
    // stale window per tip is measured, from the SRI pool's own log: its first "Block Found" to
    // the next SetNewPrevHash it received (measured ~5 s in bursts; see test-interop/README.md).
    const tipTimes = sriTipTimes(sriPool);
    // Each block-found episode is a tip change at the judge, delivered or still on its way.
    const tips = tipTimes.latenciesS.length;
    const tipLatencyS = tipTimes.latenciesS.reduce((max, l) => Math.max(max, l), 0);
    t.log(
      `SRI pool: ${tips} tips, ${tipTimes.blocksFound} blocks found (siblings included), block → next SetNewPrevHash ` +
        `max ${tipLatencyS.toFixed(2)} s, median ${median(tipTimes.latenciesS).toFixed(2)} s; btcd +${(await btcd.rpc.getBlockCount()) - heightBefore}`,
    );
    const loopTurnS = loop.stop();
    assertStaleExplained(
      t,
      { tips, elapsedSeconds: (Date.now() - startedMs) / 1000, loopTurnS, tipLatencyS },
      miners,
    );
    // Stale at the judge: shares hh-translator forwarded on a job the SRI pool had just
    // superseded. The same bound, over everything forwarded.
    const upstreamStale = sriPool.logLines(/SubmitSharesError/).filter(isUpstreamStale).length;
    const submittedUpstream = await forwarded();
    const upstreamBound = staleBound({
      tips,
      elapsedSeconds: (Date.now() - startedMs) / 1000,
      loopTurnS,
      tipLatencyS,
      submitted: submittedUpstream,
    });
    t.log(
      `SRI pool: ${upstreamStale} stale of ${submittedUpstream} forwarded; expected ≤ ${upstreamBound.expected.toFixed(2)}, bound ${upstreamBound.bound.toFixed(1)}`,
    );
    t.true(
      upstreamStale <= upstreamBound.bound,
      `${upstreamStale} shares stale at the SRI pool exceed the ${upstreamBound.bound.toFixed(1)} the tip rate explains`,
    );
    const upstreamRejected = await translator.registry
      .getSingleMetric("hyperhash_translator_shares_rejected_total")
      ?.get();
    t.log(`hh-translator rejections: ${JSON.stringify(upstreamRejected?.values ?? [])}`);
  },
);

test.serial("SRI pool_sv2 refuses hh-tp under another authority key: no template, no block", async (t) => {
  t.timeout(LONG);
  const { tp, dir } = t.context.stack;
  const own = owned(t);
  const served = tp.stats();
  const wrong: SriProcess = own(
    await startSriPool({
      dir,
      name: "sri-pool-wrong-tp-key",
      // A valid key of the right form, but not hh-tp's: SRI's own example pool key.
      templateProvider: { host: tp.host, port: tp.port, publicKey: SRI_EXAMPLE_AUTHORITY.publicKey },
      coinbaseAddress: regtestAddress(36),
      sharesPerMinute: 30,
      waitListening: false,
    }),
  );
  let exited = false;
  void wrong.process.exited.then(() => {
    exited = true;
  });
  const refusal = await waitFor(
    () => {
      const lines = wrong.logLines(/InvalidCertificate|handshake failed/i);
      return lines.length > 0 || exited ? lines : undefined;
    },
    { what: "the SRI pool to refuse hh-tp's certificate", timeoutMs: 60_000, intervalMs: 200 },
  );
  t.log(`SRI pool: ${refusal[0]?.slice(0, 240)}`);
  t.regex(refusal.join("\n"), /InvalidCertificate/, "the SRI pool refused hh-tp's certificate signature");
  // Nothing got past the handshake: no template reached the SRI pool, and hh-tp has no new client.
  t.is(wrong.logLines(/Received: NewTemplate/).length, 0, "the SRI pool received no template");
  t.true(
    tp.stats().connectedClients <= served.connectedClients,
    "hh-tp has no new Template Distribution client (the previous case's SRI pool may still be leaving)",
  );
});
