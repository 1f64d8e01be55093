/**
 * The pool over real sockets against a stand-in template provider (no btcd): setup and
 * identity rules, acknowledgements after commit, block hand-off, rejections by code and
 * malformed input. The same paths against real hh-tp + btcd are in test/integration.
 */
import { connect } from "node:net";
import { addressToScriptPubKey, parseTransaction, toHex } from "@hyperhash/bitcoin";
import { waitFor } from "@hyperhash/devnet";
import { encodeMessage, MINING_SETUP_FLAGS } from "@hyperhash/sv2";
import { connectInitiator } from "@hyperhash/sv2/connection";
import test from "ava";
import Database from "better-sqlite3";
import { startSv2Miner } from "../../src/miner/sv2-miner.ts";
import type { BlockFoundEvent } from "../../src/store.ts";
import { startFakeTemplateProvider } from "../helpers/fake-template-provider.ts";
import {
  api,
  findNonce,
  MINER_A,
  MINER_B,
  metric,
  startTestPool,
  TEST_DIFFICULTY,
  TREASURY,
  testBlockTarget,
} from "../helpers/pool-fixture.ts";

const HASHRATE = (4_295_032_833 * TEST_DIFFICULTY * 600) / 60; // 600 shares/min at TEST_DIFFICULTY

async function fakeTp(t: import("ava").ExecutionContext) {
  const tp = await startFakeTemplateProvider();
  t.teardown(() => tp.stop());
  return tp;
}

test("§5.3.1 SetupConnection: REQUIRES_WORK_SELECTION is refused; version rolling and standard jobs are accepted", async (t) => {
  const tp = await fakeTp(t);
  const { pool } = await startTestPool(t, tp);
  const base = {
    host: "127.0.0.1",
    port: pool.port,
    authorityPublicKey: pool.authorityPublicKey,
    userIdentity: MINER_A,
    autoMine: false,
  };
  await t.throwsAsync(
    startSv2Miner({ ...base, channel: "extended", setupFlags: MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION }),
    {
      message: /unsupported-feature-flags/,
    },
  );
  for (const [channel, flags] of [
    ["extended", 0b110 & ~2],
    ["standard", 0b1],
  ] as const) {
    const miner = await startSv2Miner({ ...base, channel, setupFlags: flags });
    t.teardown(() => miner.stop());
    t.not(miner.stats().channelId, null);
  }
});

