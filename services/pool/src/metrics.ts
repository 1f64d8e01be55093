/** Prometheus metrics of hh-pool (`hyperhash_pool_*`). */
import { createMetricsRegistry, zeroLabels } from "@hyperhash/telemetry";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { SHARE_REJECT_REASONS } from "./share-validator.ts";

/** The pool's metrics. */
export interface PoolMetrics {
  readonly registry: Registry;
  readonly sharesAccepted: Counter<"channel_kind">;
  readonly sharesRejected: Counter<"reason">;
  readonly blocksFound: Counter;
  /** The pool's hash-rate estimate: the sum of its channels' (read at scrape time). */
  readonly hashRate: Gauge;
  readonly bestShareDifficulty: Gauge;
  readonly vardiffChanges: Counter<"direction">;
  readonly connections: Gauge;
  readonly channels: Gauge<"channel_kind">;
  readonly commitSeconds: Histogram;
  readonly templates: Counter;
  readonly connectionsRefused: Counter<"reason">;
  readonly nodeVerifications: Counter<"result">;
}

/**
 * Registers the pool's metrics on a fresh registry. Labels are bounded sets (reasons, kinds,
 * directions): per-miner and per-channel figures belong to the pool's API, not to series.
 * `hashRate` reads the open channels' estimates when scraped.
 */
export function createPoolMetrics(hashRate: () => number = () => 0): PoolMetrics {
  const registry = createMetricsRegistry();
  const registers = [registry];
  const metrics = {
    registry,
    sharesAccepted: new Counter({
      name: "hyperhash_pool_shares_accepted_total",
      help: "Accepted shares (logged and acknowledged)",
      labelNames: ["channel_kind"],
      registers,
    }),
    sharesRejected: new Counter({
      name: "hyperhash_pool_shares_rejected_total",
      help: "Rejected shares by reason",
      labelNames: ["reason"],
      registers,
    }),
    blocksFound: new Counter({
      name: "hyperhash_pool_blocks_found_total",
      help: "Blocks found, all time (counted from the share log at start)",
      registers,
    }),
    hashRate: new Gauge({
      name: "hyperhash_pool_hashrate_hashes_per_second",
      help: "Hash-rate estimate of all open channels, from their accepted shares (last vardiff window)",
      registers,
      collect() {
        this.set(hashRate());
      },
    }),
    bestShareDifficulty: new Gauge({
      name: "hyperhash_pool_best_share_difficulty",
      help: "Best share difficulty since start, all miners",
      registers,
    }),
    vardiffChanges: new Counter({
      name: "hyperhash_pool_vardiff_changes_total",
      help: "Channel target changes by vardiff (up: harder, down: easier)",
      labelNames: ["direction"],
      registers,
    }),
    connections: new Gauge({ name: "hyperhash_pool_connections", help: "Open miner connections", registers }),
    channels: new Gauge({
      name: "hyperhash_pool_channels",
      help: "Open channels",
      labelNames: ["channel_kind"],
      registers,
    }),
    commitSeconds: new Histogram({
      name: "hyperhash_pool_share_commit_seconds",
      help: "Duration of one share-log group commit",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    templates: new Counter({
      name: "hyperhash_pool_templates_total",
      help: "Templates received from the template provider",
      registers,
    }),
    connectionsRefused: new Counter({
      name: "hyperhash_pool_connections_refused_total",
      help: "Miner connections refused at accept, by reason",
      labelNames: ["reason"],
      registers,
    }),
    nodeVerifications: new Counter({
      name: "hyperhash_pool_node_verifications_total",
      help: "Node credential checks: cached, or Core's answer (valid, invalid, unavailable)",
      labelNames: ["result"],
      registers,
    }),
  };
  // Every bounded label value at zero, so rates and panels have series before the first event.
  const kinds = [{ channel_kind: "standard" }, { channel_kind: "extended" }];
  zeroLabels(metrics.sharesAccepted, kinds);
  zeroLabels(metrics.channels, kinds);
  zeroLabels(
    metrics.sharesRejected,
    [...SHARE_REJECT_REASONS, "log-failed"].map((reason) => ({ reason })),
  );
  zeroLabels(metrics.vardiffChanges, [{ direction: "up" }, { direction: "down" }]);
  zeroLabels(metrics.connectionsRefused, [{ reason: "per-address-limit" }]);
  zeroLabels(
    metrics.nodeVerifications,
    ["cached", "valid", "invalid", "unavailable"].map((result) => ({ result })),
  );
  return metrics;
}
