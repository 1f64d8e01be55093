import {
  toChannels,
  toInvoice,
  toPayment,
  toPaymentStatus,
  toRoutable,
  toWalletInfo,
} from "@hyperhash/lightning";
import test from "ava";

// Answers recorded from ln-service 58.1 against lnd v0.20.1-beta on regtest (trimmed).
const pubkey = `03${"ab".repeat(32)}`;
const hash = "cd".repeat(32);

test("getWalletInfo maps to WalletInfo", (t) => {
  const info = toWalletInfo({
    public_key: pubkey,
    alias: "treasury",
    version: "0.20.1-beta commit=v0.20.1-beta",
    current_block_height: 434,
    current_block_hash: "00".repeat(32),
    is_synced_to_chain: true,
    is_synced_to_graph: false,
    active_channels_count: 1,
    pending_channels_count: 0,
    peers_count: 1,
    chains: [],
    features: [],
    uris: [],
  });
  t.deepEqual(info, {
    pubkey,
    alias: "treasury",
    version: "0.20.1-beta commit=v0.20.1-beta",
    blockHeight: 434,
    syncedToChain: true,
    activeChannels: 1,
    pendingChannels: 0,
    peers: 1,
  });
});

test("getChannels maps sats to bigint and the opener flag from is_partner_initiated", (t) => {
  const [c] = toChannels({
    channels: [
      {
        id: "434x1x0",
        partner_public_key: pubkey,
        transaction_id: hash,
        transaction_vout: 0,
        capacity: 1_000_000,
        local_balance: 996_530,
        remote_balance: 0,
        is_active: true,
        is_partner_initiated: false,
      },
    ],
  });
  t.is(c?.capacitySats, 1_000_000n);
  t.is(c?.localBalanceSats, 996_530n);
  t.true(c?.isOpener);
});

test("malformed daemon answers are refused, never passed on", (t) => {
  t.throws(() => toChannels({ channels: [{ id: "x", capacity: -1 }] }));
  t.throws(() => toWalletInfo({ public_key: "zz" }));
  t.throws(() => toPayment({ id: hash, secret: hash, tokens: 1.5, fee: 0 }), undefined, "fractional sats");
  t.throws(() => toInvoice({ id: hash, tokens: 10 }), { message: /no payment request/ });
});

test("invoices and payments map amounts exactly", (t) => {
  const inv = toInvoice({
    id: hash,
    request: "lnbcrt1...",
    tokens: 12_345,
    is_confirmed: true,
    received: 12_345,
  });
  t.is(inv.sats, 12_345n);
  t.true(inv.isConfirmed);
  const pay = toPayment({ id: hash, secret: "ef".repeat(32), tokens: 12_345, fee: 0 });
  t.deepEqual(pay, { id: hash, preimage: "ef".repeat(32), sats: 12_345n, feeSats: 0n });
});

test("payment status: succeeded, failed with a reason, pending", (t) => {
  const ok = toPaymentStatus({
    is_confirmed: true,
    is_failed: false,
    is_pending: false,
    payment: { id: hash, secret: "ef".repeat(32), tokens: 5, fee: 1 },
  });
  t.is(ok.state, "succeeded");
  const failed = toPaymentStatus({
    is_confirmed: false,
    is_failed: true,
    is_pending: false,
    failed: { is_insufficient_balance: true, is_invalid_payment: false },
  });
  t.deepEqual(failed, { state: "failed", reason: "is_insufficient_balance" });
  t.deepEqual(toPaymentStatus({ is_confirmed: false, is_failed: false, is_pending: true }), {
    state: "pending",
  });
});

test("a channel is routable only once both policies are known", (t) => {
  t.true(
    toRoutable({
      policies: [
        { public_key: pubkey, cltv_delta: 80 },
        { public_key: pubkey, cltv_delta: 80 },
      ],
    }),
  );
  t.false(toRoutable({ policies: [{ public_key: pubkey, cltv_delta: 80 }, { public_key: pubkey }] }));
  t.false(toRoutable({ policies: [{ public_key: pubkey, cltv_delta: 80 }] }));
});
