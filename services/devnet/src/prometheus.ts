/**
 * A real Prometheus (Debian's `prometheus` package, installed by the bootstrap) for the devnet:
 * on 127.0.0.1 on a free port, its TSDB in a temporary directory, stopped by its own pid. It
 * scrapes static loopback targets (the in-process composition) and targets from a discovery
 * file (the devnet cluster's pods, platform-prometheus.ts), and evaluates the project's rule
 * files. Its HTTP API is read with validated answers (instant queries, alerts, targets).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { freePort } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** Where Debian's package puts the server. */
export const PROMETHEUS_BINARY = "/usr/bin/prometheus";

/** A static scrape job: one or more loopback ops ports. */
export interface StaticJob {
  readonly job: string;
  readonly ports: readonly number[];
}

/**
 * File-based discovery: Prometheus watches a JSON file of `{ targets, labels }` groups. Debian's
 * prometheus is built without Kubernetes discovery (kubernetes_sd_configs is not in its config
 * schema), so the devnet lists the cluster's pods itself and writes this file
 * (platform-prometheus.ts).
 */
export interface FileDiscovery {
  readonly job: string;
  readonly path: string;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  readonly dir: string;
  readonly staticJobs?: readonly StaticJob[];
  readonly fileDiscovery?: FileDiscovery;
  /** Rule files (absolute paths) to evaluate. */
  readonly ruleFiles?: readonly string[];
  /** Scrape and rule evaluation interval (default 2 s: a devnet moves fast). */
  readonly intervalSeconds?: number;
}

/** One sample of an instant vector. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** An alert as the server reports it. */
export interface ActiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: "pending" | "firing" | "inactive";
  readonly activeAt?: string;
}

/** A running Prometheus. */
export interface Prometheus {
  readonly url: string;
  readonly process: ManagedProcess;
  readonly configPath: string;
  /** Instant query; throws with the server's error for a bad expression. */
  query(expr: string): Promise<Sample[]>;
  alerts(): Promise<ActiveAlert[]>;
  /** Active targets: job, health and last error. */
  targets(): Promise<{ job: string; health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

const apiEnvelope = z.object({
  status: z.enum(["success", "error"]),
  data: z.unknown().optional(),
  error: z.string().optional(),
  errorType: z.string().optional(),
});
const vectorData = z.object({
  resultType: z.string(),
  result: z.array(
    z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) }),
  ),
});
const scalarData = z.object({ resultType: z.literal("scalar"), result: z.tuple([z.number(), z.string()]) });
const alertsData = z.object({
  alerts: z.array(
    z.object({
      labels: z.record(z.string(), z.string()),
      state: z.enum(["pending", "firing", "inactive"]),
      activeAt: z.string().optional(),
    }),
  ),
});
const targetsData = z.object({
  activeTargets: z.array(
    z.object({
      labels: z.record(z.string(), z.string()),
      health: z.string(),
      lastError: z.string(),
      scrapeUrl: z.string(),
    }),
  ),
});

/** The scrape configuration (YAML is a superset of JSON: written as JSON). */
export function prometheusConfig(options: Omit<PrometheusOptions, "dir">): object {
  const interval = `${options.intervalSeconds ?? 2}s`;
  const scrapeConfigs: object[] = (options.staticJobs ?? []).map((j) => ({
    job_name: j.job,
    static_configs: [{ targets: j.ports.map((p) => `127.0.0.1:${p}`) }],
  }));
  if (options.fileDiscovery) {
    scrapeConfigs.push({
      job_name: options.fileDiscovery.job,
      file_sd_configs: [{ files: [options.fileDiscovery.path], refresh_interval: "5s" }],
    });
  }
  return {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: [...(options.ruleFiles ?? [])],
    scrape_configs: scrapeConfigs,
  };
}

/** Starts Prometheus; fails saying how to install it when the binary is missing. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  if (!existsSync(PROMETHEUS_BINARY)) {
    throw new Error(
      `${PROMETHEUS_BINARY} is missing: \`node scripts/bootstrap.mjs --stack\` installs Debian's prometheus package (or: apt-get install prometheus)`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const configPath = join(options.dir, "prometheus.yml");
  writeFileSync(configPath, `${JSON.stringify(prometheusConfig(options), null, 2)}\n`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess({
    name: "prometheus",
    command: PROMETHEUS_BINARY,
    args: [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(options.dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1d",
      "--web.enable-lifecycle",
      "--log.format=json",
    ],
    logPath: join(options.dir, "prometheus.log"),
    cwd: options.dir,
  });
  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = apiEnvelope.parse(await res.json());
    if (body.status !== "success") throw new Error(`prometheus ${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  try {
    await waitFor(
      async () => {
        proc.assertRunning();
        const res = await fetch(`${url}/-/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      { what: "prometheus ready", timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    url,
    process: proc,
    configPath,
    async query(expr) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      const scalar = scalarData.safeParse(data);
      if (scalar.success) return [{ metric: {}, value: Number(scalar.data.result[1]) }];
      return vectorData.parse(data).result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async alerts() {
      return alertsData.parse(await api("/api/v1/alerts")).alerts;
    },
    async targets() {
      return targetsData.parse(await api("/api/v1/targets?state=active")).activeTargets.map((t) => ({
        job: t.labels.job ?? "",
        health: t.health,
        lastError: t.lastError,
        scrapeUrl: t.scrapeUrl,
      }));
    },
    stop: () => proc.stop(10_000),
  };
}
