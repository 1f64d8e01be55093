import test from "ava";
import { feeLimitSats, invoiceProblem, isLightningPubkey } from "../../src/checks.ts";
import { configFromEnv } from "../../src/config.ts";
import { PUBKEY } from "../support/fakes.ts";
import { parseFault } from "../support/fault.ts";

const now = new Date("2025-01-01T00:00:00Z");
const decoded = {
  paymentHash: "ab".repeat(32),
  destination: PUBKEY,
  sats: 1000n,
  msats: 1_000_000n,
  expiresAt: new Date("2025-01-01T01:00:00Z"),
};
const expected = {
  amountSats: 1000n,
  destination: PUBKEY,
  paymentHash: "ab".repeat(32),
  now,
  minLifeSeconds: 120,
};

test("issue 7 §2: a node invoice is checked for amount, destination pubkey, hash and expiry", (t) => {
  t.is(invoiceProblem(decoded, expected), undefined);
  t.regex(invoiceProblem({ ...decoded, sats: 999n, msats: 999_000n }, expected)!, /amount/);
  t.regex(invoiceProblem({ ...decoded, msats: 1_000_001n }, expected)!, /amount/, "millisats count");
  t.regex(invoiceProblem({ ...decoded, destination: `03${"22".repeat(32)}` }, expected)!, /destination/);
  t.regex(invoiceProblem({ ...decoded, paymentHash: "cd".repeat(32) }, expected)!, /hash/);
  t.regex(invoiceProblem({ ...decoded, expiresAt: new Date("2025-01-01T00:01:00Z") }, expected)!, /expires/);
});

test("fee limit: max(base, amount × ppm), in integer sats", (t) => {
  t.is(feeLimitSats(1000n, { baseSats: 10n, ppm: 5000n }), 10n);
  t.is(feeLimitSats(1_000_000n, { baseSats: 10n, ppm: 5000n }), 5000n);
  t.is(feeLimitSats(1_999n, { baseSats: 0n, ppm: 5000n }), 9n);
});

test("payout destinations: compressed pubkeys go by keysend, anything else is an address", (t) => {
  t.true(isLightningPubkey(PUBKEY));
  t.false(isLightningPubkey(`04${"11".repeat(32)}`));
  t.false(isLightningPubkey("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"));
});

test("HH_FAULT: exit-after-payment:N parses; anything else is refused", (t) => {
  t.deepEqual(parseFault(undefined), {});
  t.deepEqual(parseFault(""), {});
  t.deepEqual(parseFault("exit-after-payment:1"), { exitAfterPayments: 1 });
  t.throws(() => parseFault("exit-after-payment:0"));
  t.throws(() => parseFault("crash"));
});

test("HH_FAULT is refused by the production config: fault injection lives only in test/support/main-fault.ts", (t) => {
  const error = t.throws(() => configFromEnv({ HH_FAULT: "exit-after-payment:1" }));
  t.regex(error.message, /test-only/);
});
