/**
 * The platform's Prometheus: the devnet's Prometheus scraping the `ops`/`metrics` ports of every
 * running pod in the platform's namespace over the devnet's pod network, and evaluating the
 * project's generated alert rules. Debian's prometheus has no Kubernetes discovery, so pods are
 * listed here from the cluster's API every second and written, atomically, to the file
 * Prometheus discovers targets from (the labels Kubernetes discovery would give: job from the
 * component, namespace, pod, hypernode).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { type Prometheus, startPrometheus } from "./prometheus.ts";
import { waitFor } from "./wait.ts";

/** The generated rules file (observability/generated; `npx tsx observability/src/generate.ts`). */
export const RULES_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "observability",
  "generated",
  "prometheus",
  "hyperhash.rules.yaml",
);

/**
 * The job names of the platform's components, from the pod labels the chart
 * (`app.kubernetes.io/component`) and the operator's builders (`app.kubernetes.io/name`) set.
 * A managed node's agent is a sidecar in its lnd pod: that pod's `ops` port is the agent's.
 */
export const COMPONENT_JOBS: Readonly<Record<string, string>> = {
  pool: "hh-pool",
  "template-provider": "hh-tp",
  translator: "hh-translator",
  core: "hyperhash-core",
  treasury: "hh-treasury",
  "node-agent": "hh-node-agent",
  lnd: "hh-node-agent",
  operator: "operator",
};

/** Every job the platform's pods export (chart components and the operator's workloads). */
export const PLATFORM_JOBS = [
  "hh-pool",
  "hh-tp",
  "hyperhash-core",
  "hh-treasury",
  "operator",
  "hh-translator",
  "hh-node-agent",
] as const;

/** One file_sd group. */
interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The scrape targets of `pods`: each running pod's `ops` or `metrics` container ports. */
export function podTargets(pods: readonly k8s.V1Pod[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (pod.status?.phase !== "Running" || !ip || pod.metadata?.deletionTimestamp) continue;
    const labels = pod.metadata?.labels ?? {};
    const component = labels["app.kubernetes.io/component"] ?? labels["app.kubernetes.io/name"] ?? "";
    const job = COMPONENT_JOBS[component];
    if (!job) continue;
    for (const container of pod.spec?.containers ?? []) {
      for (const port of container.ports ?? []) {
        if (port.name !== "ops" && port.name !== "metrics") continue;
        groups.push({
          targets: [`${ip}:${port.containerPort}`],
          labels: {
            job,
            namespace: pod.metadata?.namespace ?? "",
            pod: pod.metadata?.name ?? "",
            container: container.name,
            ...(labels["hyperhash.network/hypernode"]
              ? { hypernode: labels["hyperhash.network/hypernode"] }
              : {}),
          },
        });
      }
    }
  }
  return groups.sort((a, b) => a.targets[0]!.localeCompare(b.targets[0]!));
}

/** A Prometheus on the platform, with a wait for every job's targets to be up. */
export interface PlatformPrometheus extends Prometheus {
  /** Waits until every job of `jobs` has a target and all its targets are up; returns the jobs. */
  waitForJobs(jobs?: readonly string[], timeoutMs?: number): Promise<string[]>;
}

/** Starts it; the rules file must have been generated (it is checked in). */
export async function platformPrometheus(options: {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly namespace: string;
}): Promise<PlatformPrometheus> {
  if (!existsSync(RULES_FILE))
    throw new Error(`${RULES_FILE} is missing: run npx tsx observability/src/generate.ts`);
  mkdirSync(options.dir, { recursive: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const targetsPath = join(options.dir, "pods.json");
  let written = "";
  const discover = async () => {
    const pods = await core.listNamespacedPod({ namespace: options.namespace });
    const text = `${JSON.stringify(podTargets(pods.items), null, 2)}\n`;
    if (text === written) return;
    writeFileSync(`${targetsPath}.tmp`, text);
    renameSync(`${targetsPath}.tmp`, targetsPath);
    written = text;
  };
  writeFileSync(targetsPath, "[]\n");
  await discover().catch(() => {});
  const prometheus = await startPrometheus({
    dir: options.dir,
    fileDiscovery: { job: "platform-pods", path: targetsPath },
    ruleFiles: [RULES_FILE],
  });
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await discover().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return {
    ...prometheus,
    async stop() {
      stopped = true;
      await loop;
      await prometheus.stop();
    },
    async waitForJobs(jobs = PLATFORM_JOBS, timeoutMs = 120_000) {
      let last = "";
      try {
        return await waitFor(
          async () => {
            const targets = await prometheus.targets();
            const down = jobs.filter((j) => {
              const of = targets.filter((t) => t.job === j);
              return of.length === 0 || of.some((t) => t.health !== "up");
            });
            last = down
              .map((j) => `${j}: ${targets.find((t) => t.job === j)?.lastError || "no target"}`)
              .join("; ");
            return down.length === 0 ? [...jobs] : undefined;
          },
          { what: "every platform job scraped", timeoutMs, intervalMs: 1_000 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}: ${last}`);
      }
    },
  };
}
