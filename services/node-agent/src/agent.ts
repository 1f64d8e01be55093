import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { lndWallet } from "@hyperhash/lightning";
import { createLogger, createMetricsRegistry, type Logger, startOpsServer } from "@hyperhash/telemetry";
import type { Registry } from "prom-client";
import type { NodeAgentConfig } from "./config.ts";
import { createAgentApp } from "./http.ts";
import { createInvoiceDesk } from "./invoice-desk.ts";
import { jsonInvoiceStore } from "./invoice-store.ts";
import { lndReads } from "./lnd-reads.ts";
import { createAgentMetrics } from "./metrics.ts";
import { type ReportResult, readLightningSnapshot, startTelemetryReporter } from "./telemetry-reporter.ts";

/** A running node agent. */
export interface NodeAgent {
  /** Payout API port. */
  readonly port: number;
  /** `http(s)://host:port` of the payout API. */
  readonly url: string;
  readonly opsPort?: number;
  readonly nodePubkey: string;
  readonly registry: Registry;
  /** Sends a telemetry report now (when Core is configured). */
  reportTelemetry(): Promise<ReportResult>;
  stop(): Promise<void>;
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts the node agent: the payout invoice API on its lnd, the telemetry reporter to Core
 * (when configured) and the ops endpoint. Resolves once lnd answered and every listener is up.
 */
export async function startNodeAgent(
  config: NodeAgentConfig,
  options: { logger?: Logger } = {},
): Promise<NodeAgent> {
  const logger = options.logger ?? createLogger({ service: "hh-node-agent", level: config.logLevel });
  const wallet = lndWallet(config.lnd);
  const reads = lndReads(config.lnd);
  const info = await wallet.getInfo();
  const registry = createMetricsRegistry();
  const metrics = createAgentMetrics(registry);
  const desk = createInvoiceDesk({
    wallet,
    reads,
    store: jsonInvoiceStore(config.invoiceStorePath),
    nodePubkey: info.pubkey,
    treasuryPubkey: config.treasuryPubkey,
    invoiceExpirySeconds: config.invoiceExpirySeconds,
    logger,
  });
  const app = createAgentApp({ apiToken: config.apiToken, desk, logger, onOutcome: metrics.observeInvoice });
  // mTLS: with a client CA the TLS handshake itself refuses callers without a certificate it
  // signed; the bearer token is still required on top.
  const server: Server = config.tls
    ? (createHttpsServer(
        {
          cert: config.tls.certPem,
          key: config.tls.keyPem,
          ca: config.tls.clientCaPem,
          requestCert: Boolean(config.tls.clientCaPem),
          rejectUnauthorized: Boolean(config.tls.clientCaPem),
        },
        app,
      ) as unknown as Server)
    : createHttpServer(app);
  const port = await listen(server, config.host, config.port);
  const scheme = config.tls ? "https" : "http";
  const ownUrl = `${scheme}://${config.host}:${port}`;
  // A wildcard listener has no address the treasury could use: then only advertiseUrl is told.
  const wildcard = config.host === "0.0.0.0" || config.host === "::";
  const advertised = config.advertiseUrl ?? (wildcard ? undefined : ownUrl);

  let lastReport: ReportResult | undefined;
  const reporter = config.core
    ? startTelemetryReporter({
        target: {
          coreUrl: config.core.url,
          nodeId: config.core.nodeId,
          credential: config.core.credential,
          ...(advertised ? { agent: { url: advertised, token: config.apiToken } } : {}),
        },
        intervalMs: config.core.telemetryIntervalMs,
        snapshot: () => readLightningSnapshot(wallet, reads),
        logger,
        onReport: (result, snapshot) => {
          lastReport = result;
          metrics.observeReport(result);
          if (snapshot) metrics.observeSnapshot(snapshot, config.treasuryPubkey);
        },
      })
    : undefined;

  const ops =
    config.opsPort === undefined
      ? undefined
      : await startOpsServer({
          registry,
          host: config.host,
          port: config.opsPort,
          ready: [() => (lastReport && !lastReport.ok ? `telemetry: ${lastReport.error}` : undefined)],
        });
  logger.info("node agent started", { port, opsPort: ops?.port, nodePubkey: info.pubkey });
  return {
    port,
    url: ownUrl,
    opsPort: ops?.port,
    nodePubkey: info.pubkey,
    registry,
    reportTelemetry: () =>
      reporter?.reportNow() ?? Promise.resolve({ ok: false, error: "core not configured" }),
    async stop() {
      reporter?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ops?.close();
    },
  };
}
