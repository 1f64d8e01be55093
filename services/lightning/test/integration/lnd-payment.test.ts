import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Btcd,
  fundWallet,
  type Lnd,
  openActiveChannel,
  startBtcd,
  startLnd,
  waitFor,
} from "@hyperhash/devnet";
import test from "ava";

test("lnd: A opens a channel to B, B invoices, A pays, both balances move by exactly the amount", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-lnd-test-"));
  const started: Array<Btcd | Lnd> = [];
  t.teardown(async () => {
    for (const p of started.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const btcd = await startBtcd({ dir });
  started.push(btcd);
  const [alice, bob] = await Promise.all([
    startLnd({ dir, alias: "alice", btcd }),
    startLnd({ dir, alias: "bob", btcd }),
  ]);
  started.push(alice, bob);

  await fundWallet(btcd, alice, 5_000_000n);
  // A push gives B an output on the commitment from the start, so the payment below changes
  // no commitment shape (and no commitment fee): both sides move by exactly the amount.
  const channel = await openActiveChannel(btcd, alice, bob, 1_000_000n, 50_000n);
  t.is(channel.capacitySats, 1_000_000n);
  t.true(channel.isOpener);

  const local = async (lnd: Lnd) =>
    (await lnd.wallet.listChannels()).find((c) => c.id === channel.id)?.localBalanceSats ?? -1n;
  const [aliceBefore, bobBefore] = [await local(alice), await local(bob)];
  t.is(bobBefore, 50_000n);

  const amount = 12_345n;
  const invoice = await bob.wallet.createInvoice({ sats: amount, description: "devnet test" });
  t.is(invoice.sats, amount);
  const payment = await alice.wallet.payInvoice({ request: invoice.request, maxFeeSats: 10n });
  t.is(payment.sats, amount);
  t.is(payment.feeSats, 0n, "a direct channel charges no routing fee");
  t.is(payment.id, invoice.id);

  // B's side settles after A learns the preimage; wait for it rather than sleeping.
  await waitFor(async () => (await local(bob)) === bobBefore + amount, {
    what: "bob's balance to settle",
    timeoutMs: 30_000,
  });
  t.is(await local(alice), aliceBefore - amount);
  t.is(await local(bob), bobBefore + amount);
  t.true((await bob.wallet.getInvoice(invoice.id)).isConfirmed);
  const status = await alice.wallet.getPaymentStatus(payment.id);
  t.is(status.state, "succeeded");
  t.deepEqual(await alice.wallet.getPaymentStatus("00".repeat(32)), { state: "unknown" });
});
