/**
 * Writes (or with `--check`, verifies) every generated observability file:
 *
 *   npx tsx observability/src/generate.ts [--check]
 *
 * - observability/generated/dashboards/<uid>.json (stale dashboard files are removed),
 * - observability/generated/prometheus/hyperhash.rules.yaml and hyperhash.rules.test.yaml,
 * - the metrics section of each service README named in the catalog.
 *
 * Output is already in the form `biome format` gives it (JSON layout, padded Markdown tables;
 * the YAML of `yaml`'s stringify is stable under biome), so `biome check` and the in-sync test
 * agree. `--check` writes nothing and exits 1 listing every stale, missing or extra file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { metricCatalog, type ServiceMetrics, withMetricsSection } from "./catalog.ts";
import { dashboards } from "./dashboards.ts";
import { ruleTestsYaml } from "./rule-tests.ts";
import { rulesYaml } from "./rules.ts";

/** Where the generated files live, relative to the repository root. */
export const DASHBOARDS_DIR = "observability/generated/dashboards";
export const PROMETHEUS_DIR = "observability/generated/prometheus";
export const RULES_FILE = "hyperhash.rules.yaml";
export const RULE_TESTS_FILE = "hyperhash.rules.test.yaml";

/** One generated file: its path relative to the repository root and its full content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

const LINE_WIDTH = 110;

/**
 * JSON laid out as biome formats it (2 spaces, width 110): objects always expanded, arrays of
 * scalars on one line when they fit, any other array one element per line.
 */
export function formatJson(value: unknown, indent = "", prefix = "", suffix = ""): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const scalars = value.every((v) => v === null || typeof v !== "object");
    if (scalars) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
      if (indent.length + prefix.length + flat.length + suffix.length <= LINE_WIDTH) return flat;
    }
    const items = value.map((v, i) => inner + formatJson(v, inner, "", i < value.length - 1 ? "," : ""));
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([k, v], i) => {
      const key = `${JSON.stringify(k)}: `;
      return inner + key + formatJson(v, inner, key, i < entries.length - 1 ? "," : "");
    });
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** Splits a Markdown table row into its cells (a `\|` stays inside its cell). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Pads every Markdown table in `text` the way biome does (columns as wide as their widest cell). */
export function padMarkdownTables(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]!.startsWith("|")) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    const block: string[][] = [];
    while (i < lines.length && lines[i]!.startsWith("|")) block.push(cells(lines[i++]!));
    const widths = block[0]!.map((_, c) =>
      Math.max(3, ...block.map((r, n) => (n === 1 ? 3 : [...(r[c] ?? "")].length))),
    );
    for (const [n, r] of block.entries()) {
      const padded = widths.map((w, c) =>
        n === 1 ? "-".repeat(w) : (r[c] ?? "") + " ".repeat(w - [...(r[c] ?? "")].length),
      );
      out.push(`| ${padded.join(" | ")} |`);
    }
  }
  return out.join("\n");
}

const BEGIN_MARK = "<!-- metrics:begin";
const END_MARK = "<!-- metrics:end -->";

/**
 * The README with its generated metrics section. A README that already has a hand-written
 * "## Metrics" heading gets the section at the end of that chapter (instead of a second heading
 * at the end of the file); catalog.ts then replaces it between its markers on every run.
 */
export function readmeWithMetrics(readme: string, service: ServiceMetrics): string {
  let text = readme;
  const heading = /^## Metrics\b.*$/m.exec(text);
  if (!text.includes(BEGIN_MARK) && heading) {
    const after = heading.index + heading[0].length;
    const next = text.slice(after).search(/^## /m);
    const at = next < 0 ? text.length : after + next;
    const rest = text.slice(at);
    text = `${text.slice(0, at).trimEnd()}\n\n${BEGIN_MARK} -->\n${END_MARK}\n${rest ? `\n${rest}` : ""}`;
  }
  const withSection = withMetricsSection(text, service);
  const begin = withSection.indexOf(BEGIN_MARK);
  const end = withSection.indexOf(END_MARK) + END_MARK.length;
  return (
    withSection.slice(0, begin) + padMarkdownTables(withSection.slice(begin, end)) + withSection.slice(end)
  );
}

/** Every file the generator owns, with the content it must have (paths relative to `root`). */
export function generatedFiles(root: string): GeneratedFile[] {
  const files: GeneratedFile[] = dashboards().map((d) => ({
    path: `${DASHBOARDS_DIR}/${d.uid}.json`,
    content: `${formatJson(d)}\n`,
  }));
  files.push({ path: `${PROMETHEUS_DIR}/${RULES_FILE}`, content: rulesYaml() });
  files.push({ path: `${PROMETHEUS_DIR}/${RULE_TESTS_FILE}`, content: ruleTestsYaml(RULES_FILE) });
  for (const service of metricCatalog()) {
    const readme = readFileSync(join(root, service.readme), "utf8");
    files.push({ path: service.readme, content: readmeWithMetrics(readme, service) });
  }
  return files;
}

/** Files in the dashboards directory the generator no longer produces (relative to `root`). */
export function staleFiles(root: string, files: readonly GeneratedFile[]): string[] {
  const dir = join(root, DASHBOARDS_DIR);
  if (!existsSync(dir)) return [];
  const wanted = new Set(files.map((f) => f.path));
  return readdirSync(dir)
    .map((f) => `${DASHBOARDS_DIR}/${f}`)
    .filter((p) => !wanted.has(p))
    .sort();
}

/** What differs between the disk and the generator: one line per file. */
export function driftReport(root: string): string[] {
  const files = generatedFiles(root);
  const problems: string[] = [];
  for (const f of files) {
    const at = join(root, f.path);
    if (!existsSync(at)) problems.push(`missing: ${f.path}`);
    else if (readFileSync(at, "utf8") !== f.content) problems.push(`stale: ${f.path}`);
  }
  for (const p of staleFiles(root, files)) problems.push(`no longer generated: ${p}`);
  return problems;
}

function main(argv: readonly string[]): number {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  if (argv.includes("--check")) {
    const problems = driftReport(root);
    if (problems.length === 0) return 0;
    console.error(`${problems.join("\n")}\nrun: npx tsx observability/src/generate.ts`);
    return 1;
  }
  const files = generatedFiles(root);
  for (const f of files) {
    const at = join(root, f.path);
    if (existsSync(at) && readFileSync(at, "utf8") === f.content) continue;
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, f.content);
    console.log(`wrote ${f.path}`);
  }
  for (const p of staleFiles(root, files)) {
    rmSync(join(root, p));
    console.log(`removed ${p}`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
