import { lndWallet } from "@hyperhash/lightning";
import { lndReads } from "@hyperhash/node-agent";
import { createLogger, createMetricsRegistry, type Logger, startOpsServer } from "@hyperhash/telemetry";
import type { Registry } from "prom-client";
import { requestPayoutInvoice } from "./agent-client.ts";
import type { TreasuryConfig } from "./config.ts";
import { type CoreClient, httpCoreClient } from "./core-client.ts";
import { treasuryLnd } from "./lnd-payer.ts";
import { createTreasuryMetrics } from "./metrics.ts";
import type { Wait } from "./payer.ts";
import type { PrepareDeps } from "./prepare.ts";
import { type RoundReport, runPayoutRound } from "./round.ts";
import { openPaymentStore, type PaymentStore } from "./store.ts";

/** A running treasury. */
export interface Treasury {
  readonly opsPort?: number;
  readonly registry: Registry;
  readonly store: PaymentStore;
  /** Runs one payout round now (rounds never overlap). */
  runRound(): Promise<RoundReport>;
  /** Why each waiting recipient waits, as of the last round. */
  waits(): ReadonlyMap<string, Wait>;
  stop(): Promise<void>;
}

/** Options for tests: a Core client, or a hook after each payment. */
export interface TreasuryOptions {
  logger?: Logger;
  core?: CoreClient;
  /**
   * Called right after lnd reports a fresh payment settled, before anything is recorded, with
   * the count paid by this process. Fault injection (test/support/main-fault.ts) exits here;
   * production sets none.
   */
  afterPayment?: (paidInThisProcess: number) => void;
  /** Start the round timer (default true). */
  autoRun?: boolean;
}

/**
 * Starts hh-treasury: a payout round every `pollIntervalMs` over Core's due payments, lnd
 * metrics every `metricsIntervalMs`, and the ops endpoint.
 */
export async function startTreasury(
  config: TreasuryConfig,
  options: TreasuryOptions = {},
): Promise<Treasury> {
  const logger = options.logger ?? createLogger({ service: "hh-treasury", level: config.logLevel });
  const registry = createMetricsRegistry();
  const metrics = createTreasuryMetrics(registry);
  const store = openPaymentStore(config.dbPath);
  const core = options.core ?? httpCoreClient(config.core);
  const reads = lndReads(config.lnd);
  const wallet = lndWallet(config.lnd);
  let paidInThisProcess = 0;

  const deps: PrepareDeps = {
    store,
    core,
    lnd: treasuryLnd(config.lnd),
    channels: () => reads.listChannelLiquidity(),
    feeLimits: config.feeLimits,
    afterPayment: () => {
      paidInThisProcess++;
      options.afterPayment?.(paidInThisProcess);
    },
    observer: metrics,
    logger,
    agentFor: async (nodeId) => {
      const configured = config.agents.get(nodeId);
      if (configured) return configured;
      // Asked each time a node payment is prepared (rare): an agent that moved is found at once.
      const answer = await core.nodeAgent(nodeId);
      return answer.ok && answer.value ? answer.value : undefined;
    },
    requestInvoice: (agent, w, a) => requestPayoutInvoice(agent, w, a),
    nodePubkeyFromCore: async (nodeId) => {
      const answer = await core.nodePubkey(nodeId);
      return answer.ok ? (answer.value ?? undefined) : undefined;
    },
    minInvoiceLifeSeconds: config.minInvoiceLifeSeconds,
    onchainMinSats: config.onchainMinSats,
    now: () => new Date(),
  };

  let lastWaits: ReadonlyMap<string, Wait> = new Map();
  let lastRoundError: string | undefined;
  let current: Promise<RoundReport> | undefined;
  const runRound = () => {
    current ??= runPayoutRound(deps, config.concurrency)
      .then((report) => {
        // A payment that starts waiting, or waits for another reason, is logged once with the
        // detail (the metric carries only the reason): "AgentRefused" alone hid a refused
        // connection on the platform e2e.
        for (const [recipientId, w] of report.waits) {
          const before = lastWaits.get(recipientId);
          if (before?.reason !== w.reason || before.detail !== w.detail)
            logger.info("payment waiting", { recipientId, reason: w.reason, detail: w.detail });
        }
        lastWaits = report.waits;
        lastRoundError = undefined;
        metrics.observeWaits(report.waits);
        return report;
      })
      .catch((err) => {
        lastRoundError = err instanceof Error ? err.message : String(err);
        throw err;
      })
      .finally(() => {
        metrics.observeOpenPayments(store.listOpen());
        current = undefined;
      });
    return current;
  };

  const observeLnd = async () => {
    const [channels, fees, onchain] = await Promise.all([
      reads.listChannelLiquidity(),
      reads.getRoutingFeesSats(),
      wallet.getChainBalance(),
    ]);
    metrics.observeChannels(channels);
    metrics.observeRoutingFees(fees);
    metrics.observeBalance("onchain", onchain);
    metrics.observeBalance(
      "channel",
      channels.reduce((s, c) => s + c.localBalanceSats, 0n),
    );
  };

  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, task: () => Promise<unknown>, what: string) => {
    const tick = () => {
      if (stopped) return;
      task()
        .catch((err) => logger.error(`${what} failed`, { err }))
        .finally(() => {
          if (!stopped) timers.push(setTimeout(tick, ms));
        });
    };
    tick();
  };
  await observeLnd();
  if (options.autoRun !== false) every(config.pollIntervalMs, runRound, "payout round");
  every(config.metricsIntervalMs, observeLnd, "lnd metrics");

  const ops =
    config.opsPort === undefined
      ? undefined
      : await startOpsServer({
          registry,
          host: config.opsHost,
          port: config.opsPort,
          ready: [() => (lastRoundError ? `last payout round failed: ${lastRoundError}` : undefined)],
        });
  logger.info("treasury started", { opsPort: ops?.port, staticAgents: config.agents.size });
  return {
    opsPort: ops?.port,
    registry,
    store,
    runRound,
    waits: () => lastWaits,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await current?.catch(() => undefined);
      await ops?.close();
      store.close();
    },
  };
}
