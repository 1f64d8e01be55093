import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { collectDefaultMetrics, Registry } from "prom-client";
import { metricNames } from "../../src/catalog.ts";
import { DATASOURCE_UID, dashboardQueries, dashboards } from "../../src/dashboards.ts";
import { formatJson, generatedFiles, padMarkdownTables, staleFiles } from "../../src/generate.ts";
import { renderAnnotation, ruleTestCases } from "../../src/rule-tests.ts";
import { alertRules, rulesYaml } from "../../src/rules.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const REGENERATE = "run npx tsx observability/src/generate.ts";

/** Names a scrape can return: the catalog, Prometheus' `up`, and prom-client's process defaults. */
function knownMetrics(): Set<string> {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const names = metricNames();
  names.add("up");
  for (const m of defaults.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (String(type) === "histogram") for (const x of ["_bucket", "_sum", "_count"]) names.add(name + x);
  }
  return names;
}

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool"]);
PROMQL_WORDS.add("and").add("or").add("unless").add("offset").add("inf").add("nan");

/**
 * The metric names a PromQL expression selects, roughly: label values, label matchers, ranges
 * (durations, `$__rate_interval`) and grouping label lists are removed first; what remains and
 * is neither a keyword nor followed by `(` (a function) is a metric name.
 */
function metricIdentifiers(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const found = stripped.matchAll(/(?<![\w:$.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g);
  return [...found].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w.toLowerCase()));
}

const unknownIn = (expr: string, known: Set<string>) => metricIdentifiers(expr).filter((n) => !known.has(n));

test("STYLE rule 1: generated files on disk equal the generator's output", (t) => {
  const files = generatedFiles(root);
  for (const f of files) {
    const at = join(root, f.path);
    if (!existsSync(at)) {
      t.fail(`${f.path} is missing: ${REGENERATE}`);
      continue;
    }
    t.is(readFileSync(at, "utf8"), f.content, `${f.path} drifted from observability/src: ${REGENERATE}`);
  }
  t.deepEqual(staleFiles(root, files), [], `dashboards no longer generated are still on disk: ${REGENERATE}`);
});

test("the metric-name check finds a fabricated name and ignores labels, keywords, functions and ranges", (t) => {
  const known = knownMetrics();
  const expr =
    'sum by (job, le) (rate(hyperhash_pool_made_up_total{reason="stale-share",job=~"hh-.*"}[$__rate_interval])) ' +
    "/ on (job) group_left (instance) up offset 5m > bool 0.5 unless hyperhash_pool_connections or vector(0)";
  t.deepEqual(metricIdentifiers(expr), ["hyperhash_pool_made_up_total", "up", "hyperhash_pool_connections"]);
  t.deepEqual(unknownIn(expr, known), ["hyperhash_pool_made_up_total"]);
  t.deepEqual(
    unknownIn("histogram_quantile(0.99, sum by (le) (rate(process_cpu_seconds_totl[5m])))", known),
    ["process_cpu_seconds_totl"],
  );
});

test("every dashboard query selects only metrics the services export", (t) => {
  const known = knownMetrics();
  const queries = dashboardQueries();
  t.true(queries.length > 50, `${queries.length} queries`);
  for (const q of queries) {
    t.true(metricIdentifiers(q.expr).length > 0, `${q.dashboard} / ${q.panel}: no metric in ${q.expr}`);
    t.deepEqual(unknownIn(q.expr, known), [], `${q.dashboard} / ${q.panel}: ${q.expr}`);
  }
});

test("every alert expression selects only metrics the services export", (t) => {
  const known = knownMetrics();
  for (const rule of alertRules().flatMap((g) => g.rules)) {
    t.deepEqual(unknownIn(rule.expr, known), [], `${rule.alert}: ${rule.expr}`);
  }
});

test("dashboard rates use $__rate_interval; every target reads the datasource variable", (t) => {
  for (const q of dashboardQueries()) {
    for (const m of q.expr.matchAll(/\b(?:i?rate)\([^[]*\[([^\]]+)\]/g)) {
      t.is(m[1], "$__rate_interval", `${q.dashboard} / ${q.panel}: ${q.expr}`);
    }
  }
  for (const d of dashboards()) {
    t.deepEqual(
      d.templating.list.map((v) => [v.name, v.type, v.query]),
      [["datasource", "datasource", "prometheus"]],
    );
    for (const p of d.panels) {
      if (p.type === "row") continue;
      t.deepEqual(p.datasource, { type: "prometheus", uid: DATASOURCE_UID });
      for (const target of p.targets) t.is(target.datasource.uid, DATASOURCE_UID);
      t.deepEqual(
        p.targets.map((x) => x.refId),
        p.targets.map((_, i) => String.fromCharCode(65 + i)),
      );
    }
  }
});

test("five dashboards with stable unique uids, unique panel ids and panels inside the 24-column grid", (t) => {
  const all = dashboards();
  t.is(all.length, 5);
  const uids = all.map((d) => d.uid);
  t.is(new Set(uids).size, uids.length);
  for (const d of all) {
    t.regex(d.uid, /^hyperhash-[a-z-]+$/);
    t.is(d.schemaVersion, 39);
    const ids = d.panels.map((p) => p.id);
    t.is(new Set(ids).size, ids.length, `${d.uid}: duplicate panel id`);
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      t.true(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${d.uid} / ${p.title}: ${JSON.stringify(p.gridPos)}`);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          t.false(cells.has(`${i},${j}`), `${d.uid} / ${p.title} overlaps another panel`);
          cells.add(`${i},${j}`);
        }
    }
  }
});

test("every alert has a severity, a templated summary and a runbook that says what to run", (t) => {
  const rules = alertRules().flatMap((g) => g.rules);
  const names = rules.map((r) => r.alert);
  t.is(new Set(names).size, names.length);
  for (const r of rules) {
    t.true(["critical", "warning"].includes(r.labels.severity), r.alert);
    t.regex(r.for, /^\d+[mh]$/, r.alert);
    t.true(r.annotations.runbook.length > 300, `${r.alert}: runbook too short`);
    t.regex(r.annotations.runbook, /kubectl|curl/, `${r.alert}: runbook names no command`);
    t.notRegex(r.annotations.runbook, /^https?:\/\//, `${r.alert}: runbook is a URL`);
  }
  t.true(rulesYaml().includes("\ngroups:\n"));
});

test("renderAnnotation: $labels and printf of $value as Prometheus renders them; other forms refused", (t) => {
  t.is(
    renderAnnotation('{{ $labels.job }} is {{ printf "%.2f" $value }}', { job: "hh-pool" }, 0.2),
    "hh-pool is 0.20",
  );
  t.throws(() => renderAnnotation("{{ $labels.pod }}", { job: "x" }, 0), { message: /pod/ });
  t.throws(() => renderAnnotation("{{ $value | humanize }}", {}, 0), { message: /unsupported/ });
  for (const c of ruleTestCases())
    t.true(
      c.firing.every((f) => Object.keys(f.labels).length > 0),
      c.name,
    );
});

test("formatJson lays out like biome; padMarkdownTables pads columns", (t) => {
  t.is(
    formatJson({ a: [1, 2], b: {}, c: [{ d: "x" }], e: [] }),
    '{\n  "a": [1, 2],\n  "b": {},\n  "c": [\n    {\n      "d": "x"\n    }\n  ],\n  "e": []\n}',
  );
  t.is(
    padMarkdownTables("| a | bb |\n| --- | --- |\n| ccc\\|c | — |"),
    "| a      | bb  |\n| ------ | --- |\n| ccc\\|c | —   |",
  );
});
