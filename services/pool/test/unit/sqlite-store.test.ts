/**
 * The share log's SQLite store on a file on disk: batches of shares go in by multi-row INSERTs,
 * and each entry is still answered on its own (inserted or duplicate, also within one batch),
 * blocks close their window exactly where they sit in a batch, and a reopened file has it all.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import fc from "fast-check";
import { openSqliteStore } from "../../src/sqlite-store.ts";
import type { LogEntry } from "../../src/store.ts";

const share = (n: number, destination = "bcrt1qa", work = 1n): LogEntry => ({
  kind: "share",
  share: {
    hashHex: n.toString(16).padStart(64, "0"),
    destination,
    nodeId: null,
    worker: "w",
    channelId: 1,
    sequenceNumber: n,
    jobId: 1,
    work,
    acceptedAtMs: 1_700_000_000_000 + n,
  },
});
const block = (n: number): LogEntry => ({
  kind: "block",
  block: {
    blockHash: `b${n.toString(16).padStart(63, "0")}`,
    height: 100 + n,
    subsidySats: 5_000_000_000n,
    feesSats: 0n,
    coinbaseValueSats: 5_000_000_000n,
    winner: { destination: "bcrt1qa", nodeId: null, worker: "w" },
    templateId: BigInt(n),
    foundAtMs: 1_700_000_000_000,
  },
});

const withStore = (run: (path: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-store-"));
  try {
    run(join(dir, "log.db"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test("a batch larger than one INSERT chunk: every entry answered, duplicates within and across batches named", (t) => {
  withStore((path) => {
    const store = openSqliteStore({ path, synchronous: "NORMAL" });
    const first = Array.from({ length: 150 }, (_, i) => share(i));
    first.splice(70, 0, share(3)); // the same hash again, in the same batch and another chunk
    const outcomes = store.commit(first);
    t.is(outcomes.length, 151);
    t.is(outcomes.filter((o) => o === "duplicate").length, 1);
    t.is(outcomes[70], "duplicate", "the later entry is the duplicate");
    t.is(outcomes[3], "inserted");
    const second = store.commit([share(149), share(150), share(0)]);
    t.deepEqual(second, ["duplicate", "inserted", "duplicate"]);
    t.is(store.shareCount(), 151);
    store.close();
    const reopened = openSqliteStore({ path });
    t.is(reopened.shareCount(), 151, "all of it on disk");
    reopened.close();
  });
});

test("a block closes its window where it sits in the batch: the shares before it, none after (property)", (t) => {
  const batch = fc.array(fc.oneof(fc.constant("share" as const), fc.constant("block" as const)), {
    minLength: 1,
    maxLength: 200,
  });
  const result = fc.check(
    fc.property(fc.array(batch, { minLength: 1, maxLength: 4 }), (batches) => {
      let ok = true;
      withStore((path) => {
        const store = openSqliteStore({ path, synchronous: "NORMAL" });
        let n = 0;
        let blocks = 0;
        const windows: number[] = [];
        let open = 0;
        for (const kinds of batches) {
          const entries = kinds.map((k) => (k === "share" ? share(n++) : block(blocks++)));
          for (const k of kinds) {
            if (k === "share") open++;
            else {
              windows.push(open);
              open = 0;
            }
          }
          const outcomes = store.commit(entries);
          ok &&= outcomes.length === entries.length && outcomes.every((o) => o === "inserted");
        }
        const events = store.outbox(0, 1000);
        ok &&= events.length === windows.length;
        events.forEach((e, i) => {
          const count = e.shares.reduce((s, x) => s + x.count, 0);
          ok &&= count === windows[i];
        });
        const openCount = store.openWindowTotals().reduce((s, x) => s + x.count, 0);
        ok &&= openCount === open;
        store.close();
      });
      return ok;
    }),
    { numRuns: 60 },
  );
  t.false(result.failed, result.failed ? fc.defaultReportMessage(result) : "");
  t.is(result.numRuns, 60);
});
