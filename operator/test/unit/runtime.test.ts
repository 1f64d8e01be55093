import test from "ava";
import fc from "fast-check";
import { Registry } from "prom-client";
import type { Condition } from "../../src/api/common.ts";
import { setCondition, setConditions, summarizeReady } from "../../src/api/conditions.ts";
import { backoffDelay } from "../../src/runtime/backoff.ts";
import { controllerMetrics } from "../../src/runtime/metrics.ts";
import { jsonEqual, mergePatchOf } from "../../src/runtime/status.ts";
import { createWorkQueue, type QueueClock } from "../../src/runtime/workqueue.ts";

/** A manual clock: timers fire only when the test advances time. */
function manualClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const clock: QueueClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      (h as { live: boolean }).live = false;
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.live && x.at <= now)) {
      t.live = false;
      t.fn();
    }
  };
  return { clock, advance };
}

test("backoff: doubles per failure within [exp/2, exp], capped at max, 0 before any failure", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      fc.double({ min: 0, max: 0.999999, noNaN: true }),
      (n, r) => {
        const d = backoffDelay(n, { baseMs: 10, maxMs: 10_000 }, () => r);
        const exp = Math.min(10_000, 10 * 2 ** (n - 1));
        return d >= Math.floor(exp / 2) && d <= exp;
      },
    ),
  );
  t.is(backoffDelay(0, { baseMs: 10, maxMs: 100 }), 0);
});

test("workqueue: a key added twice is handed out once (deduplication)", async (t) => {
  const q = createWorkQueue({ name: "t" });
  q.add("a");
  q.add("a");
  q.add("b");
  t.is(q.length(), 2);
  t.is(await q.get(), "a");
  t.is(await q.get(), "b");
});

test("workqueue: a key added while processing is not handed out concurrently, but again after done", async (t) => {
  const q = createWorkQueue({ name: "t" });
  q.add("a");
  const k = await q.get();
  q.add("a");
  t.is(q.length(), 0, "not queued while processing");
  q.done(k!);
  t.is(q.length(), 1);
  t.is(await q.get(), "a");
});

test("workqueue: addRateLimited backs off per key; forget resets; metrics use controller-runtime names", async (t) => {
  const { clock, advance } = manualClock();
  const registry = new Registry();
  const q = createWorkQueue({
    name: "ctl",
    clock,
    backoff: { baseMs: 100, maxMs: 1000 },
    metrics: controllerMetrics(registry),
  });
  q.addRateLimited("a");
  t.is(q.length(), 0);
  advance(100);
  t.is(q.length(), 1);
  const k = await q.get();
  q.done(k!);
  q.addRateLimited("a");
  advance(99);
  t.is(q.length(), 0, "second failure waits longer than the first's minimum");
  advance(101);
  t.is(q.length(), 1);
  const text = await registry.metrics();
  for (const name of [
    "workqueue_adds_total",
    "workqueue_retries_total",
    "workqueue_depth",
    "workqueue_queue_duration_seconds",
  ]) {
    t.regex(text, new RegExp(`${name}(_sum)?\\{name="ctl",controller="ctl"\\}`));
  }
});

test("workqueue: addAfter keeps the earliest pending time; shutDown releases waiting getters", async (t) => {
  const { clock, advance } = manualClock();
  const q = createWorkQueue({ name: "t", clock });
  q.addAfter("a", 500);
  q.addAfter("a", 100);
  q.addAfter("a", 900);
  advance(100);
  t.is(q.length(), 1);
  const waiting = q.get();
  t.is(await waiting, "a");
  const pending = q.get();
  q.shutDown();
  t.is(await pending, undefined);
});

const cond = (type: string, status: "True" | "False", time: string): Condition => ({
  type,
  status,
  reason: "R",
  message: "m",
  lastTransitionTime: time,
});

test("conditions: lastTransitionTime moves only when status changes; observedGeneration recorded", (t) => {
  const t0 = new Date("2025-01-01T00:00:00Z");
  const t1 = new Date("2025-01-01T00:01:00Z");
  const a = setCondition([], { type: "Ready", status: "False", reason: "Wait", message: "x" }, 1, t0);
  const b = setCondition(a, { type: "Ready", status: "False", reason: "Other", message: "y" }, 2, t1);
  t.is(b[0]!.lastTransitionTime, t0.toISOString());
  t.is(b[0]!.reason, "Other");
  t.is(b[0]!.observedGeneration, 2);
  const c = setCondition(b, { type: "Ready", status: "True", reason: "Ok", message: "z" }, 2, t1);
  t.is(c[0]!.lastTransitionTime, t1.toISOString());
  const d = setConditions(c, [{ type: "A", status: "True", reason: "Ok", message: "" }], 2, t1);
  t.deepEqual(
    d.map((x) => x.type),
    ["Ready", "A"],
  );
});

test("conditions: Ready summarises the first failing dependency's reason", (t) => {
  const list = [cond("A", "True", "t"), cond("B", "False", "t")];
  list[1]!.reason = "ChannelMissing";
  const ready = summarizeReady(list, ["A", "B"]);
  t.is(ready.status, "False");
  t.is(ready.reason, "ChannelMissing");
  t.is(summarizeReady([cond("A", "True", "t")], ["A"]).status, "True");
  t.is(summarizeReady([], ["A"]).status, "Unknown");
});

test("status: mergePatchOf sends only changed keys and nulls removed ones; jsonEqual ignores key order", (t) => {
  t.deepEqual(mergePatchOf({ a: 1, b: 2, c: [1] }, { a: 1, c: [1, 2], d: "x" }), {
    b: null,
    c: [1, 2],
    d: "x",
  });
  t.true(jsonEqual({ a: 1, b: { c: 2 } }, { b: { c: 2 }, a: 1 }));
  t.false(jsonEqual({ a: [1, 2] }, { a: [2, 1] }));
});
