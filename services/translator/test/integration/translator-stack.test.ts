/**
 * hh-translator against the real parts (issue 6 "Tests"): btcd on regtest, hh-tp and
 * hh-pool, with the CPU SV1 miner in front. One stack for the file; tests run serially
 * because they share the 2-core machine with other suites.
 *
 * Nothing here assumes an idle machine (issue 12): each test measures the hash rate it gets,
 * pins the miners' difficulty from it (`d=`), and waits for share counts within a budget of
 * hashes rather than seconds. Stale rejections are reported as a figure and bounded by what
 * the tip rate explains (share-pace.ts); any other rejection fails the test.
 */
import { freePort, waitFor } from "@hyperhash/devnet";
import type { RunningPool } from "@hyperhash/pool";
import { initialDifficulty } from "@hyperhash/sv2";
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import {
  type Sv1Miner,
  type Sv1MinerOptions,
  startSv1Miner,
  startTranslator,
  type Translator,
  type TranslatorConfigInput,
} from "../../src/index.ts";
import {
  difficultyForPace,
  measureHashRate,
  rejectionBreakdown,
  sharesHashBudget,
  staleBound,
  waitWithinHashes,
  watchLoopDelay,
} from "../support/share-pace.ts";
import {
  BLOCK_DIFFICULTY,
  NODE,
  poolBlocks,
  poolStats,
  regtestAddress,
  type Stack,
  startStack,
} from "../support/stack.ts";
import { type RawSv1Client, rawSv1Client } from "../support/sv1-client.ts";

const test = anyTest as TestFn<{ stack: Stack }>;
/** A hang guard only: waits are budgeted in hashes (share-pace.ts). */
const LONG = 600_000;
const BOUNDS = { min: 2 ** -24, max: 2 ** 20 };
/** Declared per channel; the pool's first share target follows from it. */
const NOMINAL_HASH_RATE = 2e4;
/** The pool's share difficulty for a channel declaring NOMINAL_HASH_RATE, before its vardiff moves. */
const POOL_SHARE_DIFFICULTY = initialDifficulty(NOMINAL_HASH_RATE);

test.before(async (t) => {
  t.context.stack = await startStack();
});
test.after.always(async (t) => {
  await t.context.stack?.stop();
});

/**
 * The difficulty at which each of `miners` CPU miners finds a share every `secondsPerShare`
 * on average at the hash rate this process gets now. The miners share the event loop with
 * the translator, the pool and hh-tp, so each gets at most 1/(miners + 1) of it.
 */
async function pacedDifficulty(miners: number, secondsPerShare: number): Promise<number> {
  const hashRate = (await measureHashRate()) / (miners + 1);
  return difficultyForPace(hashRate, secondsPerShare, BOUNDS);
}

/** Total hashes of `miners`, for budgets of work the pool counts over several miners. */
const hashesOf = (miners: readonly Sv1Miner[]) => () => miners.reduce((sum, m) => sum + m.stats().hashes, 0);

/**
 * Waits until `miner`, mining at `difficulty`, has `atLeast` accepted shares, within a budget
 * of hashes for the shares still missing.
 */
function acceptedShares(miner: Sv1Miner, atLeast: number, difficulty: number, what: string) {
  return waitWithinHashes(() => miner.stats().accepted >= atLeast, {
    hashes: () => miner.stats().hashes,
    hashBudget: sharesHashBudget(Math.max(1, atLeast - miner.stats().accepted), difficulty),
    what,
  });
}

/** Starts counting tips and event-loop turns for {@link assertStaleExplained}. */
async function staleWindow(btcd: Stack["btcd"]) {
  return { height: await btcd.rpc.getBlockCount(), startedMs: Date.now(), loop: watchLoopDelay() };
}

/**
 * Stale rejections as a figure, per miner, within the bound the tip rate explains (see
 * `staleBound`); every other rejection is a failure.
 */
async function assertStaleExplained(
  t: ExecutionContext<unknown>,
  btcd: Stack["btcd"],
  window: Awaited<ReturnType<typeof staleWindow>>,
  miners: Readonly<Record<string, Sv1Miner>>,
): Promise<void> {
  const tips = (await btcd.rpc.getBlockCount()) - window.height;
  const elapsedSeconds = (Date.now() - window.startedMs) / 1000;
  const loopTurnS = window.loop.stop();
  for (const [name, miner] of Object.entries(miners)) {
    const stats = miner.stats();
    const { stale, other } = rejectionBreakdown(stats.rejectReasons);
    const b = staleBound({ tips, submitted: stats.submitted, elapsedSeconds, loopTurnS });
    t.log(
      `${name}: ${stale} stale of ${stats.submitted} submitted; ${tips} tips in ${elapsedSeconds.toFixed(0)} s, ` +
        `window ${b.windowSeconds.toFixed(2)} s, expected ≤ ${b.expected.toFixed(2)}, bound ${b.bound.toFixed(1)}`,
    );
    t.deepEqual(other, {}, `${name}: rejections other than stale ones`);
    t.true(
      stale <= b.bound,
      `${name}: ${stale} stale shares exceed the ${b.bound.toFixed(1)} the tip rate explains`,
    );
  }
}