test("user identity: bad destinations are refused with a reason; <node id>/… needs the node's credential in device_id", async (t) => {
  const tp = await fakeTp(t);
  const { pool } = await startTestPool(t, tp, {
    nodes: [{ nodeId: "node1", credential: "s3cret-credential" }],
  });
  const base = {
    host: "127.0.0.1",
    port: pool.port,
    authorityPublicKey: pool.authorityPublicKey,
    channel: "extended" as const,
    autoMine: false,
  };
  await t.throwsAsync(startSv2Miner({ ...base, userIdentity: "not-an-address.w1" }), {
    message: /invalid-destination/,
  });
  await t.throwsAsync(
    startSv2Miner({ ...base, userIdentity: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" }),
    {
      message: /invalid-destination/,
    },
  );
  await t.throwsAsync(startSv2Miner({ ...base, userIdentity: `node1/${MINER_A}.rig` }), {
    message: /unauthorized-node/,
  });
  await t.throwsAsync(
    startSv2Miner({ ...base, deviceId: "node1:wrong-credential", userIdentity: `node1/${MINER_A}` }),
    {
      message: /invalid-node-credential/,
    },
  );
  const bound = await startSv2Miner({
    ...base,
    deviceId: "node1:s3cret-credential",
    userIdentity: `node1/${MINER_A}.rig`,
  });
  t.teardown(() => bound.stop());
  await t.throwsAsync(
    startSv2Miner({ ...base, deviceId: "node1:s3cret-credential", userIdentity: `node2/${MINER_A}` }),
    {
      message: /unauthorized-node/,
    },
  );
  const lightning = await startSv2Miner({ ...base, userIdentity: `02${"ab".repeat(32)}.w` });
  t.teardown(() => lightning.stop());
  t.truthy(bound.stats().channelId);
  t.truthy(lightning.stats().channelId);
});

test("§5.3.13 accepted shares are acknowledged only once logged; a block goes to the TP with the treasury coinbase and closes the window in the outbox", async (t) => {
  const tp = await fakeTp(t);
  const { pool, dbPath } = await startTestPool(t, tp, { blockTarget: testBlockTarget(40) });
  const common = {
    host: "127.0.0.1",
    port: pool.port,
    authorityPublicKey: pool.authorityPublicKey,
    nominalHashRate: HASHRATE,
  };
  const a = await startSv2Miner({ ...common, channel: "standard", userIdentity: `${MINER_A}.std` });
  t.teardown(() => a.stop());
  const b = await startSv2Miner({ ...common, channel: "extended", userIdentity: `${MINER_B}.ext` });
  t.teardown(() => b.stop());
  const events = await waitFor(
    async () => {
      const r = await api<{ events: BlockFoundEvent[] }>(pool, "/api/v1/outbox?after=0");
      return r.events.length >= 2 ? r.events : undefined;
    },
    { what: "two blocks in the outbox", timeoutMs: 120_000, intervalMs: 250 },
  );
  t.true(tp.solutions.length >= 2);
  const coinbase = parseTransaction(tp.solutions[0]!.coinbaseTx);
  t.is(toHex(coinbase.outputs[0]!.scriptPubKey), toHex(addressToScriptPubKey(TREASURY, "regtest")));
  t.is(coinbase.outputs[0]!.value, 625_000_000n + 1000n);
  t.is(coinbase.inputs[0]!.witness.length, 1, "SubmitSolution carries the coinbase witness");
  const first = events[0]!;
  t.is(first.seq, 1);
  t.is(first.type, "block-found");
  t.is(first.height, 500);
  t.is(events[1]!.height, 501);
  t.is(first.subsidySats, "625000000");
  t.is(first.feesSats, "1000");
  t.is(first.coinbaseValueSats, "625001000");
  t.is(first.previousBlockHash, null);
  t.is(events[1]!.previousBlockHash, first.blockHash);
  t.true([MINER_A, MINER_B].includes(first.winner.destination));
  t.true(first.shares.every((s) => BigInt(s.work) > 0n && s.count > 0 && s.nodeId === null));
  // Every share a miner saw acknowledged is in the log.
  const db = new Database(dbPath, { readonly: true });
  t.teardown(() => db.close());
  const has = db.prepare("SELECT 1 FROM shares WHERE hash = ?");
  const acked = [...a.stats().acknowledged, ...b.stats().acknowledged];
  t.true(acked.length > 0);
  for (const share of acked) t.truthy(has.get(share.hashHex), share.hashHex);
  const accepted = await metric(pool, "hyperhash_pool_shares_accepted_total", `channel_kind="standard"`);
  t.true(accepted > 0);
  t.true((await metric(pool, "hyperhash_pool_blocks_found_total")) >= 2);
  const stats = await api<{ channels: number; window: { miners: unknown[] } }>(pool, "/api/v1/stats");
  t.is(stats.channels, 2);
});

test("§5.3.14 rejections: stale job, duplicate, bad ntime, low difficulty, unknown channel and job — each code answered and counted", async (t) => {
  const tp = await fakeTp(t);
  const { pool } = await startTestPool(t, tp, { blockTarget: 1n });
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
  t.deepEqual(await miner.submit(share), { ok: true });
  t.deepEqual(await miner.submit(share), { ok: false, code: "duplicate-share" });
  const low = findNonce(w, ntime, extranonce, false);
  t.deepEqual(await miner.submit({ ...share, nonce: low }), { ok: false, code: "difficulty-too-low" });
  t.deepEqual(await miner.submit({ ...share, ntime: w.minNtime - 1 }), { ok: false, code: "invalid-share" });
  const future = Math.floor(Date.now() / 1000) + 7200 + 600;
  t.deepEqual(await miner.submit({ ...share, ntime: future }), { ok: false, code: "invalid-share" });
  t.deepEqual(await miner.submit({ ...share, channelId: 999_999 }), {
    ok: false,
    code: "invalid-channel-id",
  });
  t.deepEqual(await miner.submit({ ...share, jobId: 0xfff_fff0 }), { ok: false, code: "invalid-job-id" });
  t.deepEqual(await miner.submit({ ...share, extranonce: new Uint8Array(2) }), {
    ok: false,
    code: "bad-extranonce-size",
  });
  const oldJob = w.jobId;
  await tp.newTip();
  await waitFor(() => miner.work()?.jobId !== oldJob, { what: "the new tip", timeoutMs: 30_000 });
  const staleNonce = findNonce(w, ntime, extranonce, true, 0n);
  t.deepEqual(await miner.submit({ ...share, nonce: staleNonce === good ? staleNonce + 1 : staleNonce }), {
    ok: false,
    code: "stale-share",
  });
  const count = (reason: string) =>
    metric(pool, "hyperhash_pool_shares_rejected_total", `reason="${reason}"`);
  t.is(await count("duplicate-share"), 1);
  t.is(await count("difficulty-too-low"), 1);
  t.is(await count("ntime-out-of-range"), 2);
  t.is(await count("invalid-channel-id"), 1);
  t.is(await count("invalid-job-id"), 1);
  t.is(await count("bad-extranonce-size"), 1);
  t.is(await count("stale-share"), 1);
});

test("malformed frames, oversized messages and handshake garbage close only the offending connection", async (t) => {
  const tp = await fakeTp(t);
  const { pool } = await startTestPool(t, tp, { blockTarget: 1n });
  const miner = await startSv2Miner({
    host: "127.0.0.1",
    port: pool.port,
    authorityPublicKey: pool.authorityPublicKey,
    userIdentity: MINER_A,
    channel: "extended",
    nominalHashRate: HASHRATE,
  });
  t.teardown(() => miner.stop());
  await waitFor(() => miner.stats().accepted > 0, { what: "first acknowledged share", timeoutMs: 60_000 });

  const raw = async () => {
    const socket = connect({ host: "127.0.0.1", port: pool.port });
    await new Promise((resolve) => socket.once("connect", resolve));
    return socket;
  };
  // Handshake garbage: 64 bytes of act 1 then junk where act 3 transport frames should be.
  const garbage = await raw();
  garbage.resume(); // read what the pool sends (act 2) so the close is seen
  garbage.write(new Uint8Array(64).fill(7));
  garbage.write(new Uint8Array(500).fill(9));
  await new Promise((resolve) => garbage.once("close", resolve));

  const session = async () => {
    const conn = await connectInitiator(await raw(), {
      handshakeTimeoutMs: 5000,
      maxPayload: 1 << 20,
      authorityPublicKey: pool.authorityPublicKey,
    });
    return conn;
  };
  // Oversized: a frame far beyond the pool's 16 KiB limit.
  const big = await session();
  await big.send({
    header: { extensionType: 0, channelMsg: false, msgType: 0x10, msgLength: 100_000 },
    payload: new Uint8Array(100_000),
  });
  await big.closed; // null or a reset: either way the pool closed it
  // Malformed: a SubmitSharesStandard cut short.
  const bad = await session();
  const setup = encodeMessage({
    type: "SetupConnection",
    protocol: 0,
    minVersion: 2,
    maxVersion: 2,
    flags: 0,
    endpointHost: "",
    endpointPort: 0,
    vendor: "",
    hardwareVersion: "",
    firmware: "",
    deviceId: "",
  });
  await bad.send(setup);
  await bad.send({
    header: { extensionType: 0, channelMsg: true, msgType: 0x1a, msgLength: 5 },
    payload: new Uint8Array(5),
  });
  await bad.closed;
  // A message before SetupConnection is a protocol violation.
  const early = await session();
  await early.send(encodeMessage({ type: "CloseChannel", channelId: 1, reasonCode: "" }));
  await early.closed;

  const before = miner.stats().accepted;
  await waitFor(() => miner.stats().accepted > before + 3, {
    what: "the good miner to keep going",
    timeoutMs: 60_000,
  });
  t.is((await api<{ connections: number }>(pool, "/api/v1/stats")).connections, 1);
});
