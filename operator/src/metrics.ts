/**
 * The operator's own metrics (`hyperhash_operator_*`), beside controller-runtime's standard
 * names (runtime/metrics.ts). Gauges read the informer caches when scraped. Labels are bounded:
 * kind × condition type × True/False/Unknown, whatever the number of resources.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** A reconciled kind and the objects its informer holds. */
export interface ConditionedKind {
  readonly kind: string;
  readonly objects: readonly unknown[];
}

/** What the gauges read. */
export interface OperatorMetricSources {
  requestCount(): number;
  resources(): readonly ConditionedKind[];
}

type Conditioned = { status?: { conditions?: { type?: unknown; status?: unknown }[] } };

/** Registers the operator's metrics on `registry`. */
export function registerOperatorMetrics(registry: Registry, sources: OperatorMetricSources): void {
  const registers = [registry];
  new Counter({
    name: "hyperhash_operator_api_requests_total",
    help: "Kubernetes API requests sent by the operator",
    registers,
    collect() {
      this.reset();
      this.inc(sources.requestCount());
    },
  });
  new Gauge({
    name: "hyperhash_operator_resources",
    help: "Resources the operator reconciles, by kind",
    labelNames: ["kind"],
    registers,
    collect() {
      for (const { kind, objects } of sources.resources()) this.set({ kind }, objects.length);
    },
  });
  new Gauge({
    name: "hyperhash_operator_resource_conditions",
    help: "Resources the operator reconciles, by kind, condition type and the condition's status (True, False, Unknown)",
    labelNames: ["kind", "type", "status"],
    registers,
    collect() {
      this.reset();
      for (const { kind, objects } of sources.resources()) {
        const counts = new Map<string, { type: string; status: string; n: number }>();
        for (const o of objects) {
          const conditions = (o as Conditioned).status?.conditions;
          if (!Array.isArray(conditions)) continue;
          for (const c of conditions) {
            if (typeof c?.type !== "string" || c.type.length === 0 || c.type.length > 64) continue;
            const status = c.status === "True" || c.status === "False" ? c.status : "Unknown";
            const key = `${c.type}/${status}`;
            const entry = counts.get(key) ?? { type: c.type, status, n: 0 };
            entry.n++;
            counts.set(key, entry);
          }
        }
        // Every status of a condition type that exists is exported, at zero when no resource
        // has it, so "not True" queries have a series (of 0) on a healthy platform.
        const types = new Set([...counts.values()].map((e) => e.type));
        for (const type of types) {
          for (const status of ["True", "False", "Unknown"]) {
            this.set({ kind, type, status }, counts.get(`${type}/${status}`)?.n ?? 0);
          }
        }
      }
    },
  });
}
