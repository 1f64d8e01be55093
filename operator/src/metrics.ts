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

/** A condition's status as exported: anything but True or False counts as Unknown. */
const STATUSES = ["True", "False", "Unknown"] as const;

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
        // Per condition type, every status counted from zero: a type that exists has all three
        // series, so "not True" queries have a series (of 0) on a healthy platform.
        const byType = new Map<string, Record<(typeof STATUSES)[number], number>>();
        for (const o of objects) {
          const conditions = (o as Conditioned).status?.conditions;
          if (!Array.isArray(conditions)) continue;
          for (const c of conditions) {
            if (typeof c?.type !== "string" || c.type.length === 0 || c.type.length > 64) continue;
            const counts = byType.get(c.type) ?? { True: 0, False: 0, Unknown: 0 };
            counts[c.status === "True" || c.status === "False" ? c.status : "Unknown"]++;
            byType.set(c.type, counts);
          }
        }
        for (const [type, counts] of byType) {
          for (const status of STATUSES) this.set({ kind, type, status }, counts[status]);
        }
      }
    },
  });
}
