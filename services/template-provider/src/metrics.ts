import { zeroLabels } from "@hyperhash/telemetry";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Why a solution did not become a block, as counted. */
export const REJECT_REASONS = [
  "node-rejected",
  "rpc-error",
  "template-id-not-found",
  "stale-template-id",
  "invalid-coinbase",
  "missing-template-output",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The node calls whose failures are counted (provider.ts). */
export const NODE_CALLS = ["getblocktemplate", "fee-check", "long-poll-fee", "tip-watch"] as const;

/** hh-tp's Prometheus metrics (names `hyperhash_tp_*`). */
export interface TpMetrics {
  readonly templatesSent: Counter<"kind">;
  readonly tipToTemplate: Histogram;
  readonly solutionsSubmitted: Counter;
  readonly solutionsAccepted: Counter;
  readonly solutionsRejected: Counter<"reason">;
  readonly connectedClients: Gauge;
  readonly nodeErrors: Counter<"call">;
  readonly templateFees: Gauge;
  readonly templateTransactions: Gauge;
  readonly tipHeight: Gauge;
  readonly lastTipTimestamp: Gauge;
}

/** Registers the metrics on `registry`. */
export function createTpMetrics(registry: Registry): TpMetrics {
  const registers = [registry];
  const metrics = {
    templatesSent: new Counter({
      name: "hyperhash_tp_templates_sent_total",
      help: "NewTemplate messages sent, by kind (future on a new tip, fee for a same-tip update)",
      labelNames: ["kind"],
      registers,
    }),
    tipToTemplate: new Histogram({
      name: "hyperhash_tp_tip_to_template_seconds",
      help: "From a new tip seen by the notification to NewTemplate + SetNewPrevHash written to every client",
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    }),
    solutionsSubmitted: new Counter({
      name: "hyperhash_tp_solutions_submitted_total",
      help: "SubmitSolution messages received",
      registers,
    }),
    solutionsAccepted: new Counter({
      name: "hyperhash_tp_solutions_accepted_total",
      help: "Solutions the node accepted as blocks (submitblock returned null)",
      registers,
    }),
    solutionsRejected: new Counter({
      name: "hyperhash_tp_solutions_rejected_total",
      help: "Solutions that did not become a block, by reason",
      labelNames: ["reason"],
      registers,
    }),
    connectedClients: new Gauge({
      name: "hyperhash_tp_connected_clients",
      help: "Template Distribution clients past the Noise handshake",
      registers,
    }),
    nodeErrors: new Counter({
      name: "hyperhash_tp_node_rpc_errors_total",
      help: "Failed calls to the Bitcoin node, by call",
      labelNames: ["call"],
      registers,
    }),
    templateFees: new Gauge({
      name: "hyperhash_tp_template_fees_sats",
      help: "Transaction fees the current template pays (coinbase value minus subsidy)",
      registers,
    }),
    templateTransactions: new Gauge({
      name: "hyperhash_tp_template_transactions",
      help: "Transactions in the current template, coinbase excluded",
      registers,
    }),
    tipHeight: new Gauge({
      name: "hyperhash_tp_tip_height",
      help: "Height of the block the current template builds on",
      registers,
    }),
    lastTipTimestamp: new Gauge({
      name: "hyperhash_tp_last_tip_timestamp_seconds",
      help: "Unix time at which the current tip was served to clients",
      registers,
    }),
  };
  // Every bounded label value at zero, so rates and panels have series before the first event.
  zeroLabels(metrics.templatesSent, [{ kind: "future" }, { kind: "fee" }]);
  zeroLabels(
    metrics.solutionsRejected,
    REJECT_REASONS.map((reason) => ({ reason })),
  );
  zeroLabels(
    metrics.nodeErrors,
    NODE_CALLS.map((call) => ({ call })),
  );
  return metrics;
}
