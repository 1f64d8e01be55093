/**
 * ARCHITECTURE "From block to payment" 2, end to end: a window whose block leaves the main
 * chain while Maturing becomes Orphaned, and its shares count in the next window. The pool's
 * block is replaced by a longer competing chain on btcd (`invalidateblock` on it, then two
 * blocks mined on its parent), with the real pool, miners and Core of `npm start` (one node).
 */
import { jsonRpcClient } from "@hyperhash/bitcoin";
import { calculatePayout } from "@hyperhash/core";
import { waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { type OutboxEvent, reads, startE2eNetwork } from "./support/network.ts";

const test = anyTest as TestFn<{ e2e: Awaited<ReturnType<typeof startE2eNetwork>> }>;
/** Windows stay Maturing for two blocks on top of theirs: time to replace one. */
const CONFIRMATIONS = 3;

test.before(async (t) => {
  t.context.e2e = await startE2eNetwork(1, { payoutConfirmations: CONFIRMATIONS });
});
test.after.always(async (t) => {
  await t.context.e2e?.stop();
});

const payoutOf = (events: OutboxEvent[], carried: string | null) => {
  const last = events.at(-1)!;
  return calculatePayout({
    subsidySats: BigInt(last.subsidySats),
    coinbaseValueSats: BigInt(last.coinbaseValueSats),
    shares: events.flatMap((e) =>
      e.shares.map((s) => ({ destination: s.destination, nodeId: s.nodeId, work: BigInt(s.work) })),
    ),
    winnerDestination: last.winner.destination,
    carriedNodeNetworkSats: BigInt(carried ?? "0"),
  }).recipients.map((x) => [x.recipientId, x.amountSats] as const);
};

test.serial(
  "a window whose block is replaced by a longer competing chain becomes Orphaned and its shares count in the next window",
  async (t) => {
    t.timeout(600_000);
    const { network, devnet } = t.context.e2e;
    const { btcd } = devnet;
    const r = reads(network);
    const watch = devnet.processes();

    // 1. The pool finds a block; the miners stop with it at the tip, Maturing at Core.
    await waitFor(async () => (await network.poolBlocks()).length >= 1, {
      what: "a block found through the pool",
      timeoutMs: 300_000,
      intervalMs: 250,
      watch,
    });
    await network.miners.stop();
    const orphan = await waitFor(
      async () => {
        const [newest] = await network.poolBlocks();
        return newest && (await btcd.rpc.getBestBlockHash()) === newest.blockHash ? newest : undefined;
      },
      { what: "the pool's newest block to be btcd's tip", timeoutMs: 60_000, intervalMs: 250, watch },
    );
    const maturing = await waitFor(async () => await r.window(orphan.blockHash).catch(() => undefined), {
      what: "Core to know the window",
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    t.is(maturing.phase, "Maturing");

    // 2. A longer competing chain replaces it: two blocks on its parent.
    const call = jsonRpcClient({
      url: `https://${btcd.rpcHost}`,
      user: btcd.rpcUser,
      password: btcd.rpcPassword,
      caPem: btcd.rpcCertPem,
    });
    await call("invalidateblock", [orphan.blockHash]);
    const replacement = await btcd.mine(2);
    t.is(await btcd.rpc.getBlockCount(), orphan.height + 1, "the competing chain is one block longer");
    t.is(await btcd.rpc.getBlockHash(orphan.height), replacement[0] ?? "");
    await waitFor(async () => (await r.window(orphan.blockHash)).phase === "Orphaned", {
      what: "the replaced block's window to be Orphaned",
      timeoutMs: 60_000,
      intervalMs: 250,
    });

    // 3. Mining resumes on the new tip; the next window is calculated with the orphan's shares.
    await network.miners.start();
    const next = await waitFor(
      async () => {
        const w = await r.window(orphan.blockHash);
        return w.rolledInto ? r.window(w.rolledInto) : undefined;
      },
      {
        what: "the orphaned window's shares to roll into a calculated window",
        timeoutMs: 300_000,
        intervalMs: 500,
        watch,
      },
    );
    t.true(["Calculated", "Paying", "Settled"].includes(next.phase));
    t.true(next.height > orphan.height + 1, "the next window is a block mined after the reorg");
    await network.miners.stop();

    // The next window's list = the economics of both windows' shares together.
    const events = await r.outbox();
    const seqOf = (hash: string) => events.findIndex((e) => e.blockHash === hash);
    const rolled = events.slice(seqOf(orphan.blockHash), seqOf(next.blockHash) + 1);
    t.is(rolled[0]!.blockHash, orphan.blockHash);
    t.is(rolled.at(-1)!.blockHash, next.blockHash);
    const windows = await r.windows();
    for (const e of rolled.slice(1, -1)) {
      t.is(windows.find((w) => w.blockHash === e.blockHash)?.phase, "Orphaned", "only orphans in between");
    }
    const list = (await r.payouts(next.blockHash)).recipients.map(
      (x) => [x.recipientId, BigInt(x.amountSats)] as const,
    );
    t.deepEqual(list, payoutOf(rolled, next.carriedInSats));
    t.notDeepEqual(
      list,
      payoutOf(rolled.slice(-1), next.carriedInSats),
      "the orphan's shares changed the split",
    );
    const orphanShares = rolled[0]!.shares.reduce((n, s) => n + s.count, 0);
    t.true(orphanShares > 0);
    t.log(
      `orphaned window at height ${orphan.height} (${orphanShares} shares) rolled into the window at height ${next.height}`,
    );
  },
);
