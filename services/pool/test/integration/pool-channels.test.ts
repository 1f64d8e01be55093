/**
 * hh-pool's channel lifecycle against the real stack (btcd → hh-tp → hh-pool): UpdateChannel
 * (§5.3.7–5.3.8), CloseChannel (§5.3.9), vardiff on a live channel, and extranonce prefixes
 * that never collide across channels and connections.
 */
import { difficultyToTarget, targetFromU256LE, targetToDifficulty, targetToU256LE } from "@hyperhash/bitcoin";
import { waitFor } from "@hyperhash/devnet";
import { isPowerOfTwo } from "@hyperhash/sv2";
import anyTest, { type TestFn } from "ava";
import fc from "fast-check";
import { startSv2Miner } from "../../src/miner/sv2-miner.ts";
import { api, MINER_A, MINER_B, metric, startTestPool } from "../helpers/pool-fixture.ts";
import { type RealStack, useRealStack } from "../helpers/real-stack.ts";
import { connectRawClient, type MessageOf, type RawMiningClient } from "../helpers/sv2-client.ts";

const test = anyTest as TestFn<RealStack>;
useRealStack(test, "channels");

/**
 * Declared hash rate that gives difficulty 2^-10 at the fixture's 600 shares/min: 2^-10 ×
 * 4,295,032,833 hashes per difficulty-1 share is a hair above 2^22, so 10 × 2^23 (exact in f32)
 * rounds down to 2^-10 and 64× of it to 2^-4.
 */
const H0 = 2 ** 23 * 10;

async function readyPool(
  t: import("ava").ExecutionContext<RealStack>,
  overrides: Parameters<typeof startTestPool>[2] = {},
) {
  // blockTarget 1: no share here is a block, so no test moves the tip under another.
  const { pool } = await startTestPool(t, t.context.tpAddress, { blockTarget: 1n, ...overrides });
  await waitFor(() => pool.ready, { what: "a template and tip from hh-tp", timeoutMs: 60_000 });
  return pool;
}

async function openExtended(
  client: RawMiningClient,
  requestId: number,
  userIdentity: string,
  nominalHashRate = H0,
) {
  const opened = await client.open("extended", { requestId, userIdentity, nominalHashRate });
  if (opened.type !== "OpenExtendedMiningChannel.Success") throw new Error(`open refused: ${opened.type}`);
  return opened;
}

test("§5.3.7 UpdateChannel: a higher nominal hash rate answers SetTarget with the harder target; a tighter maximum target is honoured; §5.3.8 errors for an unknown channel and an impossible target", async (t) => {
  const pool = await readyPool(t);
  const client = await connectRawClient(pool);
  t.teardown(() => client.close());
  const opened = await openExtended(client, 1, MINER_A);
  const { channelId } = opened;
  t.is(targetToDifficulty(targetFromU256LE(opened.target)), 2 ** -10);
  const update = async (nominalHashRate: number, maximumTarget: bigint) => {
    const from = client.received.length;
    await client.send({
      type: "UpdateChannel",
      channelId,
      nominalHashRate,
      maximumTarget: targetToU256LE(maximumTarget),
    });
    const answer = await client.waitMessage(
      (m) => (m.type === "SetTarget" || m.type === "UpdateChannel.Error") && m.channelId === channelId,
      "the answer to UpdateChannel",
      { from },
    );
    return answer as MessageOf<"SetTarget"> | MessageOf<"UpdateChannel.Error">;
  };
  const maxTarget = difficultyToTarget(2 ** -32);
  const faster = await update(H0 * 64, maxTarget);
  t.is(faster.type, "SetTarget");
  const harder = targetFromU256LE((faster as MessageOf<"SetTarget">).maximumTarget);
  t.is(targetToDifficulty(harder), 2 ** -4, "64× the hash rate, 64× the difficulty");
  // The new rate would allow 2^-10 again, but the miner's maximum target asks for 2^-6 at most.
  const capped = await update(H0, difficultyToTarget(2 ** -6));
  t.is(targetToDifficulty(targetFromU256LE((capped as MessageOf<"SetTarget">).maximumTarget)), 2 ** -6);
  t.like(await update(H0, 0n), { type: "UpdateChannel.Error", errorCode: "max-target-out-of-range" });

  const from = client.received.length;
  await client.send({
    type: "UpdateChannel",
    channelId: 999_999,
    nominalHashRate: H0,
    maximumTarget: targetToU256LE(maxTarget),
  });
  t.like(await client.next("UpdateChannel.Error", undefined, { from }), {
    channelId: 999_999,
    errorCode: "invalid-channel-id",
  });
});

