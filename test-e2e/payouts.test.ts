/**
 * Issue 7 end to end, real parts only: btcd, hh-tp, hh-pool (regtest blockTarget), two
 * HyperNodes (lnd, node agent, hh-translator, one SV1 CPU miner each), a direct SV2 CPU miner,
 * Core and the treasury on its lnd — the composition `npm start` runs, with two nodes.
 */
import { addressToScriptPubKey } from "@hyperhash/bitcoin";
import { calculatePayout } from "@hyperhash/core";
import { waitFor } from "@hyperhash/devnet";
import { payoutDescription } from "@hyperhash/node-agent";
import { hex } from "@scure/base";
import anyTest, { type TestFn } from "ava";
import {
  invoicesOf,
  payoutBatchTxids,
  quiesce,
  reads,
  sentPayments,
  startE2eNetwork,
} from "./support/network.ts";

const test = anyTest as TestFn<{ e2e: Awaited<ReturnType<typeof startE2eNetwork>> }>;

test.before(async (t) => {
  t.context.e2e = await startE2eNetwork(2);
});
test.after.always(async (t) => {
  await t.context.e2e?.stop();
});

test.serial(
  "issue 7: a mined window with shares of two nodes' SV1 miners and a direct SV2 miner is calculated exactly, settled, and every payment matches lnd, the audit log and the ledger",
  async (t) => {
    t.timeout(600_000);
    const { network } = t.context.e2e;
    const r = reads(network);
    const [n1, n2] = network.nodes as [(typeof network.nodes)[0], (typeof network.nodes)[0]];
    const direct = `miner:${network.directMinerAddress}`;

    // 1. Real mining until a Settled window pays both nodes and the direct miner.
    const target = await waitFor(
      async () => {
        for (const w of await r.windows()) {
          if (w.phase !== "Settled") continue;
          const ids = new Set((await r.payouts(w.blockHash)).recipients.map((x) => x.recipientId));
          if (ids.has(`node:${n1.nodeId}`) && ids.has(`node:${n2.nodeId}`) && ids.has(direct)) return w;
        }
        return undefined;
      },
      {
        what: "a Settled window paying both nodes and the direct miner",
        timeoutMs: 400_000,
        intervalMs: 1000,
        watch: network.devnet.processes(),
      },
    );
    const windows = await quiesce(network, 240_000);

    // 2. The pool's outbox event for that block carries shares of both nodes' miners and the direct miner.
    const events = await r.outbox();
    const event = events.find((e) => e.blockHash === target.blockHash);
    if (!event) throw new Error("the target block is not in the pool's outbox");
    const nodeIds = new Set(event.shares.map((s) => s.nodeId));
    t.true(nodeIds.has(n1.nodeId) && nodeIds.has(n2.nodeId), "shares from both nodes");
    t.true(
      event.shares.some((s) => s.nodeId === null && s.destination === network.directMinerAddress),
      "shares from the direct miner",
    );
    t.true(event.shares.some((s) => s.destination === n1.minerAddress && s.nodeId === n1.nodeId));
    t.true(event.shares.some((s) => s.destination === n2.minerAddress && s.nodeId === n2.nodeId));
    t.is(
      await network.devnet.btcd.rpc.getBlockHash(event.height),
      target.blockHash,
      "the block is on btcd's chain",
    );
    t.log(
      `window ${target.height}: ${event.shares.reduce((n, s) => n + s.count, 0)} shares from ${event.shares.length} miners, ${windows.length} windows, ${events.length} blocks`,
    );

    // 3. Core's list is exactly the economics of the window (no orphans here; carried N from Core).
    t.false(windows.some((w) => w.phase === "Orphaned"));
    const expected = calculatePayout({
      subsidySats: BigInt(event.subsidySats),
      coinbaseValueSats: BigInt(event.coinbaseValueSats),
      shares: event.shares.map((s) => ({
        destination: s.destination,
        nodeId: s.nodeId,
        work: BigInt(s.work),
      })),
      winnerDestination: event.winner.destination,
      carriedNodeNetworkSats: BigInt(target.carriedInSats ?? "0"),
    });
    const list = await r.payouts(target.blockHash);
    t.deepEqual(
      list.recipients.map((x) => [x.recipientId, BigInt(x.amountSats)]),
      expected.recipients.map((x) => [x.recipientId, x.amountSats]),
    );

    // 4. Each node's lnd shows the invoice for the window paid with exactly what Core owed it.
    // A payment covers the node's open credits up to its window (Core keys it by the newest one).
    const audit = await r.audit();
    const succeeded = audit.filter((e) => e.event === "succeeded");
    t.is(audit.filter((e) => e.event === "failed" || e.event === "attempt-failed").length, 0);
    const order = new Map(windows.map((w, i) => [w.blockHash, i]));
    const credits = new Map<string, bigint[]>();
    for (const w of windows.filter((x) => x.phase === "Settled")) {
      for (const x of (await r.payouts(w.blockHash)).recipients) {
        const row = credits.get(x.recipientId) ?? new Array<bigint>(windows.length).fill(0n);
        row[order.get(w.blockHash)!] = BigInt(x.amountSats);
        credits.set(x.recipientId, row);
      }
    }
    const treasuryPayments = await sentPayments(network.devnet.treasury);
    for (const n of [n1, n2]) {
      const recipientId = `node:${n.nodeId}`;
      const paid = succeeded.filter((e) => e.recipientId === recipientId);
      const invoices = await invoicesOf(n.lnd);
      let from = 0;
      for (const p of paid) {
        const upTo = order.get(p.windowBlockHash)!;
        const owed = credits
          .get(recipientId)!
          .slice(from, upTo + 1)
          .reduce((a, b) => a + b, 0n);
        from = upTo + 1;
        t.is(
          BigInt(p.amountSats),
          owed,
          `${recipientId} paid exactly its credits up to ${p.windowBlockHash}`,
        );
        const invoice = invoices.find((i) => i.id === p.paymentHash);
        t.truthy(invoice, `${recipientId}: audit hash ${p.paymentHash} is an invoice of its lnd`);
        t.true(invoice!.is_confirmed);
        t.is(invoice!.description, payoutDescription(p.windowBlockHash));
        t.is(BigInt(invoice!.received), BigInt(p.amountSats));
        const sent = treasuryPayments.filter((x) => x.id === p.paymentHash);
        t.is(sent.length, 1, "paid once by the treasury lnd");
        t.is(sent[0]!.destination, n.lnd.pubkey);
        t.is(BigInt(sent[0]!.tokens), BigInt(p.amountSats));
        t.is(BigInt(sent[0]!.fee), BigInt(p.feeSats ?? "0"));
      }
      const forTarget = invoices.filter((i) => i.description === payoutDescription(target.blockHash));
      const paysTarget = paid.find((p) => order.get(p.windowBlockHash)! >= order.get(target.blockHash)!);
      t.truthy(paysTarget, `${recipientId}: the target window's credit is paid`);
      if (paysTarget!.windowBlockHash === target.blockHash) {
        t.is(forTarget.length, 1, `${recipientId}: one payout invoice for the target window`);
        t.is(BigInt(forTarget[0]!.received), BigInt(paysTarget!.amountSats));
      }
      // Ledger = audit = lnd, in total.
      const ledger = (await r.ledger()).find((b) => b.recipientId === recipientId)!;
      const received = invoices
        .filter((i) => i.is_confirmed && i.description.startsWith("hyperhash payout "))
        .reduce((a, i) => a + BigInt(i.received), 0n);
      t.is(BigInt(ledger.paidSats), received);
      t.is(BigInt(ledger.paidSats), BigInt(ledger.creditedSats));
      t.is(ledger.inFlightSats, "0");
    }

    // 5. Miners are paid on chain: every labelled batch output to the direct miner adds up to the ledger.
    const script = hex.encode(addressToScriptPubKey(network.directMinerAddress, "regtest"));
    let onchain = 0n;
    for (const txid of await payoutBatchTxids(network.devnet.treasury)) {
      const tx = await network.devnet.btcd.rpc.getRawTransaction(txid);
      for (const o of tx.vout)
        if (o.scriptPubKey.hex === script) onchain += BigInt(Math.round(o.value * 1e8));
    }
    const directLedger = (await r.ledger()).find((b) => b.recipientId === direct)!;
    t.is(BigInt(directLedger.paidSats), onchain);
    t.is(BigInt(directLedger.paidSats), BigInt(directLedger.creditedSats));
    const directAudit = succeeded.filter((e) => e.recipientId === direct);
    t.is(
      directAudit.reduce((a, e) => a + BigInt(e.amountSats), 0n),
      onchain,
    );
  },
);
