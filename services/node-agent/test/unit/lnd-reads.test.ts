import test from "ava";
import {
  inboundSats,
  largestInbound,
  outboundSats,
  toChannelLiquidity,
  toForwardsPage,
  toInvoiceState,
} from "../../src/lnd-reads.ts";

const PEER = `02${"aa".repeat(32)}`;
// Shapes recorded from ln-service 58 against lnd 0.20.1 (trimmed to the fields read).
const recordedChannels = {
  channels: [
    {
      id: "443x1x0",
      partner_public_key: PEER,
      capacity: 2_000_000,
      local_balance: 0,
      remote_balance: 1_996_530,
      local_reserve: 20_000,
      remote_reserve: 20_000,
      is_active: true,
      transaction_id: "ff".repeat(32),
    },
  ],
};

test("mapper: getChannels → channel liquidity with reserves; inbound = remote − remote reserve", (t) => {
  const [c] = toChannelLiquidity(recordedChannels);
  t.is(c!.remoteBalanceSats, 1_996_530n);
  t.is(inboundSats(c!), 1_976_530n);
  t.is(outboundSats(c!), 0n, "below the reserve counts as zero");
  t.is(largestInbound([c!], PEER), 1_976_530n);
  t.is(largestInbound([{ ...c!, active: false }], PEER), 0n);
  t.throws(() => toChannelLiquidity({ channels: [{ ...recordedChannels.channels[0], capacity: -1 }] }));
});

test("mapper: getForwards pages sum fee millisats; the next token is carried", (t) => {
  t.deepEqual(toForwardsPage({ forwards: [{ fee_mtokens: "1500" }, { fee_mtokens: "2501" }], next: "tok" }), {
    feeMsats: 4001n,
    next: "tok",
  });
  t.deepEqual(toForwardsPage({ forwards: [] }), { feeMsats: 0n });
  t.throws(() => toForwardsPage({ forwards: [{ fee_mtokens: "-1" }] }));
});

test("mapper: getInvoice → confirmed / cancelled / expiry", (t) => {
  const s = toInvoiceState({
    id: "ab".repeat(32),
    is_confirmed: false,
    is_canceled: true,
    expires_at: "2025-01-01T01:00:00.000Z",
  });
  t.deepEqual(s, {
    id: "ab".repeat(32),
    isConfirmed: false,
    isCanceled: true,
    expiresAt: new Date("2025-01-01T01:00:00.000Z"),
  });
});
