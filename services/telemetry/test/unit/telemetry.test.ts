import { createLogger, createMetricsRegistry, startOpsServer } from "@hyperhash/telemetry";
import test from "ava";
import { Counter } from "prom-client";

test("log lines are JSON with a level, and secrets are redacted at any depth", (t) => {
  const lines: string[] = [];
  const log = createLogger({
    service: "pool",
    level: "info",
    write: (l) => lines.push(l),
    now: () => new Date(0),
  });
  log.debug("dropped below the level");
  log
    .child({ connection: 7 })
    .info("connected", { rpcPassword: "hunter2", nested: { macaroon: "abc" }, sats: 5n });
  t.is(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  t.like(record, { level: "info", service: "pool", msg: "connected", connection: 7, sats: "5" });
  t.is(record.rpcPassword, "[redacted]");
  t.is(record.nested.macaroon, "[redacted]");
  t.false(lines[0]!.includes("hunter2"));
});

test("the ops server serves /metrics, /healthz and /readyz with reasons", async (t) => {
  const registry = createMetricsRegistry();
  new Counter({ name: "hyperhash_test_events_total", help: "test", registers: [registry] }).inc(3);
  let reason: string | undefined = "template provider not connected";
  const ops = await startOpsServer({ registry, ready: [() => reason] });
  t.teardown(() => ops.close());
  const base = `http://127.0.0.1:${ops.port}`;
  t.regex(await (await fetch(`${base}/metrics`)).text(), /hyperhash_test_events_total 3/);
  t.is((await fetch(`${base}/healthz`)).status, 200);
  const notReady = await fetch(`${base}/readyz`);
  t.is(notReady.status, 503);
  t.regex(await notReady.text(), /template provider not connected/);
  reason = undefined;
  t.is((await fetch(`${base}/readyz`)).status, 200);
  t.is((await fetch(`${base}/nope`)).status, 404);
});
