import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Counter, collectDefaultMetrics, type Gauge, type LabelValues, Registry } from "prom-client";

/** A fresh Prometheus registry with the process's default metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  // Standard names (process_*, nodejs_*), as every Node exporter has them: the scrape's job
  // and service labels say whose process it is.
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A readiness probe: returns undefined when ready, else the reason it is not. */
export type ReadinessCheck = () => string | undefined | Promise<string | undefined>;

/** The operational HTTP endpoint every service exposes. */
export interface OpsServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (the process answers) and `/readyz`
 * (every readiness check passes; 503 with the reasons otherwise) on host:port.
 */
export async function startOpsServer(options: {
  registry: Registry;
  host?: string;
  port?: number;
  ready?: ReadinessCheck[];
}): Promise<OpsServer> {
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "GET") {
        res.writeHead(405, { allow: "GET" }).end();
        return;
      }
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path === "/metrics") {
        const body = await options.registry.metrics();
        res.writeHead(200, { "content-type": options.registry.contentType }).end(body);
      } else if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else if (path === "/readyz") {
        const reasons = (await Promise.all((options.ready ?? []).map((check) => check()))).filter(
          (r): r is string => typeof r === "string",
        );
        res
          .writeHead(reasons.length ? 503 : 200, { "content-type": "text/plain" })
          .end(reasons.length ? `${reasons.join("\n")}\n` : "ok\n");
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      }
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Exports every known label set of a metric at zero, so a rate or a dashboard panel has a series
 * before the first event (Prometheus' advice for labels with a known, bounded set of values).
 */
export function zeroLabels<L extends string>(
  metric: Counter<L> | Gauge<L>,
  labelSets: readonly Partial<Record<L, string>>[],
): void {
  for (const labels of labelSets) metric.inc(labels as LabelValues<L>, 0);
}
