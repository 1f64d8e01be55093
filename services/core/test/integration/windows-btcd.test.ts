import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subsidy } from "@hyperhash/bitcoin";
import { type Btcd, startBtcd, waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { ADMIN, hashOf, startTestCore, type TestCore } from "../support/harness.ts";
import { addr, blockFound, type PoolOutbox, startPoolOutbox } from "../support/pool-outbox.ts";

const test = anyTest as TestFn<{ btcd: Btcd; dir: string; outbox: PoolOutbox; h: TestCore }>;
const CONFIRMATIONS = 3;

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-core-btcd-"));
  t.context.dir = dir;
  t.context.btcd = await startBtcd({ dir, activateSegwit: false });
  t.context.outbox = await startPoolOutbox();
  t.context.h = await startTestCore(t.context.btcd.rpc, {
    poolUrl: t.context.outbox.url,
    payoutConfirmations: CONFIRMATIONS,
    pollIntervalMs: 100, // the loop itself drives the windows here, no tick()
  });
});

test.after.always(async (t) => {
  await t.context.h?.stop();
  await t.context.outbox?.close();
  await t.context.btcd?.stop();
  if (t.context.h) rmSync(t.context.h.dir, { recursive: true, force: true });
  rmSync(t.context.dir, { recursive: true, force: true });
});

const phaseOf = async (h: TestCore, hash: string) =>
  (await h.call("GET", `/api/v1/windows/${hash}`, { token: ADMIN })).body.phase as string | undefined;

test.serial(
  "Lifecycle against btcd: a window at height h stays Maturing until payoutConfirmations, then Calculated",
  async (t) => {
    const { btcd, outbox, h } = t.context;
    const [blockHash] = await btcd.mine(1);
    const height = await btcd.rpc.getBlockCount();
    outbox.events.push(
      blockFound({
        seq: 1,
        blockHash: blockHash!,
        height,
        feesSats: 0n,
        winner: "winner",
        shares: [
          { destination: "winner", nodeId: null, work: 2n },
          { destination: "other", nodeId: null, work: 2n },
        ],
      }),
    );
    await waitFor(async () => (await phaseOf(h, blockHash!)) === "Maturing", {
      what: "the window to appear",
      timeoutMs: 30_000,
    });
    await btcd.mine(CONFIRMATIONS - 2); // confirmations = CONFIRMATIONS − 1
    const tip = await btcd.rpc.getBlockCount();
    // Let the loop see the new tip at least twice before judging that it did not calculate.
    const seen = outbox.requests;
    await waitFor(() => outbox.requests >= seen + 2, { what: "two more passes", timeoutMs: 30_000 });
    t.is(tip - height + 1, CONFIRMATIONS - 1);
    t.is(await phaseOf(h, blockHash!), "Maturing");
    await btcd.mine(1);
    await waitFor(async () => (await phaseOf(h, blockHash!)) === "Calculated", {
      what: "the window to be Calculated",
      timeoutMs: 30_000,
    });
    const w = (await h.call("GET", `/api/v1/windows/${blockHash}`, { token: ADMIN })).body;
    t.is(w.S, subsidy(height, "regtest").toString());
    t.regex(w.payoutDigest, /^[0-9a-f]{64}$/);
  },
);

test.serial(
  "Lifecycle against btcd: a block not on the main chain at its height is Orphaned and its shares roll on",
  async (t) => {
    const { btcd, outbox, h } = t.context;
    const tip = await btcd.rpc.getBlockCount();
    const orphanHash = hashOf(0xdead_beef); // a block hash btcd's chain does not hold at that height
    outbox.events.push(
      blockFound({
        seq: 2,
        blockHash: orphanHash,
        height: tip,
        winner: "orphan",
        shares: [{ destination: "orphan", nodeId: null, work: 7n }],
      }),
    );
    await waitFor(async () => (await phaseOf(h, orphanHash)) === "Orphaned", {
      what: "the orphan",
      timeoutMs: 30_000,
    });
    t.not(await btcd.rpc.getBlockHash(tip), orphanHash);
    const [next] = await btcd.mine(1);
    const nextHeight = await btcd.rpc.getBlockCount();
    outbox.events.push(
      blockFound({
        seq: 3,
        blockHash: next!,
        height: nextHeight,
        winner: "next",
        shares: [{ destination: "next", nodeId: null, work: 7n }],
      }),
    );
    await btcd.mine(CONFIRMATIONS - 1);
    await waitFor(async () => (await phaseOf(h, next!)) === "Calculated", {
      what: "the next window",
      timeoutMs: 30_000,
    });
    const payouts = (await h.call("GET", `/api/v1/windows/${next}/payouts`, { token: ADMIN })).body;
    t.deepEqual(
      payouts.recipients.map((r: { recipientId: string }) => r.recipientId),
      [...[`miner:${addr("next")}`, `miner:${addr("orphan")}`].sort(), "treasury"],
    );
    t.is((await h.call("GET", `/api/v1/windows/${orphanHash}`, { token: ADMIN })).body.rolledInto, next);
  },
);
