/**
 * Prometheus metrics of hh-translator. Labels are bounded sets (reasons, kinds, directions):
 * a translator may hold tens of thousands of miners, so per-worker figures are in its
 * `/stats` API, not in series. Hash rate and best difficulty are read when scraped.
 */
import { zeroLabels } from "@hyperhash/telemetry";
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";

/** Rejections the translator answers itself (submit.ts), by reason. */
export const LOCAL_REJECT_REASONS = [
  "unauthorized",
  "job-not-found",
  "stale",
  "bad-extranonce2",
  "bad-ntime",
  "bad-version",
  "duplicate",
  "low-difficulty",
] as const;

/**
 * SubmitShares.Error codes a pool sends (spec §5.3.14 and SRI's) and the upstream client's own;
 * anything else counts as `other`.
 */
export const POOL_ERROR_CODES = [
  "invalid-channel-id",
  "stale-share",
  "invalid-job-id",
  "difficulty-too-low",
  "duplicate-share",
  "invalid-share",
  "bad-extranonce-size",
  "version-rolling-not-allowed",
  // The translator's own verdicts for a share it could not get judged (upstream/upstream.ts).
  "upstream-unavailable",
  "stale-job",
  "no-verdict",
  "channel-closed",
  "upstream-disconnected",
  "stopping",
] as const;

/** The `reason` label of a pool's answer: its code when known, else `other` (labels stay bounded). */
export function poolRejectReason(errorCode: string): string {
  return (POOL_ERROR_CODES as readonly string[]).includes(errorCode) ? errorCode : "other";
}

/** Protocol error kinds (miner-session.ts strikes). */
export const PROTOCOL_ERROR_KINDS = [
  "parse",
  "request",
  "method",
  "params",
  "line-too-long",
  "idle",
] as const;

/** The translator's metric handles. */
export interface TranslatorMetrics {
  readonly sharesAccepted: Counter;
  readonly sharesRejected: Counter<"reason">;
  readonly sharesForwarded: Counter;
  readonly hashRate: Gauge;
  readonly bestShareDifficulty: Gauge;
  readonly vardiffChanges: Counter<"direction">;
  readonly minersConnected: Gauge;
  readonly upstreamConnected: Gauge;
  readonly upstreamConnects: Counter;
  readonly protocolErrors: Counter<"kind">;
}

/** What the scrape-time gauges read: the connected miners' estimates and best shares. */
export interface TranslatorMetricSources {
  hashRate(): number;
  bestShareDifficulty(): number;
}

/** Registers the translator's metrics on `registry`. */
export function createTranslatorMetrics(
  registry: Registry,
  sources: TranslatorMetricSources = { hashRate: () => 0, bestShareDifficulty: () => 0 },
): TranslatorMetrics {
  const registers = [registry];
  const metrics = {
    sharesAccepted: new Counter({
      name: "hyperhash_translator_shares_accepted_total",
      help: "SV1 shares answered true (locally at the miner's difficulty, or by the pool)",
      registers,
    }),
    sharesRejected: new Counter({
      name: "hyperhash_translator_shares_rejected_total",
      help: "SV1 shares answered with an error, by reason",
      labelNames: ["reason"],
      registers,
    }),
    sharesForwarded: new Counter({
      name: "hyperhash_translator_shares_forwarded_total",
      help: "Shares that met the upstream target and were sent as SubmitSharesExtended",
      registers,
    }),
    hashRate: new Gauge({
      name: "hyperhash_translator_hashrate_hashes_per_second",
      help: "Hash rate of the connected miners, each estimated from its last vardiff window",
      registers,
      collect() {
        this.set(sources.hashRate());
      },
    }),
    bestShareDifficulty: new Gauge({
      name: "hyperhash_translator_best_share_difficulty",
      help: "Highest difficulty a share of a connected miner reached",
      registers,
      collect() {
        this.set(sources.bestShareDifficulty());
      },
    }),
    vardiffChanges: new Counter({
      name: "hyperhash_translator_vardiff_changes_total",
      help: "SV1 difficulty changes by vardiff (up: harder, down: easier)",
      labelNames: ["direction"],
      registers,
    }),
    minersConnected: new Gauge({
      name: "hyperhash_translator_miners_connected",
      help: "SV1 connections open",
      registers,
    }),
    upstreamConnected: new Gauge({
      name: "hyperhash_translator_upstream_connected",
      help: "1 while an SV2 pool connection is up",
      registers,
    }),
    upstreamConnects: new Counter({
      name: "hyperhash_translator_upstream_connects_total",
      help: "SV2 pool connections established (reconnects included)",
      registers,
    }),
    protocolErrors: new Counter({
      name: "hyperhash_translator_protocol_errors_total",
      help: "Bad SV1 input, by kind (parse, request, method, params, line-too-long, idle)",
      labelNames: ["kind"],
      registers,
    }),
  };
  // Every bounded label value at zero, so rates and panels have series before the first event.
  zeroLabels(
    metrics.sharesRejected,
    [...LOCAL_REJECT_REASONS, ...POOL_ERROR_CODES, "other"].map((reason) => ({ reason })),
  );
  zeroLabels(metrics.vardiffChanges, [{ direction: "up" }, { direction: "down" }]);
  zeroLabels(
    metrics.protocolErrors,
    PROTOCOL_ERROR_KINDS.map((kind) => ({ kind })),
  );
  return metrics;
}
