import { createHash } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import {
  type CoreRepository,
  calculatePayout,
  canonicalPayoutList,
  openSqliteRepository,
  parseCanonicalRecipients,
  payoutDigest,
  pollOutbox,
  type WindowContext,
} from "../../src/index.ts";
import { blockFound, startPoolOutbox } from "../support/pool-outbox.ts";

test("canonical payout list: the documented form, byte for byte, and its SHA-256", (t) => {
  const payout = calculatePayout({
    subsidySats: 1001n,
    coinbaseValueSats: 1008n,
    shares: [
      { destination: "c", nodeId: null, work: 5n },
      { destination: "a", nodeId: "hn_x", work: 5n },
    ],
    winnerDestination: "c",
    carriedNodeNetworkSats: 0n,
  });
  const list = canonicalPayoutList({ blockHash: "ab".repeat(32), height: 7 }, payout);
  const expected =
    `{"format":"hyperhash-payout-list/1","blockHash":"${"ab".repeat(32)}","height":7,"subsidySats":"1001","feesSats":"7","poolFeeSats":"10","treasurySats":"5","nodeNetworkSats":"5","carriedInSats":"0","carriedForwardSats":"0","recipientCount":4}\n` +
    `{"recipientId":"miner:a","kind":"miner","amountSats":"496"}\n` +
    `{"recipientId":"miner:c","kind":"miner","amountSats":"502"}\n` +
    `{"recipientId":"node:hn_x","kind":"node","amountSats":"5"}\n` +
    `{"recipientId":"treasury","kind":"treasury","amountSats":"5"}\n`;
  t.is(list, expected);
  t.is(payoutDigest(list), createHash("sha256").update(Buffer.from(expected, "utf8")).digest("hex"));
  t.deepEqual(parseCanonicalRecipients(list), payout.recipients);
});

test("canonical payout list: the digest does not depend on the order recipients are given in", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 30 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (ids, amount) => {
          const recipients = ids.map((id, i) => ({
            recipientId: `miner:${id}`,
            kind: "miner" as const,
            amountSats: amount + BigInt(i),
          }));
          const base = {
            subsidySats: 0n,
            feesSats: 0n,
            poolFeeSats: 0n,
            treasurySats: 0n,
            nodeNetworkSats: 0n,
            carriedInSats: 0n,
            carriedForwardSats: 0n,
          };
          const a = canonicalPayoutList({ blockHash: "00".repeat(32), height: 1 }, { ...base, recipients });
          const b = canonicalPayoutList(
            { blockHash: "00".repeat(32), height: 1 },
            { ...base, recipients: [...recipients].reverse() },
          );
          return a === b && payoutDigest(a) === payoutDigest(b);
        },
      ),
    ),
  );
});

function context(repo: CoreRepository): WindowContext {
  return {
    repo,
    network: "regtest",
    payoutConfirmations: 1,
    payoutThresholdSats: 1n,
    now: () => new Date(0),
  };
}

test("outbox consumer: unknown event types advance the cursor; an invalid block-found stops it there", async (t) => {
  const outbox = await startPoolOutbox();
  const repo = openSqliteRepository(":memory:");
  t.teardown(async () => {
    repo.close();
    await outbox.close();
  });
  const good = blockFound({
    seq: 1,
    blockHash: "01".repeat(32),
    height: 5,
    winner: "m",
    shares: [{ destination: "m", nodeId: null, work: 1n }],
  });
  const bad = {
    ...blockFound({ seq: 3, blockHash: "03".repeat(32), height: 6, winner: "m", shares: [] }),
    coinbaseValueSats: "1",
  };
  outbox.events.push(good, { seq: 2, type: "share-totals-v2" }, bad);
  const options = { poolUrl: outbox.url, batch: 10, timeoutMs: 10_000, maxResponseBytes: 1 << 20 };
  await t.throwsAsync(() => pollOutbox(context(repo), options), {
    message: /event 3 is invalid: .*coinbaseValueSats/,
  });
  t.is(repo.getOutboxCursor(), 2, "stopped before the invalid event");
  t.is(repo.listWindows().length, 1);
  outbox.events[2] = blockFound({ seq: 3, blockHash: "03".repeat(32), height: 6, winner: "m", shares: [] });
  const report = await pollOutbox(context(repo), options);
  t.like(report, { applied: 1, cursor: 3, more: false });
  t.is(repo.listWindows().length, 2);
});

test("outbox consumer: an answer larger than the limit is refused, not allocated", async (t) => {
  const outbox = await startPoolOutbox();
  const repo = openSqliteRepository(":memory:");
  t.teardown(async () => {
    repo.close();
    await outbox.close();
  });
  const shares = Array.from({ length: 200 }, (_, i) => ({ destination: `m${i}`, nodeId: null, work: 1n }));
  outbox.events.push(blockFound({ seq: 1, blockHash: "01".repeat(32), height: 5, winner: "m0", shares }));
  await t.throwsAsync(
    () =>
      pollOutbox(context(repo), {
        poolUrl: outbox.url,
        batch: 10,
        timeoutMs: 10_000,
        maxResponseBytes: 2048,
      }),
    { message: /larger than 2048 bytes/ },
  );
  t.is(repo.getOutboxCursor(), 0);
});