function translatorConfig(
  pool: RunningPool,
  over: Partial<TranslatorConfigInput> = {},
): TranslatorConfigInput {
  return {
    port: 0,
    opsPort: 0,
    upstreams: [{ host: pool.host, port: pool.port, authorityPublicKey: pool.authorityPublicKeyBase58 }],
    nodeId: NODE.nodeId,
    credential: NODE.credential,
    initialDifficulty: 2 ** -16,
    minDifficulty: 2 ** -24,
    maxDifficulty: 2 ** 20,
    nominalHashRate: NOMINAL_HASH_RATE,
    reconnectMinMs: 100,
    reconnectMaxMs: 1_000,
    logLevel: "warn",
    ...over,
  };
}

/** Starts a translator and miners, all stopped at teardown even when the test fails. */
async function withTranslator(
  t: { teardown: (fn: () => Promise<void>) => void },
  config: TranslatorConfigInput,
): Promise<{
  translator: Translator;
  miner: (o: Omit<Sv1MinerOptions, "host" | "port">) => Promise<Sv1Miner>;
}> {
  const translator = await startTranslator(config);
  const miners: Sv1Miner[] = [];
  t.teardown(async () => {
    for (const m of miners) await m.stop();
    await translator.stop();
  });
  return {
    translator,
    miner: async (o) => {
      const m = await startSv1Miner({ host: translator.host, port: translator.port, ...o });
      miners.push(m);
      return m;
    },
  };
}

test.serial(
  "SV1 miner → translator → pool → hh-tp → btcd finds a block; destination and worker reach the share log (failover past a dead upstream)",
  async (t) => {
    t.timeout(LONG);
    const { pool, btcd } = t.context.stack;
    const dest = regtestAddress(1);
    const dead = await freePort();
    const config = translatorConfig(pool);
    const { translator, miner } = await withTranslator(t, {
      ...config,
      upstreams: [{ host: "127.0.0.1", port: dead }, ...config.upstreams!],
    });
    const heightBefore = await btcd.rpc.getBlockCount();
    // Every share the miner submits is judged for a block, so its difficulty stays below the block's.
    const d = Math.min(await pacedDifficulty(1, 0.5), BLOCK_DIFFICULTY);
    const m = await miner({ user: `${dest}.rig1`, password: `d=${d}` });
    const block = await waitWithinHashes(
      async () => {
        btcd.process.assertRunning();
        return (await poolBlocks(pool)).find((b) => b.winner.destination === dest);
      },
      {
        hashes: () => m.stats().hashes,
        hashBudget: sharesHashBudget(1, BLOCK_DIFFICULTY),
        what: "a block won by the SV1 miner",
      },
    );
    t.deepEqual(block.winner, { destination: dest, nodeId: NODE.nodeId, worker: "rig1" });
    await waitFor(async () => (await btcd.rpc.getBlockCount()) > heightBefore, {
      what: "btcd height up",
      timeoutMs: 30_000,
    });
    t.is((await btcd.rpc.getBlock(block.blockHash)).hash, block.blockHash);
    const logged = (await poolStats(pool)).allTime.miners.find((m) => m.destination === dest);
    t.is(logged?.nodeId, NODE.nodeId);
    t.true((logged?.count ?? 0) >= 1);
    t.true(translator.stats().upstreamConnected);
  },
);

