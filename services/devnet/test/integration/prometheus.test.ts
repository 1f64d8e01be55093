// The devnet's Prometheus (Debian's package, on loopback) scrapes a real ops server, answers
// instant queries with the exported values, and evaluates a rule file: an alert on `up == 0`
// goes pending and fires after its `for` once the target stops answering.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPrometheus, waitFor } from "@hyperhash/devnet";
import { createMetricsRegistry, startOpsServer } from "@hyperhash/telemetry";
import test from "ava";
import { Counter } from "prom-client";

test("Prometheus scrapes an ops server, queries its counter, and fires an alert when the target goes down", async (t) => {
  t.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), "hh-prometheus-"));
  const registry = createMetricsRegistry();
  const counter = new Counter({ name: "hyperhash_test_events_total", help: "test", registers: [registry] });
  counter.inc(41);
  counter.inc();
  const ops = await startOpsServer({ registry, host: "127.0.0.1", port: 0 });
  let opsOpen = true;
  const rules = join(dir, "rules.yaml");
  writeFileSync(
    rules,
    [
      "groups:",
      "  - name: test",
      "    rules:",
      "      - alert: TestTargetDown",
      '        expr: up{job="test"} == 0',
      "        for: 4s",
      "        labels: { severity: warning }",
      "        annotations: { summary: the test target is down }",
      "",
    ].join("\n"),
  );
  const prometheus = await startPrometheus({
    dir,
    staticJobs: [{ job: "test", ports: [ops.port] }],
    ruleFiles: [rules],
    intervalSeconds: 1,
  });
  t.teardown(async () => {
    await prometheus.stop();
    if (opsOpen) await ops.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const value = await waitFor(
    async () => (await prometheus.query('hyperhash_test_events_total{job="test"}'))[0]?.value,
    { what: "the counter scraped", timeoutMs: 30_000, intervalMs: 250 },
  );
  t.is(value, 42);
  t.deepEqual(
    (await prometheus.targets()).map((x) => [x.job, x.health]),
    [["test", "up"]],
  );
  await t.throwsAsync(prometheus.query("sum(("), { message: /bad_data|parse error/ });
  t.deepEqual(await prometheus.alerts(), [], "nothing fires while the target answers");

  await ops.close();
  opsOpen = false;
  const states: string[] = [];
  const firing = await waitFor(
    async () => {
      const a = (await prometheus.alerts()).find((x) => x.labels.alertname === "TestTargetDown");
      if (a && states.at(-1) !== a.state) states.push(a.state);
      return a?.state === "firing" ? a : undefined;
    },
    { what: "TestTargetDown firing", timeoutMs: 60_000, intervalMs: 250 },
  );
  t.is(firing.labels.severity, "warning");
  t.deepEqual(states, ["pending", "firing"], "pending for its `for`, then firing");
});
