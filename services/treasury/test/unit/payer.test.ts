import test from "ava";
import { driveLightningPayment } from "../../src/payer.ts";
import type { NewPayment } from "../../src/store.ts";
import { driveDeps, fakeCore, fakeLnd, PUBKEY, WINDOW } from "../support/fakes.ts";

const keysendPayment = (hash = "bb".repeat(32)): NewPayment => ({
  windowBlockHash: WINDOW,
  recipientId: `miner:${PUBKEY}`,
  kind: "miner",
  method: "keysend",
  amountSats: 50_000n,
  destination: PUBKEY,
  paymentHash: hash,
  invoice: null,
  preimage: "ee".repeat(32),
});

test("ARCHITECTURE 'From block to payment' 5: a payment is written, announced at Core, sent once and reported", async (t) => {
  const { core, results } = fakeCore();
  const { lnd, sends } = fakeLnd();
  const deps = driveDeps(core, lnd);
  const p = deps.store.insert(keysendPayment());
  t.is(await driveLightningPayment(deps, p), undefined);
  t.deepEqual(sends, [p.paymentHash]);
  t.is(deps.store.get(p.id).state, "done");
  t.is(results.length, 1);
  t.is(results[0]!.result.state, "succeeded");
  // Driving it again changes nothing and sends nothing.
  await driveLightningPayment(deps, deps.store.get(p.id));
  t.is(sends.length, 1);
});

test("exactly once: after a crash in `sending`, a payment lnd settled is reported without being re-sent", async (t) => {
  const { core } = fakeCore();
  const { lnd, sends, lookups, settle } = fakeLnd();
  const deps = driveDeps(core, lnd);
  let p = deps.store.insert(keysendPayment());
  const intent = await core.recordIntent({
    windowBlockHash: WINDOW,
    recipientId: p.recipientId,
    amountSats: p.amountSats,
    method: "keysend",
  });
  p = deps.store.update(p.id, { state: "sending", corePaymentId: intent.ok ? intent.value.id : null });
  lookups.set(p.paymentHash!, { state: "succeeded", payment: settle(p.paymentHash!, p.amountSats) });
  await driveLightningPayment(deps, p);
  t.is(sends.length, 0);
  t.is(deps.store.get(p.id).state, "done");
  t.is(deps.store.get(p.id).feeSats, 1n);
});

test("exactly once: a payment lnd reports in flight is never re-sent; it waits", async (t) => {
  const { core } = fakeCore();
  const { lnd, sends, lookups } = fakeLnd();
  const deps = driveDeps(core, lnd);
  const p = deps.store.update(deps.store.insert(keysendPayment()).id, {
    state: "sending",
    corePaymentId: "1",
  });
  lookups.set(p.paymentHash!, { state: "pending" });
  const wait = await driveLightningPayment(deps, p);
  t.is(wait?.reason, "PaymentInFlight");
  t.is(sends.length, 0);
  t.is(deps.store.get(p.id).state, "sending");
});

test("exactly once: a hash lnd never saw (crash before the send reached lnd) is sent once with the same hash", async (t) => {
  const { core } = fakeCore();
  const { lnd, sends } = fakeLnd();
  const deps = driveDeps(core, lnd);
  const p0 = deps.store.insert(keysendPayment());
  const intent = await core.recordIntent({
    windowBlockHash: WINDOW,
    recipientId: p0.recipientId,
    amountSats: p0.amountSats,
    method: "keysend",
  });
  const p = deps.store.update(p0.id, { state: "sending", corePaymentId: intent.ok ? intent.value.id : null });
  await driveLightningPayment(deps, p);
  t.deepEqual(sends, [p.paymentHash]);
  t.is(deps.store.get(p.id).state, "done");
});

test("ARCHITECTURE 5: after N failed attempts Core returns the amount and the key is free again", async (t) => {
  const { core, results } = fakeCore(2);
  const { lnd, sends } = fakeLnd({
    pay: async () => {
      throw new Error("PaymentPathfindingFailedToFindPossibleRoute");
    },
  });
  // lnd records the failure for the hash it tried
  const deps = driveDeps(core, {
    ...lnd,
    lookupPayment: async (hash) =>
      sends.includes(hash) ? { state: "failed", reason: "is_route_not_found" } : { state: "unknown" },
  });
  const p = deps.store.insert(keysendPayment());
  await driveLightningPayment(deps, p);
  t.is(deps.store.get(p.id).state, "announced", "one failure: retried at the next round");
  await driveLightningPayment(deps, deps.store.get(p.id));
  const final = deps.store.get(p.id);
  t.is(final.state, "abandoned");
  t.regex(final.reason ?? "", /PaymentPathfindingFailedToFindPossibleRoute/);
  t.is(results.length, 2);
  t.is(deps.store.findLive(WINDOW, `miner:${PUBKEY}`), undefined);
});

test("a send whose call fails but which lnd settled counts as paid, not failed", async (t) => {
  const { core } = fakeCore();
  const fake = fakeLnd();
  const deps = driveDeps(core, {
    ...fake.lnd,
    keysend: async ({ paymentHash, sats }) => {
      fake.lookups.set(paymentHash, { state: "succeeded", payment: fake.settle(paymentHash, sats) });
      throw new Error("connection reset");
    },
  });
  const p = deps.store.insert(keysendPayment());
  await driveLightningPayment(deps, p);
  t.is(deps.store.get(p.id).state, "done");
});

test("ARCHITECTURE 4: a payment the channel liquidity cannot cover waits with InsufficientLiquidity, unsent", async (t) => {
  const { core, payments } = fakeCore();
  const { lnd, sends } = fakeLnd();
  const deps = driveDeps(core, lnd, 50_000n); // amount 50,000 + fee limit 250 > 50,000
  const p = deps.store.insert(keysendPayment());
  const wait = await driveLightningPayment(deps, p);
  t.is(wait?.reason, "InsufficientLiquidity");
  t.is(sends.length, 0);
  t.is(payments.size, 1, "the intent is recorded, the send waits");
  t.is(deps.store.get(p.id).state, "announced");
});
