/**
 * hh-pool's share path against the real stack (btcd → hh-tp → hh-pool): acknowledgements only
 * after the share log committed, blocks handed to hh-tp and landing on btcd, every rejection
 * answered with its SubmitShares.Error code and counted, and a block that misses the channel
 * target (ARCHITECTURE.md "Who a share belongs to"). Serial: tests move btcd's tip.
 */
import {
  addressToScriptPubKey,
  difficultyToTarget,
  fromHex,
  parseTransaction,
  subsidy,
  toHex,
  work,
} from "@hyperhash/bitcoin";
import { waitFor } from "@hyperhash/devnet";
import type { Sv2Message } from "@hyperhash/sv2";
import anyTest, { type TestFn } from "ava";
import Database from "better-sqlite3";
import { startSv2Miner } from "../../src/miner/sv2-miner.ts";
import type { BlockFoundEvent } from "../../src/store.ts";
import {
  api,
  findNonce,
  headerValue,
  MINER_A,
  MINER_B,
  metric,
  startTestPool,
  TEST_DIFFICULTY,
  TREASURY,
  testBlockTarget,
} from "../helpers/pool-fixture.ts";
import { type RealStack, useRealStack } from "../helpers/real-stack.ts";

const test = anyTest as TestFn<RealStack>;
useRealStack(test, "shares");

const HASHRATE = (4_295_032_833 * TEST_DIFFICULTY * 600) / 60; // 600 shares/min at TEST_DIFFICULTY

const outbox = async (pool: Parameters<typeof api>[0]) =>
  (await api<{ events: BlockFoundEvent[] }>(pool, "/api/v1/outbox?after=0")).events;

test.serial(
  "§5.3.13 every SubmitShares.Success comes after its share is in the log; blocks go to hh-tp with the treasury coinbase, land on btcd and close windows in the outbox",
  async (t) => {
    const { btcd, tpAddress } = t.context;
    const { pool, dbPath } = await startTestPool(t, tpAddress, { blockTarget: testBlockTarget(40) });
    const db = new Database(dbPath, { readonly: true });
    t.teardown(() => db.close());
    const logged = db.prepare(
      "SELECT COUNT(*) AS n FROM shares WHERE channel_id = ? AND sequence_number = ?",
    );
    let acksChecked = 0;
    const ackedBeforeLogged: string[] = [];
    // Runs as the Success arrives, before the miner acts on it: the share must be durable already.
    const checkAck = (m: Sv2Message) => {
      if (m.type !== "SubmitShares.Success") return;
      acksChecked++;
      if ((logged.get(m.channelId, m.lastSequenceNumber) as { n: number }).n !== 1)
        ackedBeforeLogged.push(`${m.channelId}/${m.lastSequenceNumber}`);
    };
    const common = {
      host: "127.0.0.1",
      port: pool.port,
      authorityPublicKey: pool.authorityPublicKey,
      nominalHashRate: HASHRATE,
      onMessage: checkAck,
    };
    const a = await startSv2Miner({ ...common, channel: "standard", userIdentity: `${MINER_A}.std` });
    t.teardown(() => a.stop());
    const b = await startSv2Miner({ ...common, channel: "extended", userIdentity: `${MINER_B}.ext` });
    t.teardown(() => b.stop());
    const events = await waitFor(async () => ((await outbox(pool)).length >= 2 ? outbox(pool) : undefined), {
      what: "two blocks in the outbox",
      timeoutMs: 150_000,
      intervalMs: 250,
      watch: [btcd.process],
    });
    t.true(acksChecked > 0);
    t.deepEqual(ackedBeforeLogged, [], "no share acknowledged before its commit");
    const [first, second] = events as [BlockFoundEvent, BlockFoundEvent];
    t.is(first.seq, 1);
    t.is(first.type, "block-found");
    t.is(first.previousBlockHash, null);
    t.is(second.previousBlockHash, first.blockHash);
    t.is(second.height, first.height + 1);
    for (const event of [first, second]) {
      // hh-tp submitted it and btcd took it: the block is on btcd's chain at that height.
      const block = await waitFor(() => btcd.rpc.getBlock(event.blockHash), {
        what: `block ${event.blockHash} on btcd`,
        timeoutMs: 30_000,
        watch: [btcd.process],
      });
      t.is(block.height, event.height);
      t.true(block.confirmations >= 1, "on the main chain");
      const cbId = block.tx[0]!;
      const raw = await btcd.rpc.getRawTransaction(typeof cbId === "string" ? cbId : cbId.txid);
      const coinbase = parseTransaction(fromHex(raw.hex));
      t.is(toHex(coinbase.outputs[0]!.scriptPubKey), toHex(addressToScriptPubKey(TREASURY, "regtest")));
      t.is(coinbase.outputs[0]!.value, BigInt(event.coinbaseValueSats));
      t.is(coinbase.inputs[0]!.witness.length, 1, "SubmitSolution carries the coinbase witness");
      t.is(BigInt(event.subsidySats), subsidy(event.height, "regtest"));
      t.is(BigInt(event.subsidySats) + BigInt(event.feesSats), BigInt(event.coinbaseValueSats));
      t.true([MINER_A, MINER_B].includes(event.winner.destination));
      t.true(event.shares.every((s) => BigInt(s.work) > 0n && s.count > 0 && s.nodeId === null));
    }
    // Every share a miner saw acknowledged is in the log, once.
    const has = db.prepare("SELECT COUNT(*) AS n FROM shares WHERE hash = ?");
    const acked = [...a.stats().acknowledged, ...b.stats().acknowledged];
    t.true(acked.length > 0);
    for (const share of acked) t.is((has.get(share.hashHex) as { n: number }).n, 1, share.hashHex);
    t.true((await metric(pool, "hyperhash_pool_shares_accepted_total", `channel_kind="standard"`)) > 0);
    t.true((await metric(pool, "hyperhash_pool_shares_accepted_total", `channel_kind="extended"`)) > 0);
    t.true((await metric(pool, "hyperhash_pool_blocks_found_total")) >= 2);
    t.is((await api<{ channels: number }>(pool, "/api/v1/stats")).channels, 2);
  },
);

