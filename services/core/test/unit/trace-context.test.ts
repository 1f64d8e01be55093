// W3C trace context on Core's API: a valid `traceparent` keeps its trace id (a new span), a
// missing or malformed one starts a new trace; the API call's log line carries both ids.
import { parseTraceparent, traceContext } from "@hyperhash/telemetry";
import test from "ava";
import fc from "fast-check";
import { ADMIN, fakeChain, removeDir, startTestCore } from "../support/harness.ts";

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

test("traceparent: valid headers parse; other versions, zero ids, bad lengths and case do not", (t) => {
  fc.assert(
    fc.property(hex(32), hex(16), hex(2), (trace, parent, flags) => {
      const parsed = parseTraceparent(`00-${trace}-${parent}-${flags}`);
      const zero = /^0+$/.test(trace) || /^0+$/.test(parent);
      return zero ? parsed === null : parsed?.traceId === trace && parsed.parentId === parent;
    }),
  );
  for (const bad of [
    undefined,
    "",
    `01-${"a".repeat(32)}-${"b".repeat(16)}-01`,
    `00-${"0".repeat(32)}-${"b".repeat(16)}-01`,
    `00-${"a".repeat(32)}-${"0".repeat(16)}-01`,
    `00-${"A".repeat(32)}-${"b".repeat(16)}-01`,
    `00-${"a".repeat(31)}-${"b".repeat(16)}-01`,
    `00-${"a".repeat(32)}-${"b".repeat(16)}-01-extra`,
  ]) {
    t.is(parseTraceparent(bad), null, String(bad));
  }
  const fresh = traceContext(undefined);
  t.regex(fresh.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  t.not(traceContext(undefined).traceId, fresh.traceId, "each new trace is its own");
});

test("Core answers with a traceparent in the caller's trace and logs trace_id and span_id", async (t) => {
  const h = await startTestCore(fakeChain());
  t.teardown(async () => {
    await h.stop();
    removeDir(h.dir);
  });
  const caller = `00-${"4bf92f3577b34da6a3ce929d0e0e4736"}-${"00f067aa0ba902b7"}-01`;
  const res = await fetch(`${h.base}/api/v1/nodes`, {
    headers: { authorization: `Bearer ${ADMIN}`, traceparent: caller },
  });
  t.is(res.status, 200);
  const answered = parseTraceparent(res.headers.get("traceparent") ?? undefined);
  t.is(answered?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace is kept");
  t.not(answered?.parentId, "00f067aa0ba902b7", "Core's own span");
  const bad = await fetch(`${h.base}/api/v1/nodes`, {
    headers: { authorization: `Bearer ${ADMIN}`, traceparent: "garbage" },
  });
  const started = parseTraceparent(bad.headers.get("traceparent") ?? undefined);
  t.truthy(started, "a malformed header starts a new trace");
  t.not(started?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  const calls = h.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === "api call");
  t.true(
    calls.some((l) => l.trace_id === "4bf92f3577b34da6a3ce929d0e0e4736" && l.span_id === answered?.parentId),
    "the API call's log line carries the trace and span ids",
  );
});