test.serial(
  "BIP310: version rolling negotiated by mining.configure gives shares the pool accepts; bits outside the mask are refused",
  async (t) => {
    t.timeout(LONG);
    const { pool } = t.context.stack;
    const dest = regtestAddress(2);
    const { translator, miner } = await withTranslator(t, translatorConfig(pool));
    const window = await staleWindow(t.context.stack.btcd);
    const d = await pacedDifficulty(1, 0.25);
    const m = await miner({
      user: `${dest}.roller`,
      password: `d=${d}`,
      versionRolling: true,
      nonceWindow: 256,
    });
    const before = (await poolStats(pool)).allTime.miners.find((x) => x.destination === dest)?.count ?? 0;
    await waitWithinHashes(() => m.stats().acceptedRolled >= 20, {
      hashes: () => m.stats().hashes,
      // Nearly every share is rolled (a fresh version every 256 nonces); the first window is not.
      hashBudget: sharesHashBudget(21, d),
      what: "20 rolled shares accepted",
    });
    await waitWithinHashes(
      async () =>
        ((await poolStats(pool)).allTime.miners.find((x) => x.destination === dest)?.count ?? 0) >=
        before + 3,
      {
        hashes: () => m.stats().hashes,
        hashBudget: sharesHashBudget(3, POOL_SHARE_DIFFICULTY),
        what: "rolled shares in the pool's share log",
      },
    );
    t.is(m.stats().versionMask, 0x1fffe000);
    await assertStaleExplained(t, t.context.stack.btcd, window, { roller: m });

    const raw = await rawSv1Client(translator.host, translator.port);
    t.teardown(() => raw.close());
    raw.request(1, "mining.configure", [["version-rolling"], { "version-rolling.mask": "1fffe000" }]);
    raw.request(2, "mining.subscribe", ["raw/1"]);
    raw.request(3, "mining.authorize", [`${dest}.raw`, "x"]);
    t.is(((await raw.response(1)).result as Record<string, unknown>)["version-rolling.mask"], "1fffe000");
    t.is((await raw.response(3)).result, true);
    const notify = await raw.notification("mining.notify");
    const [jobId, , , , , , , ntime] = notify.params as string[];
    raw.request(4, "mining.submit", [`${dest}.raw`, jobId, "00000000", ntime, "00000000", "00001000"]);
    const refused = await raw.response(4);
    t.is((refused.error as unknown[])[0], 20);
    t.regex(String((refused.error as unknown[])[1]), /outside the negotiated mask/);
  },
);

test.serial(
  "two SV1 miners on one translator get disjoint extranonce1 and never produce a duplicate",
  async (t) => {
    t.timeout(LONG);
    const { pool, btcd } = t.context.stack;
    const { miner } = await withTranslator(t, translatorConfig(pool));
    const window = await staleWindow(btcd);
    const d = await pacedDifficulty(2, 0.5);
    const a = await miner({ user: `${regtestAddress(3)}.a`, password: `d=${d}`, versionRolling: false });
    const b = await miner({ user: `${regtestAddress(4)}.b`, password: `d=${d}`, versionRolling: false });
    await Promise.all([
      acceptedShares(a, 30, d, "30 accepted shares of a"),
      acceptedShares(b, 30, d, "30 accepted shares of b"),
    ]);
    t.not(a.stats().extranonce1, null);
    t.not(a.stats().extranonce1, b.stats().extranonce1);
    const hashesA = new Set(a.stats().acceptedHashes);
    t.false(b.stats().acceptedHashes.some((h) => hashesA.has(h)));
    await assertStaleExplained(t, btcd, window, { a, b });
  },
);

test.serial(
  "pool restart: the translator reconnects and miners keep working without reconnecting",
  async (t) => {
    t.timeout(LONG);
    const { stack } = t.context;
    const port = await freePort();
    const first = await stack.startPool({ port, dbName: "restart.sqlite" });
    const { translator, miner } = await withTranslator(t, translatorConfig(first));
    const d = await pacedDifficulty(1, 0.5);
    const m = await miner({ user: `${regtestAddress(5)}.survivor`, password: `d=${d}` });
    await acceptedShares(m, 5, d, "shares before the restart");
    await first.stop();
    await waitFor(() => !translator.stats().upstreamConnected, {
      what: "translator sees the pool gone",
      timeoutMs: 30_000,
    });
    const second = await stack.startPool({ port, dbName: "restart.sqlite" });
    await waitFor(() => translator.stats().upstreamConnects >= 2 && translator.stats().upstreamConnected, {
      what: "translator reconnected",
      timeoutMs: 60_000,
    });
    // Until the reopened channel's first job the miner hashes dead work: that wait is protocol
    // latency, not hashing, so only the shares after it are budgeted in hashes.
    const jobs = m.stats().jobs;
    await waitFor(() => m.stats().jobs > jobs, { what: "a job from the restarted pool", timeoutMs: 60_000 });
    await acceptedShares(m, m.stats().accepted + 5, d, "accepted shares after the restart");
    t.true(m.stats().connected);
    t.is(translator.stats().miners, 1);
    const logged = await waitWithinHashes(
      async () => (await poolStats(second)).allTime.miners.find((x) => x.destination === regtestAddress(5)),
      {
        hashes: () => m.stats().hashes,
        hashBudget: sharesHashBudget(1, POOL_SHARE_DIFFICULTY),
        what: "shares in the restarted pool's log",
      },
    );
    t.true(logged.count >= 1);
  },
);

/**
 * The idle timeout applies to every connection, the good miner's too: it was 2 s here with the
 * miner at the translator's vardiff difficulty, so a loaded machine (or vardiff raising the
 * difficulty) left gaps over 2 s between its shares and the translator dropped it as idle
 * ("good miner working" then never came). Now the good miner's difficulty is pinned from the
 * measured hash rate to a share every IDLE_MS/20 on average: a gap of IDLE_MS has probability
 * e⁻²⁰ per share.
 */
