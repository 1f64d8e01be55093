/**
 * Prometheus metrics of hh-translator: per worker (accepted, rejected, forwarded, hash
 * rate, best difficulty) and per process (miners, upstream state, protocol errors).
 */
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";

/** The translator's metric handles. */
export interface TranslatorMetrics {
  readonly sharesAccepted: Counter<"worker">;
  readonly sharesRejected: Counter<"worker" | "reason">;
  readonly sharesForwarded: Counter<"worker">;
  readonly workerHashrate: Gauge<"worker">;
  readonly workerBestDifficulty: Gauge<"worker">;
  readonly minersConnected: Gauge;
  readonly upstreamConnected: Gauge;
  readonly upstreamConnects: Counter;
  readonly protocolErrors: Counter<"kind">;
}

/** Registers the translator's metrics on `registry`. */
export function createTranslatorMetrics(registry: Registry): TranslatorMetrics {
  const registers = [registry];
  return {
    sharesAccepted: new Counter({
      name: "hyperhash_translator_shares_accepted_total",
      help: "SV1 shares answered true (locally at the miner's difficulty, or by the pool)",
      labelNames: ["worker"],
      registers,
    }),
    sharesRejected: new Counter({
      name: "hyperhash_translator_shares_rejected_total",
      help: "SV1 shares answered with an error, by reason",
      labelNames: ["worker", "reason"],
      registers,
    }),
    sharesForwarded: new Counter({
      name: "hyperhash_translator_shares_forwarded_total",
      help: "Shares that met the upstream target and were sent as SubmitSharesExtended",
      labelNames: ["worker"],
      registers,
    }),
    workerHashrate: new Gauge({
      name: "hyperhash_translator_worker_hashrate_hashes_per_second",
      help: "Hash rate estimated from the shares of the last vardiff window",
      labelNames: ["worker"],
      registers,
    }),
    workerBestDifficulty: new Gauge({
      name: "hyperhash_translator_worker_best_difficulty",
      help: "Highest difficulty a share of the worker reached",
      labelNames: ["worker"],
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
      help: "Bad SV1 input, by kind (parse, method, params, line-too-long, idle)",
      labelNames: ["kind"],
      registers,
    }),
  };
}