test.serial(
  "§5.3.14 rejections: stale job, duplicate, ntime too low and too far ahead, non-rollable version bit, low difficulty, bad extranonce size, unknown channel and job — each code answered and counted in /metrics",
  async (t) => {
    const { btcd, tpAddress } = t.context;
    const { pool } = await startTestPool(t, tpAddress, { blockTarget: 1n });
    const miner = await startSv2Miner({
      host: "127.0.0.1",
      port: pool.port,
      authorityPublicKey: pool.authorityPublicKey,
      userIdentity: MINER_A,
      channel: "extended",
      nominalHashRate: HASHRATE,
      autoMine: false,
    });
    t.teardown(() => miner.stop());
    const w = await waitFor(() => miner.work() ?? undefined, { what: "a job", timeoutMs: 30_000 });
    const extranonce = new Uint8Array(w.extranonceSize);
    const ntime = w.minNtime + 1;
    const good = findNonce(w, ntime, extranonce, true);
    const share = { jobId: w.jobId, nonce: good, ntime, version: w.version, extranonce };
    const rejected = (code: string) => ({ ok: false, code });
    t.deepEqual(await miner.submit(share), { ok: true });
    t.deepEqual(await miner.submit(share), rejected("duplicate-share"));
    const low = findNonce(w, ntime, extranonce, false);
    t.deepEqual(await miner.submit({ ...share, nonce: low }), rejected("difficulty-too-low"));
    t.deepEqual(await miner.submit({ ...share, ntime: w.minNtime - 1 }), rejected("invalid-share"));
    const future = Math.floor(Date.now() / 1000) + 7200 + 600;
    t.deepEqual(await miner.submit({ ...share, ntime: future }), rejected("invalid-share"));
    t.deepEqual(await miner.submit({ ...share, version: w.version ^ 1 }), rejected("invalid-share"));
    t.deepEqual(await miner.submit({ ...share, channelId: 999_999 }), rejected("invalid-channel-id"));
    t.deepEqual(await miner.submit({ ...share, jobId: 0xfff_fff0 }), rejected("invalid-job-id"));
    t.deepEqual(
      await miner.submit({ ...share, extranonce: new Uint8Array(2) }),
      rejected("bad-extranonce-size"),
    );
    // btcd mines a block: hh-tp sends the new tip and the job of the old one is stale.
    const oldTip = toHex(w.prevHash);
    await btcd.mine(1);
    await waitFor(() => (miner.work() && toHex(miner.work()!.prevHash) !== oldTip) || undefined, {
      what: "the new tip from hh-tp",
      timeoutMs: 30_000,
      watch: [btcd.process],
    });
    const staleNonce = findNonce(
      w,
      ntime,
      extranonce,
      true,
      headerValue(w, good, ntime, w.version, extranonce),
    );
    t.deepEqual(await miner.submit({ ...share, nonce: staleNonce }), rejected("stale-share"));
    const count = (reason: string) =>
      metric(pool, "hyperhash_pool_shares_rejected_total", `reason="${reason}"`);
    t.is(await count("duplicate-share"), 1);
    t.is(await count("difficulty-too-low"), 1);
    t.is(await count("ntime-out-of-range"), 2);
    t.is(await count("invalid-non-rollable-version-bit"), 1);
    t.is(await count("invalid-channel-id"), 1);
    t.is(await count("invalid-job-id"), 1);
    t.is(await count("bad-extranonce-size"), 1);
    t.is(await count("stale-share"), 1);
    t.is(await metric(pool, "hyperhash_pool_shares_accepted_total", `channel_kind="extended"`), 1);
  },
);

