/**
 * startCore: the API server, the ops server, and one loop that consumes the pool's outbox
 * and advances windows against the Bitcoin node. One AbortController stops it all.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BitcoinRpc } from "@hyperhash/bitcoin";
import { createLogger, createMetricsRegistry, type Logger, startOpsServer } from "@hyperhash/telemetry";
import { createApp } from "./api/app.ts";
import { bearerAuthenticator } from "./api/auth.ts";
import { coreRoutes } from "./api/routes.ts";
import { type CoreConfigInput, coreConfigSchema } from "./config.ts";
import { registerCoreMetrics } from "./metrics.ts";
import { pollOutbox } from "./outbox.ts";
import type { PaymentContext } from "./payments.ts";
import type { CoreRepository } from "./store/repository.ts";
import { openSqliteRepository } from "./store/sqlite.ts";
import { advanceWindows, defaultPayoutConfirmations } from "./windows.ts";

/** What startCore needs besides config: the chain, and optionally a clock and logger. */
export interface CoreDeps {
  rpc: BitcoinRpc;
  now?: () => Date;
  logger?: Logger;
}

/** A running Core. */
export interface RunningCore {
  port: number;
  opsPort: number;
  repo: CoreRepository;
  /** Runs one outbox poll and one window pass now (the loop also does, every pollIntervalMs). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Core. Config is validated here; a bad config throws before anything listens. */
export async function startCore(input: CoreConfigInput, deps: CoreDeps): Promise<RunningCore> {
  const config = coreConfigSchema.parse(input);
  const logger = deps.logger ?? createLogger({ service: "hyperhash-core", level: config.logLevel });
  const repo = openSqliteRepository(config.dbPath);
  const ctx: PaymentContext = {
    repo,
    network: config.network,
    payoutConfirmations: config.payoutConfirmations ?? defaultPayoutConfirmations(config.network),
    payoutThresholdSats: config.payoutThresholdSats,
    maxPaymentAttempts: config.maxPaymentAttempts,
    now: deps.now ?? (() => new Date()),
  };
  const registry = createMetricsRegistry();
  const metrics = registerCoreMetrics(registry, repo, ctx.now);
  const app = createApp({
    routes: coreRoutes(ctx),
    authenticate: bearerAuthenticator(
      { admin: config.adminToken, pool: config.poolToken, treasury: config.treasuryToken },
      repo,
    ),
    logger,
    maxBodyBytes: config.maxBodyBytes,
    onCall: (route, status) => metrics.apiRequests.inc({ route, status: String(status) }),
  });

  const problems = { outbox: undefined as string | undefined, chain: undefined as string | undefined };
  let running: Promise<void> | undefined;
  const pass = async () => {
    if (config.poolUrl) {
      try {
        for (;;) {
          const r = await pollOutbox(ctx, {
            poolUrl: config.poolUrl,
            token: config.poolOutboxToken,
            batch: config.outboxBatch,
            timeoutMs: 30_000,
            maxResponseBytes: config.outboxMaxResponseBytes,
          });
          metrics.outboxEvents.inc({ result: "applied" }, r.applied);
          metrics.outboxEvents.inc({ result: "duplicate" }, r.duplicates);
          metrics.outboxEvents.inc({ result: "skipped" }, r.skipped);
          if (r.applied + r.duplicates + r.skipped > 0) logger.info("outbox applied", { ...r });
          if (!r.more) break;
        }
        problems.outbox = undefined;
      } catch (err) {
        problems.outbox = `outbox: ${(err as Error).message}`;
        logger.warn("outbox poll failed", { err });
      }
    }
    try {
      const report = await advanceWindows(ctx, deps.rpc);
      for (const [phase, list] of [
        ["Orphaned", report.orphaned],
        ["Calculated", report.calculated],
        ["Failed", report.failed],
        ["Settled", report.settled],
      ] as const) {
        if (list.length > 0) {
          metrics.windowTransitions.inc({ phase }, list.length);
          logger.info("windows changed phase", { phase, blockHashes: list });
        }
      }
      problems.chain = undefined;
    } catch (err) {
      problems.chain = `bitcoin node: ${(err as Error).message}`;
      logger.warn("window pass failed", { err });
    }
  };
  // One pass at a time: a tick during a pass waits for it, then runs its own.
  const tick = async () => {
    while (running) await running;
    running = pass().finally(() => {
      running = undefined;
    });
    await running;
  };

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const ops = await startOpsServer({
    registry,
    host: config.opsHost,
    port: config.opsPort,
    ready: [
      () => {
        try {
          repo.getOutboxCursor();
          return undefined;
        } catch (err) {
          return `store: ${(err as Error).message}`;
        }
      },
      () => problems.outbox,
      () => problems.chain,
    ],
  });

  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      await tick();
      // One listener per pause, removed when the pause ends by timeout: a listener left on
      // the signal each pass would pile up for the life of the process.
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          abort.signal.removeEventListener("abort", onAbort);
          resolve();
        }, config.pollIntervalMs);
        abort.signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  })();
  const port = (server.address() as AddressInfo).port;
  logger.info("core started", { port, opsPort: ops.port, network: config.network });

  return {
    port,
    opsPort: ops.port,
    repo,
    tick,
    stop: async () => {
      abort.abort();
      await loop;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ops.close();
      repo.close();
    },
  };
}