const IDLE_MS = 5_000;

test.serial(
  "bad input: non-JSON, unknown methods, oversized lines, unknown jobs, silent clients; others unaffected",
  async (t) => {
    t.timeout(LONG);
    const { pool, btcd } = t.context.stack;
    const { translator, miner } = await withTranslator(
      t,
      translatorConfig(pool, { idleTimeoutMs: IDLE_MS, maxLineBytes: 1_024 }),
    );
    const window = await staleWindow(btcd);
    const d = await pacedDifficulty(1, IDLE_MS / 1000 / 20);
    const good = await miner({ user: `${regtestAddress(6)}.good`, password: `d=${d}` });
    await acceptedShares(good, 3, d, "good miner working");
    const clients: RawSv1Client[] = [];
    t.teardown(() => {
      for (const c of clients) c.close();
    });
    const open = async () => {
      const c = await rawSv1Client(translator.host, translator.port);
      clients.push(c);
      return c;
    };
    const silent = await open();
    const before = good.stats().accepted;

    const noisy = await open();
    noisy.send("this is not json\n");
    await waitFor(() => noisy.received[0], { what: "parse error", timeoutMs: 10_000 });
    t.is((noisy.received[0]!.error as unknown[])[0], -32700);
    noisy.request(2, "mining.frobnicate", []);
    t.is(((await noisy.response(2)).error as unknown[])[0], -32601);
    noisy.request(3, "mining.subscribe", []);
    noisy.request(4, "mining.authorize", [`${regtestAddress(7)}.noisy`, "d=0.001"]);
    t.is((await noisy.response(4)).result, true);
    noisy.request(5, "mining.submit", [
      `${regtestAddress(7)}.noisy`,
      "ffffff",
      "00000000",
      "65000000",
      "00000000",
    ]);
    t.is(((await noisy.response(5)).error as unknown[])[0], 21);
    t.is((await noisy.notification("mining.set_difficulty")).params?.[0], 2 ** -10);

    const big = await open();
    big.send("x".repeat(5_000));
    await waitFor(() => big.closed(), { what: "oversized line closes the connection", timeoutMs: 10_000 });
    t.is((big.received[0]?.error as unknown[] | undefined)?.[0], -32600);

    await waitFor(() => silent.closed(), {
      what: "idle client disconnected",
      timeoutMs: 4 * IDLE_MS + 10_000,
    });
    await waitWithinHashes(() => good.stats().accepted >= before + 3, {
      hashes: () => good.stats().hashes,
      hashBudget: sharesHashBudget(3, d),
      what: "good miner still accepted",
    });
    t.true(good.stats().connected);
    await assertStaleExplained(t, btcd, window, { good });
  },
);

test.serial(
  "aggregated mode: one channel for the translator, miners split its extranonce space",
  async (t) => {
    t.timeout(LONG);
    const { pool, btcd } = t.context.stack;
    const owner = regtestAddress(8);
    const { translator, miner } = await withTranslator(
      t,
      translatorConfig(pool, { channelMode: "aggregated", aggregatedIdentity: `${owner}.translator` }),
    );
    // A miner that authorizes before the aggregate channel is open waits for it (it was refused
    // with "upstream unavailable" when it came in the moment after start or a pool reconnect).
    const early = await rawSv1Client(translator.host, translator.port);
    t.teardown(() => early.close());
    early.request(1, "mining.subscribe", ["early/1"]);
    early.request(2, "mining.authorize", [`${regtestAddress(11)}.early`, "x"]);
    t.deepEqual(await early.response(2), { id: 2, result: true, error: null });
    const window = await staleWindow(btcd);
    const d = await pacedDifficulty(2, 0.5);
    const a = await miner({ user: `${regtestAddress(9)}.a`, password: `d=${d}` });
    const b = await miner({ user: `${regtestAddress(10)}.b`, password: `d=${d}` });
    await Promise.all([
      acceptedShares(a, 10, d, "a accepted through one channel"),
      acceptedShares(b, 10, d, "b accepted through one channel"),
    ]);
    t.not(a.stats().extranonce1, b.stats().extranonce1);
    const logged = await waitWithinHashes(
      async () => (await poolStats(pool)).allTime.miners.find((x) => x.destination === owner && x.count >= 2),
      {
        hashes: hashesOf([a, b]),
        hashBudget: sharesHashBudget(2, POOL_SHARE_DIFFICULTY),
        what: "aggregated shares logged under the translator's identity",
      },
    );
    t.is(logged.nodeId, NODE.nodeId);
    const stats = await poolStats(pool);
    t.false(stats.allTime.miners.some((x) => x.destination === regtestAddress(9)));
    await assertStaleExplained(t, btcd, window, { a, b });
  },
);
