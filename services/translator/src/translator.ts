/**
 * hh-translator: an SV1 server for legacy miners in front of an SV2 pool. Composes the
 * SV1 sessions, the SV2 upstream client, the local extranonce allocator and the ops
 * endpoint; owns every socket and timer and releases them in `stop()`.
 */
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createDownstreamAllocator, indexBytesNeeded, noiseBackend } from "@hyperhash/sv2";
import { createLogger, createMetricsRegistry, startOpsServer } from "@hyperhash/telemetry";
import type { Registry } from "prom-client";
import { type TranslatorConfig, type TranslatorConfigInput, TranslatorConfigSchema } from "./config.ts";
import { createTranslatorMetrics } from "./metrics.ts";
import { type MinerSession, type SessionContext, startMinerSession } from "./miner-session.ts";
import { type ChannelEvent, startUpstream } from "./upstream/upstream.ts";

/** Logical key of the aggregated channel. */
const AGGREGATE_KEY = "aggregate";
/** How often silent miners' vardiff windows are judged. */
const VARDIFF_TICK_MS = 5_000;

/** A running translator. */
export interface Translator {
  /** SV1 listen address. */
  readonly host: string;
  readonly port: number;
  /** Ops HTTP port (/metrics, /healthz, /readyz). */
  readonly opsPort: number;
  readonly registry: Registry;
  /** Live counters for tests and benchmarks. */
  stats(): TranslatorStats;
  stop(): Promise<void>;
}

/** Live counters. */
export interface TranslatorStats {
  readonly miners: number;
  readonly upstreamConnected: boolean;
  readonly upstreamConnects: number;
  /** Plaintext SV2 bytes exchanged with the pool. */
  readonly upstreamBytes: { readonly sent: number; readonly received: number };
}

/** Options that are not configuration (injected for tests). */
export interface TranslatorDeps {
  /** Unix ms; default Date.now. */
  readonly now?: () => number;
  /** Where log lines go; default stderr. */
  readonly writeLog?: (line: string) => void;
}

/** Validates `input` and starts listening; the upstream connects in the background. */
export async function startTranslator(
  input: TranslatorConfigInput,
  deps: TranslatorDeps = {},
): Promise<Translator> {
  const config: TranslatorConfig = TranslatorConfigSchema.parse(input);
  const logger = createLogger({
    service: "hh-translator",
    level: config.logLevel,
    ...(deps.writeLog ? { write: deps.writeLog } : {}),
  });
  const registry = createMetricsRegistry();
  const sessions = new Map<number, MinerSession>();
  const metrics = createTranslatorMetrics(registry, {
    hashRate: () => {
      let sum = 0;
      for (const session of sessions.values()) sum += session.hashRate();
      return sum;
    },
    bestShareDifficulty: () => {
      let best = 0;
      for (const session of sessions.values()) best = Math.max(best, session.bestDifficulty());
      return best;
    },
  });
  const now = deps.now ?? Date.now;
  const indexWidth = indexBytesNeeded(config.maxMiners);
  // Miners' extranonce1 is a local index; the pool's prefix goes into coinb1 (translation.ts).
  const allocator = createDownstreamAllocator(
    new Uint8Array(0),
    indexWidth + config.extranonce2Size,
    config.maxMiners,
    config.extranonce2Size,
  );
  let connects = 0;
  const upstream = startUpstream({
    endpoints: config.upstreams,
    deviceId: `${config.nodeId}:${config.credential}`,
    minExtranonceSize: indexWidth + config.extranonce2Size,
    nominalHashRate: config.nominalHashRate,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    shareVerdictTimeoutMs: config.shareVerdictTimeoutMs,
    channelOpenTimeoutMs: config.channelOpenTimeoutMs,
    logger,
    onConnectionChange: (connected) => {
      metrics.upstreamConnected.set(connected ? 1 : 0);
      if (connected) {
        connects++;
        metrics.upstreamConnects.inc();
      }
    },
  });
  metrics.upstreamConnected.set(0);

  let stopping = false;
  const aggregated = config.channelMode === "aggregated";
  const fanOut = (event: ChannelEvent) => {
    for (const session of sessions.values()) session.onChannelEvent(event);
    if (event.kind === "closed" && !stopping) void keepAggregateOpen();
  };
  async function keepAggregateOpen(): Promise<void> {
    while (!stopping) {
      const result = await upstream.open(
        AGGREGATE_KEY,
        `${config.nodeId}/${config.aggregatedIdentity}`,
        fanOut,
      );
      if (result.ok || stopping) return;
      logger.warn("aggregated channel not opened; retrying", { error: result.error });
      await new Promise((resolve) => setTimeout(resolve, config.reconnectMinMs));
    }
  }
  if (aggregated) void keepAggregateOpen();

  const ctx: SessionContext = {
    config,
    upstream,
    metrics,
    logger,
    aggregateKey: aggregated ? AGGREGATE_KEY : null,
    now,
  };
  let nextId = 1;
  const server: Server = createServer((socket: Socket) => {
    const id = nextId++;
    const allocation = allocator.allocateExtended(`miner-${id}`, config.extranonce2Size);
    if (stopping || !allocation.ok) {
      logger.warn("miner refused", { reason: stopping ? "stopping" : "capacity" });
      socket.destroy();
      return;
    }
    metrics.minersConnected.inc();
    const session = startMinerSession(socket, id, allocation.allocation.prefix, ctx, () => {
      allocator.release(allocation.allocation);
      sessions.delete(id);
      metrics.minersConnected.dec();
    });
    sessions.set(id, session);
  });
  server.maxConnections = config.maxMiners;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const tick = setInterval(() => {
    const t = now();
    for (const session of sessions.values()) session.tick(t);
  }, VARDIFF_TICK_MS);
  tick.unref();
  const ops = await startOpsServer({
    registry,
    host: config.opsHost,
    port: config.opsPort,
    ready: [() => (upstream.connected ? undefined : "no upstream pool connection")],
  });
  const address = server.address() as AddressInfo;
  logger.info("translator listening", {
    noise: noiseBackend(),
    host: address.address,
    port: address.port,
    opsPort: ops.port,
    channelMode: config.channelMode,
    upstreams: config.upstreams.map((u) => `${u.host}:${u.port}`),
  });

  return {
    host: address.address,
    port: address.port,
    opsPort: ops.port,
    registry,
    stats: () => ({
      miners: sessions.size,
      upstreamConnected: upstream.connected,
      upstreamConnects: connects,
      upstreamBytes: { ...upstream.wireBytes },
    }),
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(tick);
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      const sessionList = [...sessions.values()];
      for (const session of sessionList) session.close("translator stopping");
      await Promise.all(sessionList.map((s) => s.closed));
      await upstream.stop();
      await closing;
      await ops.close();
    },
  };
}
