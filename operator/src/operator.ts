import type { PlatformSettings } from "@hyperhash/cdk8s";
import { CHILD_SELECTOR } from "@hyperhash/cdk8s";
import { lndWallet } from "@hyperhash/lightning";
import {
  createLogger,
  createMetricsRegistry,
  type LogLevel,
  type OpsServer,
  startOpsServer,
} from "@hyperhash/telemetry";
import { KubeConfig } from "@kubernetes/client-node";
import { hyperNodeController } from "./controllers/hypernode-controller.ts";
import { lightningChannelController } from "./controllers/lightningchannel-controller.ts";
import { payoutWindowController, startWindowMirror } from "./controllers/payoutwindow-controller.ts";
import type { OperatorSettings, TreasurySecretRef } from "./controllers/settings.ts";
import { templateProviderController } from "./controllers/templateprovider-controller.ts";
import type { CoreClient } from "./core/core-client.ts";
import { registerOperatorMetrics } from "./metrics.ts";
import { kubeClient } from "./runtime/kube.ts";
import { startManager } from "./runtime/manager.ts";

/** Options of startOperator. */
export interface StartOperatorOptions {
  kubeconfigPath: string;
  core: CoreClient;
  treasurySecret: TreasurySecretRef;
  platform?: Partial<PlatformSettings>;
  windowNamespace?: string;
  /** Watch one namespace only (default: all). */
  namespace?: string;
  opsPort?: number;
  opsHost?: string;
  logLevel?: LogLevel;
  telemetryStaleMs?: number;
  pollMs?: number;
  windowPollMs?: number;
  /** Failed opens of one LightningChannel before it goes Failed (default 5). */
  maxOpenAttempts?: number;
  /** Which controllers run (default: all four). */
  controllers?: Array<"hypernode" | "templateprovider" | "lightningchannel" | "payoutwindow">;
}

/** A running operator. */
export interface RunningOperator {
  ops: OpsServer;
  /** API requests sent so far. */
  requestCount(): number;
  stop(): Promise<void>;
}

/** Defaults for the images and endpoints workloads get (overridden by config). */
export const defaultPlatform: PlatformSettings = {
  images: {
    nodeAgent: "ghcr.io/hyperhash/node-agent:0.1.0",
    translator: "ghcr.io/hyperhash/translator:0.1.0",
    lnd: "lightninglabs/lnd:v0.20.1-beta",
    templateProvider: "ghcr.io/hyperhash/template-provider:0.1.0",
  },
  coreUrl: "http://hyperhash-core.hyperhash.svc:8080",
  poolEndpoint: "hyperhash-pool.hyperhash.svc:34254",
  operatorNamespace: "hyperhash",
};

/** Starts the controllers, the Core window mirror, and /healthz /readyz /metrics. */
export async function startOperator(options: StartOperatorOptions): Promise<RunningOperator> {
  const logger = createLogger({ service: "operator", level: options.logLevel ?? "info" });
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const client = kubeClient(kc, "hyperhash-operator");
  const registry = createMetricsRegistry();
  const settings: OperatorSettings = {
    platform: {
      ...defaultPlatform,
      ...options.platform,
      images: { ...defaultPlatform.images, ...options.platform?.images },
    },
    core: options.core,
    treasurySecret: options.treasurySecret,
    windowNamespace: options.windowNamespace ?? "hyperhash",
    telemetryStaleMs: options.telemetryStaleMs ?? 120_000,
    pollMs: options.pollMs ?? 30_000,
    maxOpenAttempts: options.maxOpenAttempts ?? 5,
    connectLnd: (c) => lndWallet(c),
  };
  const enabled = new Set(
    options.controllers ?? ["hypernode", "templateprovider", "lightningchannel", "payoutwindow"],
  );
  const controllers = [
    enabled.has("hypernode") ? hyperNodeController(settings) : undefined,
    enabled.has("templateprovider") ? templateProviderController(settings) : undefined,
    enabled.has("lightningchannel") ? lightningChannelController(settings) : undefined,
    enabled.has("payoutwindow") ? payoutWindowController(settings) : undefined,
  ].filter((c) => c !== undefined);
  const manager = startManager({
    client,
    controllers,
    registry,
    namespace: options.namespace,
    childSelector: CHILD_SELECTOR,
    unfilteredKinds: ["Secret"],
    logger,
  });
  registerOperatorMetrics(registry, {
    requestCount: () => client.requestCount(),
    resources: () =>
      (
        [
          ["hypernode", "HyperNode"],
          ["templateprovider", "TemplateProvider"],
          ["lightningchannel", "LightningChannel"],
        ] as const
      )
        .filter(([c]) => enabled.has(c))
        .map(([, kind]) => ({ kind, objects: manager.informer(kind).list() })),
  });
  const mirror = enabled.has("payoutwindow")
    ? startWindowMirror({ client, settings, logger, intervalMs: options.windowPollMs ?? 5_000, manager })
    : undefined;
  const ops = await startOpsServer({
    registry,
    host: options.opsHost,
    port: options.opsPort,
    ready: [() => (manager.synced() ? undefined : "informer caches not yet synced")],
  });
  logger.info("operator started", { controllers: controllers.map((c) => c.name), opsPort: ops.port });
  return {
    ops,
    requestCount: () => client.requestCount(),
    async stop() {
      mirror?.stop();
      await manager.stop();
      await ops.close();
    },
  };
}
