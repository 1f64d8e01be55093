/**
 * hh-pool's connection rules against the real stack (btcd → hh-tp → hh-pool): SetupConnection
 * flags (§5.3.1), user identities and node binding, /readyz before and after the first
 * template, and hostile input closing only the offending connection.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { freePort, waitFor } from "@hyperhash/devnet";
import { encodeMessage, MINING_SETUP_FLAGS, xOnlyPublicKey } from "@hyperhash/sv2";
import { connectInitiator } from "@hyperhash/sv2/connection";
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import { startSv2Miner } from "../../src/miner/sv2-miner.ts";
import type { RunningPool } from "../../src/pool.ts";
import { api, MINER_A, metric, startTestPool, TEST_DIFFICULTY } from "../helpers/pool-fixture.ts";
import { type RealStack, useRealStack } from "../helpers/real-stack.ts";
import { connectRawClient } from "../helpers/sv2-client.ts";

const test = anyTest as TestFn<RealStack>;
useRealStack(test, "connection");

const HASHRATE = (4_295_032_833 * TEST_DIFFICULTY * 600) / 60; // 600 shares/min at TEST_DIFFICULTY

async function readyPool(
  t: ExecutionContext<RealStack>,
  overrides: Parameters<typeof startTestPool>[2] = {},
) {
  const { pool } = await startTestPool(t, t.context.tpAddress, overrides);
  await waitFor(() => pool.ready, { what: "a template and tip from hh-tp", timeoutMs: 60_000 });
  return pool;
}

const minerBase = (pool: RunningPool) => ({
  host: "127.0.0.1",
  port: pool.port,
  authorityPublicKey: pool.authorityPublicKey,
  autoMine: false,
});

test("§5.3.1 SetupConnection: REQUIRES_WORK_SELECTION is refused with its flag; version rolling and standard jobs are accepted", async (t) => {
  const pool = await readyPool(t);
  const workSelection = MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION;
  // The error names exactly the unsupported flag, also when others come with it.
  for (const flags of [workSelection, workSelection | MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING]) {
    await t.throwsAsync(connectRawClient(pool, { flags }), {
      message: new RegExp(`unsupported-feature-flags, flags ${workSelection}$`),
    });
  }
  for (const [channel, flags] of [
    ["extended", MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING],
    ["standard", MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS],
  ] as const) {
    const miner = await startSv2Miner({
      ...minerBase(pool),
      userIdentity: MINER_A,
      channel,
      setupFlags: flags,
    });
    t.teardown(() => miner.stop());
    t.not(miner.stats().channelId, null);
    // The real template reaches the channel as a job and a tip.
    await waitFor(() => miner.work() ?? undefined, { what: `a ${channel} job`, timeoutMs: 30_000 });
  }
});

test("user identity: bad destinations are refused with a reason; <node id>/… needs the node's credential in device_id (invalid-node-credential, unauthorized-node)", async (t) => {
  const pool = await readyPool(t, {
    nodes: [{ nodeId: "hn_aaaaaaaaaaaaaaaa", credential: "s3cret-credential" }],
  });
  const base = { ...minerBase(pool), channel: "extended" as const };
  const refused = async (userIdentity: string, code: RegExp, deviceId?: string) =>
    t.throwsAsync(startSv2Miner({ ...base, userIdentity, ...(deviceId ? { deviceId } : {}) }), {
      message: code,
    });
  await refused("not-an-address.w1", /invalid-destination/);
  // A mainnet address on a regtest pool.
  await refused("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", /invalid-destination/);
  await refused(`hn_aaaaaaaaaaaaaaaa/${MINER_A}.rig`, /unauthorized-node/);
  await refused(
    `hn_aaaaaaaaaaaaaaaa/${MINER_A}`,
    /invalid-node-credential/,
    "hn_aaaaaaaaaaaaaaaa:wrong-credential",
  );
  await refused(
    `hn_bbbbbbbbbbbbbbbb/${MINER_A}`,
    /unauthorized-node/,
    "hn_aaaaaaaaaaaaaaaa:s3cret-credential",
  );
  const bound = await startSv2Miner({
    ...base,
    deviceId: "hn_aaaaaaaaaaaaaaaa:s3cret-credential",
    userIdentity: `hn_aaaaaaaaaaaaaaaa/${MINER_A}.rig`,
  });
  t.teardown(() => bound.stop());
  const lightning = await startSv2Miner({ ...base, userIdentity: `02${"ab".repeat(32)}.w` });
  t.teardown(() => lightning.stop());
  t.truthy(bound.stats().channelId);
  t.truthy(lightning.stats().channelId);
  t.is((await api<{ channels: number }>(pool, "/api/v1/stats")).channels, 2);
});

test("/readyz: not ready before the first template and tip from hh-tp, ready after (hh-tp started late)", async (t) => {
  const port = await freePort();
  const authoritySecretKey = randomBytes(32);
  const { pool } = await startTestPool(t, { port, authorityPublicKey: xOnlyPublicKey(authoritySecretKey) });
  const readyz = async () => (await fetch(`http://127.0.0.1:${pool.opsPort}/readyz`)).status;
  t.is(await readyz(), 503);
  t.false(pool.ready);
  t.is(await metric(pool, "hyperhash_pool_templates_total"), 0);
  await t.context.startTemplateProvider({ listenPort: port, authoritySecretKey });
  await waitFor(async () => (await readyz()) === 200, { what: "/readyz to turn 200", timeoutMs: 60_000 });
  t.true(pool.ready);
  t.true((await metric(pool, "hyperhash_pool_templates_total")) >= 1);
  t.is((await fetch(`http://127.0.0.1:${pool.opsPort}/healthz`)).status, 200);
});

test("malformed frames, oversized messages, handshake garbage and messages before SetupConnection close only the offending connection", async (t) => {
  const pool = await readyPool(t, { blockTarget: 1n });
  const miner = await startSv2Miner({
    ...minerBase(pool),
    userIdentity: MINER_A,
    channel: "extended",
    nominalHashRate: HASHRATE,
    autoMine: true,
  });
  t.teardown(() => miner.stop());
  await waitFor(() => miner.stats().accepted > 0, { what: "first acknowledged share", timeoutMs: 60_000 });

  const raw = async () => {
    const socket = connect({ host: "127.0.0.1", port: pool.port });
    await new Promise((resolve) => socket.once("connect", resolve));
    return socket;
  };
  // Handshake garbage: 64 bytes where act 1 goes, then junk where act 3 should be.
  const garbage = await raw();
  garbage.resume(); // read act 2 so the close is seen
  garbage.write(new Uint8Array(64).fill(7));
  garbage.write(new Uint8Array(500).fill(9));
  await new Promise((resolve) => garbage.once("close", resolve));

  const session = async () =>
    connectInitiator(await raw(), {
      handshakeTimeoutMs: 10_000,
      maxPayload: 1 << 20,
      authorityPublicKey: pool.authorityPublicKey,
    });
  // Oversized: a frame far beyond the pool's 16 KiB limit.
  const big = await session();
  await big.send({
    header: { extensionType: 0, channelMsg: false, msgType: 0x10, msgLength: 100_000 },
    payload: new Uint8Array(100_000),
  });
  await big.closed; // null or a reset: either way the pool closed it
  // Malformed: a SubmitSharesStandard cut short, after a good SetupConnection.
  const bad = await connectRawClient(pool);
  await bad.conn.send({
    header: { extensionType: 0, channelMsg: true, msgType: 0x1a, msgLength: 5 },
    payload: new Uint8Array(5),
  });
  await bad.closed;
  // A message before SetupConnection is a protocol violation.
  const early = await session();
  await early.send(encodeMessage({ type: "CloseChannel", channelId: 1, reasonCode: "" }));
  await early.closed;
  // An unknown message type is ignored (§3.4): that connection stays and still opens channels.
  const tolerant = await connectRawClient(pool);
  t.teardown(() => tolerant.close());
  await tolerant.conn.send({
    header: { extensionType: 0, channelMsg: false, msgType: 0x7e, msgLength: 3 },
    payload: new Uint8Array(3),
  });
  t.like(await tolerant.open("extended", { requestId: 7, userIdentity: MINER_A }), {
    type: "OpenExtendedMiningChannel.Success",
    requestId: 7,
  });

  const before = miner.stats().accepted;
  await waitFor(() => miner.stats().accepted > before + 3, {
    what: "the good miner to keep going",
    timeoutMs: 60_000,
  });
  t.is((await api<{ connections: number }>(pool, "/api/v1/stats")).connections, 2);
  t.is(await metric(pool, "hyperhash_pool_connections"), 2);
});
