import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import anyTest, { type TestFn } from "ava";
import { parse, stringify } from "yaml";
import { dashboardQueries } from "../../src/dashboards.ts";
import { RULE_TESTS_FILE, RULES_FILE } from "../../src/generate.ts";
import { ruleTestsYaml } from "../../src/rule-tests.ts";
import { alertRules, rulesYaml } from "../../src/rules.ts";

const PROMTOOL = "/usr/bin/promtool";
const test = anyTest as TestFn<{ dir: string }>;

test.before((t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-promtool-"));
  writeFileSync(join(dir, RULES_FILE), rulesYaml());
  writeFileSync(join(dir, RULE_TESTS_FILE), ruleTestsYaml(RULES_FILE));
  t.context = { dir };
});

test.after.always((t) => {
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

/** Runs promtool in the temp dir; fails (never skips) when it is not installed. */
function promtool(dir: string, args: string[]): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} is missing: \`node scripts/bootstrap.mjs --stack\` installs Debian's prometheus package`,
    );
  }
  const r = spawnSync(PROMTOOL, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

test("promtool check rules accepts the generated rules file", (t) => {
  const r = promtool(t.context.dir, ["check", "rules", RULES_FILE]);
  t.is(r.status, 0, r.output);
  t.regex(r.output, /SUCCESS/);
});

test("promtool test rules: every alert's firing and quiet cases pass", (t) => {
  const r = promtool(t.context.dir, ["test", "rules", RULE_TESTS_FILE]);
  t.is(r.status, 0, r.output);
  t.regex(r.output, /SUCCESS/);
});

test("every alert has at least one firing and one non-firing promtool case", (t) => {
  type Case = { alertname: string; exp_alerts: unknown[] };
  const doc = parse(ruleTestsYaml(RULES_FILE)) as { tests: { alert_rule_test: Case[] }[] };
  const cases = doc.tests.flatMap((x) => x.alert_rule_test);
  for (const rule of alertRules().flatMap((g) => g.rules)) {
    const own = cases.filter((c) => c.alertname === rule.alert);
    t.true(
      own.some((c) => c.exp_alerts.length > 0),
      `${rule.alert} has no firing case`,
    );
    t.true(
      own.some((c) => c.exp_alerts.length === 0),
      `${rule.alert} has no non-firing case`,
    );
  }
});

test("every dashboard query is valid PromQL (checked by promtool as recording rules)", (t) => {
  const rules = dashboardQueries().map((q, i) => ({
    record: `hyperhash:dashboard_query:${i}`,
    expr: q.expr.replaceAll("$__rate_interval", "5m"),
  }));
  writeFileSync(
    join(t.context.dir, "dashboards.rules.yaml"),
    stringify({ groups: [{ name: "dashboards", rules }] }),
  );
  const r = promtool(t.context.dir, ["check", "rules", "dashboards.rules.yaml"]);
  t.is(r.status, 0, r.output);
  t.regex(r.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});
