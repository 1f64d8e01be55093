/** Core's Prometheus metrics; gauges read the store when scraped, so they never drift. */
import { WINDOW_PHASES } from "@hyperhash/contracts";
import { zeroLabels } from "@hyperhash/telemetry";
import { Counter, Gauge, type Registry } from "prom-client";
import type { CoreRepository } from "./store/repository.ts";

/** The counters the service increments. */
export interface CoreMetrics {
  apiRequests: Counter<"route" | "status">;
  outboxEvents: Counter<"result">;
  windowTransitions: Counter<"phase">;
}

/** Registers Core's metrics on `registry`. */
export function registerCoreMetrics(
  registry: Registry,
  repo: CoreRepository,
  now: () => Date = () => new Date(),
): CoreMetrics {
  const ageSeconds = (iso: string) => Math.max(0, (now().getTime() - Date.parse(iso)) / 1000);
  new Gauge({
    name: "hyperhash_core_windows_count",
    help: "Payout windows by phase",
    labelNames: ["phase"],
    registers: [registry],
    collect() {
      for (const [phase, n] of Object.entries(repo.countWindowsByPhase())) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: "hyperhash_core_ledger_sats",
    help: "Ledger totals over miners and nodes: credited, paid, in flight, balance (treasury apart)",
    labelNames: ["state", "kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const b of repo.ledgerBalances()) {
        const labels = (state: string) => ({ state, kind: b.kind });
        this.inc(labels("credited"), Number(b.creditedSats));
        this.inc(labels("paid"), Number(b.paidSats));
        this.inc(labels("in_flight"), Number(b.inFlightSats));
        this.inc(labels("balance"), Number(b.creditedSats - b.paidSats - b.inFlightSats));
      }
    },
  });
  new Gauge({
    name: "hyperhash_core_payments_pending_count",
    help: "Payments written and not yet final",
    registers: [registry],
    collect() {
      this.set(repo.listPayments({ state: "pending" }).length);
    },
  });
  new Gauge({
    name: "hyperhash_core_payments_pending_oldest_age_seconds",
    help: "Age of the oldest payment written and not yet final (0 when none)",
    registers: [registry],
    collect() {
      const pending = repo.listPayments({ state: "pending" });
      this.set(pending.reduce((max, p) => Math.max(max, ageSeconds(p.createdAt)), 0));
    },
  });
  new Gauge({
    name: "hyperhash_core_window_phase_oldest_age_seconds",
    help: "Time the oldest window of a phase has been in it, for the phases a window passes through (0 when none)",
    labelNames: ["phase"],
    registers: [registry],
    collect() {
      for (const phase of ["Maturing", "Calculated", "Paying"] as const) {
        const windows = repo.listWindows({ phases: [phase] });
        this.set(
          { phase },
          windows.reduce((max, w) => Math.max(max, ageSeconds(w.updatedAt)), 0),
        );
      }
    },
  });
  new Gauge({
    name: "hyperhash_core_nodes_count",
    help: "Registered HyperNodes",
    registers: [registry],
    collect() {
      this.set(repo.listNodes().length);
    },
  });
  new Gauge({
    name: "hyperhash_core_telemetry_oldest_age_seconds",
    help: "Age of the oldest latest-telemetry report over the registered nodes that ever reported (0 when none)",
    registers: [registry],
    collect() {
      let max = 0;
      for (const node of repo.listNodes()) {
        const t = repo.getTelemetry(node.nodeId);
        if (t) max = Math.max(max, ageSeconds(t.reportedAt));
      }
      this.set(max);
    },
  });
  new Gauge({
    name: "hyperhash_core_outbox_cursor_seq",
    help: "The last pool outbox seq applied",
    registers: [registry],
    collect() {
      this.set(repo.getOutboxCursor());
    },
  });
  const counters = {
    apiRequests: new Counter({
      name: "hyperhash_core_api_requests_total",
      help: "API calls by route and status",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    outboxEvents: new Counter({
      name: "hyperhash_core_outbox_events_total",
      help: "Pool outbox events by result",
      labelNames: ["result"],
      registers: [registry],
    }),
    windowTransitions: new Counter({
      name: "hyperhash_core_window_transitions_total",
      help: "Windows entering a phase",
      labelNames: ["phase"],
      registers: [registry],
    }),
  };
  // Every bounded label value at zero, so rates and panels have series before the first event.
  zeroLabels(
    counters.outboxEvents,
    ["applied", "duplicate", "skipped"].map((result) => ({ result })),
  );
  zeroLabels(
    counters.windowTransitions,
    WINDOW_PHASES.map((phase) => ({ phase })),
  );
  return counters;
}
