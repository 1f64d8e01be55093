import test from "ava";
import { toDecodedRequest, toLabelledTxid, toPaymentLookup, toSettledPayment } from "../../src/lnd-payer.ts";
import { openPaymentStore } from "../../src/store.ts";
import { PUBKEY, WINDOW } from "../support/fakes.ts";

const payment = {
  windowBlockHash: WINDOW,
  recipientId: "node:hn_abcdefghijklmnop",
  kind: "node" as const,
  method: "invoice" as const,
  amountSats: 2_100_000_000_000_000n,
  destination: PUBKEY,
  paymentHash: "ab".repeat(32),
  invoice: "lnbcrt1...",
  preimage: null,
};

test("exactly once: the store holds one live payment per (window, recipient); abandoning frees the key", (t) => {
  const store = openPaymentStore(":memory:");
  const p = store.insert(payment);
  t.is(store.get(p.id).amountSats, 2_100_000_000_000_000n, "sats survive as exact integers");
  t.throws(() => store.insert({ ...payment, paymentHash: "cd".repeat(32) }), {
    any: true,
    code: "SQLITE_CONSTRAINT_UNIQUE",
  });
  t.throws(
    () => store.insert({ ...payment, recipientId: "node:hn_bbbbbbbbbbbbbbbb" }),
    { any: true, code: "SQLITE_CONSTRAINT_UNIQUE" },
    "hash reuse",
  );
  store.update(p.id, { state: "abandoned", reason: "3 failed attempts" });
  const again = store.insert(payment);
  t.not(again.id, p.id);
  t.deepEqual(
    store.listOpen().map((x) => x.id),
    [again.id],
  );
});

test("mapper: pay / payViaPaymentDetails answers → settled payment with the first hop's channel", (t) => {
  const paid = toSettledPayment({
    id: "ab".repeat(32),
    secret: "cd".repeat(32),
    tokens: 1000,
    fee: 0,
    hops: [{ channel: "443x1x0", channel_capacity: 2_000_000 }],
  });
  t.deepEqual(paid, {
    paymentHash: "ab".repeat(32),
    preimage: "cd".repeat(32),
    sats: 1000n,
    feeSats: 0n,
    channelId: "443x1x0",
  });
});

test("mapper: getPayment → succeeded (paths' channel), failed with lnd's reason, pending", (t) => {
  const ok = toPaymentLookup({
    is_confirmed: true,
    is_failed: false,
    is_pending: false,
    payment: {
      id: "ab".repeat(32),
      secret: "cd".repeat(32),
      tokens: 5,
      fee: 1,
      paths: [{ hops: [{ channel: "1x2x3" }] }],
    },
  });
  t.is(ok.state === "succeeded" && ok.payment.channelId, "1x2x3");
  t.deepEqual(
    toPaymentLookup({
      is_confirmed: false,
      is_failed: true,
      is_pending: false,
      failed: { is_route_not_found: true },
    }),
    {
      state: "failed",
      reason: "is_route_not_found",
    },
  );
  t.deepEqual(toPaymentLookup({ is_confirmed: false, is_failed: false, is_pending: true }), {
    state: "pending",
  });
});

test("mapper: decodePaymentRequest and labelled chain transactions", (t) => {
  const d = toDecodedRequest({
    id: "ab".repeat(32),
    destination: PUBKEY,
    tokens: 1000,
    mtokens: "1000000",
    expires_at: "2025-01-01T00:00:00.000Z",
  });
  t.is(d.msats, 1_000_000n);
  const txs = {
    transactions: [{ id: "11".repeat(32) }, { id: "22".repeat(32), description: "hyperhash-payout-batch:x" }],
  };
  t.is(toLabelledTxid(txs, "hyperhash-payout-batch:x"), "22".repeat(32));
  t.is(toLabelledTxid(txs, "hyperhash-payout-batch:y"), undefined);
});
