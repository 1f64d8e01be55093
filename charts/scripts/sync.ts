/**
 * Copies generated output into the chart: the operator's `crds/*.yaml` →
 * `charts/hyperhash/files/crds/`, `operator/config/rbac.yaml` → `charts/hyperhash/files/rbac/`,
 * and the observability generator's `observability/generated/dashboards/*.json` →
 * `charts/hyperhash/files/dashboards/`, `observability/generated/prometheus/hyperhash.rules.yaml`
 * → `charts/hyperhash/files/prometheus/`.
 * The copies are byte-identical (templates read them with `.Files.Get`, so nothing is escaped or
 * edited by hand); `--check` exits 1 when a copy is missing, stale or no longer generated, or
 * when a generated input is missing (the message names the command that makes it).
 *
 *   npx tsx charts/scripts/sync.ts           write the copies
 *   npx tsx charts/scripts/sync.ts --check   report drift, write nothing
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is charts/scripts/sync.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The chart directory. */
export const chartDir = join(repoRoot, "charts", "hyperhash");

/** The command that writes observability/generated (dashboards and the Prometheus rules). */
export const OBSERVABILITY_GENERATOR = "npx tsx observability/src/generate.ts";

/** The chart's `files/` subdirectories that hold nothing but copies (stale files are removed). */
const COPY_DIRS = ["crds", "rbac", "dashboards", "prometheus"] as const;

/** One generated file and where the chart keeps its copy. */
export interface ChartCopy {
  source: string;
  target: string;
}

/** A generated input of the chart is missing: `message` names the command that makes it. */
export class MissingGeneratedInput extends Error {
  constructor(path: string, generator: string) {
    super(`${path} is missing: run \`${generator}\` first`);
    this.name = "MissingGeneratedInput";
  }
}

/** Every copy the chart needs, from what the operator and the observability generator produce today. */
export function chartCopies(root = repoRoot): ChartCopy[] {
  const files = join(root, "charts", "hyperhash", "files");
  const crds = readdirSync(join(root, "crds"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ source: join(root, "crds", f), target: join(files, "crds", f) }));
  const generated = join(root, "observability", "generated");
  const dashboardsDir = join(generated, "dashboards");
  if (!existsSync(dashboardsDir))
    throw new MissingGeneratedInput(dashboardsDir.slice(root.length + 1), OBSERVABILITY_GENERATOR);
  const dashboards = readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ source: join(dashboardsDir, f), target: join(files, "dashboards", f) }));
  const rules = join(generated, "prometheus", "hyperhash.rules.yaml");
  if (!existsSync(rules))
    throw new MissingGeneratedInput(rules.slice(root.length + 1), OBSERVABILITY_GENERATOR);
  return [
    ...crds,
    {
      source: join(root, "operator", "config", "rbac.yaml"),
      target: join(files, "rbac", "clusterrole.yaml"),
    },
    ...dashboards,
    { source: rules, target: join(files, "prometheus", "hyperhash.rules.yaml") },
  ];
}

function readOrEmpty(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The files of a directory; none when it does not exist (yet). */
function listOrEmpty(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** What differs between the generated output and the chart's copies (empty: in sync). */
export function chartDrift(root = repoRoot): string[] {
  const copies = chartCopies(root);
  const drift = copies
    .filter((c) => readOrEmpty(c.target) !== readFileSync(c.source, "utf8"))
    .map((c) => `${c.target.slice(root.length + 1)} differs from ${c.source.slice(root.length + 1)}`);
  const wanted = new Set(copies.map((c) => c.target));
  for (const sub of COPY_DIRS) {
    const dir = join(root, "charts", "hyperhash", "files", sub);
    for (const f of listOrEmpty(dir)) {
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
  for (const sub of COPY_DIRS) {
    const dir = join(root, "charts", "hyperhash", "files", sub);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (!wanted.has(join(dir, f))) rmSync(join(dir, f));
  }
  for (const c of copies) writeFileSync(c.target, readFileSync(c.source, "utf8"));
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
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
  } catch (error) {
    if (!(error instanceof MissingGeneratedInput)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