test.serial(
  "ARCHITECTURE 'Who a share belongs to': a submission missing the channel target but meeting the block target is an accepted share and a block, weighed by the channel target's work",
  async (t) => {
    const { btcd, tpAddress } = t.context;
    const channelTarget = difficultyToTarget(2 ** -8);
    const blockTarget = difficultyToTarget(2 ** -16); // 256× easier than the channel target
    const { pool } = await startTestPool(t, tpAddress, { blockTarget });
    const miner = await startSv2Miner({
      host: "127.0.0.1",
      port: pool.port,
      authorityPublicKey: pool.authorityPublicKey,
      userIdentity: `${MINER_B}.big`,
      channel: "extended",
      nominalHashRate: 1, // the lowest difficulty, raised to what max_target allows
      maxTarget: channelTarget,
      autoMine: false,
    });
    t.teardown(() => miner.stop());
    const w = await waitFor(() => miner.work() ?? undefined, { what: "a job", timeoutMs: 30_000 });
    t.is(w.target, channelTarget);
    const extranonce = new Uint8Array(w.extranonceSize);
    const ntime = w.minNtime + 1;
    let miss: number | null = null;
    let block: number | null = null;
    for (let nonce = 0; block === null; nonce++) {
      const value = headerValue(w, nonce, ntime, w.version, extranonce);
      if (value > blockTarget) miss ??= nonce;
      else if (value > channelTarget) block = nonce;
    }
    const share = { jobId: w.jobId, ntime, version: w.version, extranonce };
    t.deepEqual(await miner.submit({ ...share, nonce: miss! }), { ok: false, code: "difficulty-too-low" });
    t.deepEqual(await miner.submit({ ...share, nonce: block }), { ok: true });
    const [event] = await waitFor(async () => ((await outbox(pool)).length > 0 ? outbox(pool) : undefined), {
      what: "the block in the outbox",
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await btcd.rpc.getBestBlockHash()) === event!.blockHash, {
      what: "btcd's tip to be the pool's block",
      timeoutMs: 30_000,
      watch: [btcd.process],
    });
    t.like(event!.winner, { destination: MINER_B, worker: "big" });
    t.deepEqual(event!.shares, [
      { destination: MINER_B, nodeId: null, work: work(channelTarget).toString(), count: 1 },
    ]);
    t.is(await metric(pool, "hyperhash_pool_shares_accepted_total", `channel_kind="extended"`), 1);
    t.is(await metric(pool, "hyperhash_pool_blocks_found_total"), 1);
    t.is(await metric(pool, "hyperhash_pool_shares_rejected_total", `reason="difficulty-too-low"`), 1);
  },
);
