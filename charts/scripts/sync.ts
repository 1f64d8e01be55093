/**
 * Copies the operator's generated output into the chart: `crds/*.yaml` →
 * `charts/hyperhash/files/crds/`, `operator/config/rbac.yaml` → `charts/hyperhash/files/rbac/`.
 * The copies are byte-identical (templates read them with `.Files.Get`, so nothing is escaped or
 * edited by hand); `--check` exits 1 when a copy is missing, stale or no longer generated.
 *
 *   npx tsx charts/scripts/sync.ts           write the copies
 *   npx tsx charts/scripts/sync.ts --check   report drift, write nothing
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is charts/scripts/sync.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The chart directory. */
export const chartDir = join(repoRoot, "charts", "hyperhash");

/** One generated file and where the chart keeps its copy. */
export interface ChartCopy {
  source: string;
  target: string;
}

/** Every copy the chart needs, from what the operator generates today. */
export function chartCopies(root = repoRoot): ChartCopy[] {
  const crds = readdirSync(join(root, "crds"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({
      source: join(root, "crds", f),
      target: join(root, "charts", "hyperhash", "files", "crds", f),
    }));
  return [
    ...crds,
    {
      source: join(root, "operator", "config", "rbac.yaml"),
      target: join(root, "charts", "hyperhash", "files", "rbac", "clusterrole.yaml"),
    },
  ];
}

function readOrEmpty(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** What differs between the generated output and the chart's copies (empty: in sync). */
export function chartDrift(root = repoRoot): string[] {
  const copies = chartCopies(root);
  const drift = copies
    .filter((c) => readOrEmpty(c.target) !== readFileSync(c.source, "utf8"))
    .map((c) => `${c.target.slice(root.length + 1)} differs from ${c.source.slice(root.length + 1)}`);
  const wanted = new Set(copies.map((c) => c.target));
  for (const sub of ["crds", "rbac"]) {
    const dir = join(root, "charts", "hyperhash", "files", sub);
    for (const f of readdirSync(dir)) {
      if (!wanted.has(join(dir, f)))
        drift.push(`${join(dir, f).slice(root.length + 1)} is no longer generated`);
    }
  }
  return drift;
}

/** Writes every copy and removes copies whose source is gone; returns what changed. */
export function syncChart(root = repoRoot): string[] {
  const changed = chartDrift(root);
  const copies = chartCopies(root);
  const wanted = new Set(copies.map((c) => c.target));
  for (const sub of ["crds", "rbac"]) {
    const dir = join(root, "charts", "hyperhash", "files", sub);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (!wanted.has(join(dir, f))) rmSync(join(dir, f));
  }
  for (const c of copies) writeFileSync(c.target, readFileSync(c.source, "utf8"));
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const drift = chartDrift();
    for (const line of drift) console.error(line);
    if (drift.length > 0) {
      console.error("run: npx tsx charts/scripts/sync.ts");
      process.exit(1);
    }
  } else {
    for (const line of syncChart()) console.log(`synced: ${line}`);
  }
}