test("§5.3.9 CloseChannel: the channel is gone — later shares get invalid-channel-id, its gauge drops, the connection's other channels go on", async (t) => {
  const pool = await readyPool(t);
  const client = await connectRawClient(pool);
  t.teardown(() => client.close());
  const a = await openExtended(client, 1, `${MINER_A}.a`);
  const b = await openExtended(client, 2, `${MINER_A}.b`);
  const job = await client.next("NewExtendedMiningJob", (m) => m.channelId === a.channelId);
  const tip = await client.next("SetNewPrevHash", (m) => m.channelId === a.channelId);
  let sequenceNumber = 0;
  const submit = async (channelId: number) => {
    const from = client.received.length;
    const seq = ++sequenceNumber;
    await client.send({
      type: "SubmitSharesExtended",
      channelId,
      sequenceNumber: seq,
      jobId: job.jobId,
      nonce: seq,
      ntime: tip.minNtime,
      version: job.version,
      extranonce: new Uint8Array(a.extranonceSize),
    });
    return client.answerTo(channelId, seq, from);
  };
  const before = await submit(a.channelId);
  t.notDeepEqual(before, { ok: false, code: "invalid-channel-id" }, "the open channel judges the share");
  t.is(await metric(pool, "hyperhash_pool_channels", `channel_kind="extended"`), 2);
  await client.send({ type: "CloseChannel", channelId: a.channelId, reasonCode: "test" });
  t.deepEqual(await submit(a.channelId), { ok: false, code: "invalid-channel-id" });
  t.deepEqual(await submit(a.channelId), { ok: false, code: "invalid-channel-id" });
  t.is(await metric(pool, "hyperhash_pool_shares_rejected_total", `reason="invalid-channel-id"`), 2);
  t.is(await metric(pool, "hyperhash_pool_channels", `channel_kind="extended"`), 1);
  t.is((await api<{ channels: number }>(pool, "/api/v1/stats")).channels, 1);
  // Channel b shares the job (one job per template, pool-wide) and still judges shares.
  t.notDeepEqual(await submit(b.channelId), { ok: false, code: "invalid-channel-id" });
  t.like(await client.open("standard", { requestId: 3, userIdentity: MINER_A }), {
    type: "OpenStandardMiningChannel.Success",
  });
});

test("vardiff: shares much faster than 6/min raise the difficulty in power-of-two steps of at most ×4; in-flight shares at the old target are honoured; a silent channel is never raised", async (t) => {
  const pool = await readyPool(t, {
    vardiff: {
      targetSharesPerMinute: 6,
      minDifficulty: 2 ** -24,
      maxStepLog2: 2,
      minWindowSeconds: 1,
      burstShares: 1_000_000, // judged by time only: one window per second
    },
    vardiffTickMs: 200,
  });
  const targets: bigint[] = [];
  const miner = await startSv2Miner({
    host: "127.0.0.1",
    port: pool.port,
    authorityPublicKey: pool.authorityPublicKey,
    userIdentity: `${MINER_A}.fast`,
    channel: "extended",
    nominalHashRate: 1, // starts at the lowest difficulty: hundreds of shares a second
    onMessage: (m) => {
      if (m.type === "SetTarget") targets.push(targetFromU256LE(m.maximumTarget));
    },
  });
  t.teardown(() => miner.stop());
  const silent = await connectRawClient(pool);
  t.teardown(() => silent.close());
  const quiet = await openExtended(silent, 1, `${MINER_B}.quiet`, 1);
  await waitFor(() => targets.length >= 3, { what: "three vardiff steps", timeoutMs: 90_000 });
  const difficulties = [2 ** -24, ...targets.map(targetToDifficulty)];
  t.log(`difficulties: ${difficulties.map((d) => `2^${Math.log2(d)}`).join(" → ")}`);
  for (const d of difficulties) t.true(isPowerOfTwo(d), `${d} is a power of two`);
  for (let i = 1; i < difficulties.length; i++) {
    // The rate is ≥ 8× the aim throughout, so every step is the bounded maximum, ×4.
    t.is(difficulties[i]! / difficulties[i - 1]!, 4, `step ${i}`);
  }
  t.is(miner.stats().rejected["difficulty-too-low"] ?? 0, 0, "shares in flight at the old target are kept");
  t.true(miner.stats().accepted > 30);
  t.false(
    silent.received.some((m) => m.type === "SetTarget" && m.channelId === quiet.channelId),
    "a channel without shares is not made harder",
  );
});

test("extranonce prefixes of open channels never collide, across two connections, under any order of opens and closes (property)", async (t) => {
  const pool = await readyPool(t);
  let requestId = 0;
  const op = fc.record({
    connection: fc.integer({ min: 0, max: 1 }),
    action: fc.constantFrom("standard", "extended", "extended", "close"),
    pick: fc.nat(),
  });
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const clients = [await connectRawClient(pool), await connectRawClient(pool)];
      try {
        const open = new Map<number, { connection: number; prefix: Uint8Array }>();
        for (const { connection, action, pick } of ops) {
          const client = clients[connection]!;
          if (action === "close") {
            const mine = [...open].filter(([, c]) => c.connection === connection);
            if (mine.length === 0) continue;
            const [channelId] = mine[pick % mine.length]!;
            open.delete(channelId);
            await client.send({ type: "CloseChannel", channelId, reasonCode: "" });
            continue;
          }
          const opened = await client.open(action, { requestId: ++requestId, userIdentity: MINER_A });
          if (opened.type === "OpenMiningChannel.Error") throw new Error(opened.errorCode);
          const prefix = opened.extranoncePrefix;
          if (prefix.length !== (action === "standard" ? 20 : 4)) return false;
          for (const other of open.values()) {
            const n = Math.min(prefix.length, other.prefix.length);
            // Neither prefix may start the other: their coinbases could then be the same.
            if (Buffer.compare(prefix.subarray(0, n), other.prefix.subarray(0, n)) === 0) return false;
            checked++;
          }
          open.set(opened.channelId, { connection, prefix });
        }
        return true;
      } finally {
        for (const c of clients) c.close();
        await Promise.all(clients.map((c) => c.closed));
      }
    }),
    { numRuns: 25 },
  );
  t.log(`${checked} prefix pairs compared`);
  t.true(checked > 100);
});
