/**
 * hh-pool: composes the state managers (job board, channels, share validator, share log)
 * with the I/O tasks (Noise listener, TDP client, SQLite, HTTP API, ops server).
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { addressToScriptPubKey, type Network, poolMinerTag } from "@hyperhash/bitcoin";
import {
  createExtranonceAllocator,
  DEFAULT_VARDIFF,
  encodeAuthorityPublicKey,
  noiseBackend,
  type VardiffConfig,
  xOnlyPublicKey,
} from "@hyperhash/sv2";
import { acceptResponder } from "@hyperhash/sv2/connection";
import { createLogger, type Logger, startOpsServer } from "@hyperhash/telemetry";
import type { PoolContext, SessionSettings } from "./context.ts";
import { coreNodeRegistry, createCredentialCache } from "./core-node-registry.ts";
import { startHttpApi } from "./http-api.ts";
import { createJobBoard } from "./jobs.ts";
import { createPoolMetrics, type PoolMetrics } from "./metrics.ts";
import { type NodeCredential, type NodeRegistry, staticNodeRegistry } from "./node-registry.ts";
import { createMiningSession, type MiningSession } from "./session.ts";
import { createShareLog } from "./share-log.ts";
import { MAX_FUTURE_BLOCK_TIME_SECONDS } from "./share-validator.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import { startTdpClient } from "./tdp-client.ts";

/** Configuration of {@link startPool}; every optional field has a working default. */
export interface PoolConfig {
  readonly network: Network;
  /** Where miners connect (default 127.0.0.1:0). */
  readonly host?: string;
  readonly port?: number;
  /** Authority key that signs the pool's Noise certificates (32 bytes). */
  readonly authoritySecretKey: Uint8Array;
  /** The pool's static Noise key (default: a fresh one per start). */
  readonly staticSecretKey?: Uint8Array;
  readonly certificateValiditySeconds?: number;
  /** hh-tp to take templates from. */
  readonly templateProvider: {
    readonly host: string;
    readonly port: number;
    readonly authorityPublicKey?: Uint8Array;
  };
  /** Treasury address the coinbase pays. */
  readonly treasuryAddress: string;
  /** Pool tag in the coinbase (`Sv2/<tag>//`). */
  readonly poolTag?: string;
  /** SQLite share log file. */
  readonly dbPath: string;
  readonly dbSynchronous?: "FULL" | "NORMAL";
  readonly httpHost?: string;
  readonly httpPort?: number;
  readonly opsHost?: string;
  readonly opsPort?: number;
  /** Regtest only: blocks need hash ≤ min(network target, blockTarget). */
  readonly blockTarget?: bigint | null;
  readonly vardiff?: Partial<VardiffConfig>;
  /** How often silent channels are re-judged (ms, default 5000). */
  readonly vardiffTickMs?: number;
  readonly targetGraceMs?: number;
  /**
   * Where node credentials are verified: Core's `POST /api/v1/nodes/verify` with the pool
   * token, answers cached (positive `cacheTtlMs`, default 30 s: the longest a deregistered node
   * still binds a new connection; negative `negativeCacheTtlMs`, default 10 s).
   */
  readonly core?: {
    readonly url: string;
    readonly token: string;
    readonly cacheTtlMs?: number;
    readonly negativeCacheTtlMs?: number;
    readonly cacheMaxEntries?: number;
  };
  /** A fixed list of node credentials instead of Core (tests without a Core); not with `core`. */
  readonly nodes?: readonly NodeCredential[];
  /**
   * Bearer token every `/api/v1/*` request must carry (Core's HH_CORE_POOL_OUTBOX_TOKEN).
   * Required unless the API listens on loopback only.
   */
  readonly apiToken?: string;
  /** Open channels per connection (default 64). */
  readonly maxChannelsPerConnection?: number;
  /** Concurrent connections per remote address (default 256); more are refused at accept. */
  readonly maxConnectionsPerAddress?: number;
  /** Group commit: longest wait (ms) and batch size. */
  readonly commitIntervalMs?: number;
  readonly commitMaxShares?: number;
  /** Full extranonce size of every channel, and the fixed bytes of this instance. */
  readonly fullExtranonceSize?: number;
  readonly instancePrefix?: Uint8Array;
  readonly maxChannels?: number;
  readonly versionRollingMask?: number;
  readonly maxFutureSeconds?: number;
  /** Largest frame payload accepted from a miner (bytes). */
  readonly maxFramePayload?: number;
  readonly handshakeTimeoutMs?: number;
  readonly logger?: Logger;
  /** Clock (Unix ms); tests pass their own. */
  readonly now?: () => number;
}

/** A running pool. */
export interface RunningPool {
  readonly host: string;
  readonly port: number;
  readonly authorityPublicKey: Uint8Array;
  readonly authorityPublicKeyBase58: string;
  readonly httpPort: number;
  readonly opsPort: number;
  /** True once a template and a tip are known. */
  readonly ready: boolean;
  stop(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts the pool. Throws on a configuration that cannot work (bad address, blockTarget off regtest). */
export async function startPool(config: PoolConfig): Promise<RunningPool> {
  if (config.blockTarget != null && config.network !== "regtest") {
    throw new Error("blockTarget is a regtest-only setting");
  }
  if (config.core && config.nodes && config.nodes.length > 0) {
    throw new Error("node credentials come from Core or from a static list, not both");
  }
  const httpHost = config.httpHost ?? "127.0.0.1";
  if (!config.apiToken && !isLoopback(httpHost)) {
    throw new Error(`the pool's HTTP API on ${httpHost} needs an API token (HH_POOL_API_TOKEN)`);
  }
  const logger = config.logger ?? createLogger({ service: "hh-pool" });
  const now = config.now ?? Date.now;
  const payoutScript = addressToScriptPubKey(config.treasuryAddress, config.network);
  const fullExtranonceSize = config.fullExtranonceSize ?? 20;
  const settings: SessionSettings = {
    network: config.network,
    vardiff: { ...DEFAULT_VARDIFF, ...config.vardiff },
    targetGraceMs: config.targetGraceMs ?? 5000,
    versionRollingMask: config.versionRollingMask ?? 0x1fff_ffe0,
    blockTarget: config.blockTarget ?? null,
    maxFutureSeconds: config.maxFutureSeconds ?? MAX_FUTURE_BLOCK_TIME_SECONDS,
    maxChannelsPerConnection: config.maxChannelsPerConnection ?? 64,
  };
  const store = openSqliteStore({ path: config.dbPath, synchronous: config.dbSynchronous ?? "FULL" });
  const sessions = new Set<MiningSession>();
  const metrics = createPoolMetrics(() => {
    let sum = 0;
    for (const session of sessions) for (const channel of session.channels.values()) sum += channel.hashRate;
    return sum;
  });
  // Blocks are counted from the share log, so the counter survives restarts (a Prometheus
  // `increase` over a pod restart is then exact) and equals the pool's /api/v1/blocks.
  metrics.blocksFound.inc(store.blockCount());
  const shareLog = createShareLog(store, {
    intervalMs: config.commitIntervalMs ?? 10,
    maxBatch: config.commitMaxShares ?? 500,
    onError: (error) => logger.error("share log commit failed", { error }),
    onCommit: (_n, seconds) => metrics.commitSeconds.observe(seconds),
  });
  // Job ids continue above the log's, so a share of a pre-restart job can never match a new one.
  const board = createJobBoard(
    { payoutScript, tag: poolMinerTag(config.poolTag ?? "hyperhash", ""), fullExtranonceSize },
    store.maxJobId() + 1000,
  );
  let channelId = 0;
  const tdp = startTdpClient({
    host: config.templateProvider.host,
    port: config.templateProvider.port,
    ...(config.templateProvider.authorityPublicKey
      ? { authorityPublicKey: config.templateProvider.authorityPublicKey }
      : {}),
    coinbaseOutputMaxAdditionalSize: 8 + 1 + payoutScript.length,
    coinbaseOutputMaxAdditionalSigops: payoutScript[0] === 0x76 ? 4 : 0, // P2PKH counts (×4 weight)
    logger: logger.child({ task: "tdp" }),
    onMessage: (m) => {
      if (m.type === "NewTemplate") metrics.templates.inc();
      const event = m.type === "NewTemplate" ? board.onNewTemplate(m) : board.onSetNewPrevHash(m);
      if (event.kind === "bad-template" || event.kind === "unknown-template") {
        logger.warn("template refused", { ...event, templateId: event.templateId.toString() });
        return;
      }
      for (const session of sessions) session.onBoardEvent(event);
      const forgotten = board.takeForgotten();
      if (forgotten.length > 0) for (const session of sessions) session.forgetJobs(forgotten);
    },
  });
  const ctx: PoolContext = {
    settings,
    board,
    allocator: createExtranonceAllocator({
      localPrefix: config.instancePrefix ?? Uint8Array.of(0),
      totalExtranonceSize: fullExtranonceSize,
      maxChannels: config.maxChannels ?? 1_000_000,
    }),
    shareLog,
    nodes: nodeRegistry(config, metrics, now),
    metrics,
    logger,
    now,
    nextChannelId: () => (channelId = channelId >= 0xffff_fffe ? 1 : channelId + 1),
    submitSolution: (s) => tdp.submitSolution(s),
    solvedEpochs: new Set(),
    best: { overall: 0 },
  };

  const staticKey = config.staticSecretKey ?? randomBytes(32);
  const authorityPublicKey = xOnlyPublicKey(config.authoritySecretKey);
  let connectionSeq = 0;
  const sockets = new Set<Socket>();
  const perAddress = createAddressLimiter(config.maxConnectionsPerAddress ?? 256);
  const onSocket = (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    if (!perAddress.acquire(address)) {
      metrics.connectionsRefused.inc({ reason: "per-address-limit" });
      socket.destroy();
      return;
    }
    const id = `c${++connectionSeq}`;
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      perAddress.release(address);
    });
    acceptResponder(socket, {
      staticKey,
      authoritySecretKey: config.authoritySecretKey,
      certificateValiditySeconds: config.certificateValiditySeconds ?? 3600,
      handshakeTimeoutMs: config.handshakeTimeoutMs ?? 10_000,
      maxPayload: config.maxFramePayload ?? 16 * 1024,
    }).then(
      (conn) => {
        const session = createMiningSession(ctx, conn, id);
        sessions.add(session);
        session.run().finally(() => sessions.delete(session));
      },
      (err) => logger.info("handshake failed", { connection: id, reason: (err as Error).message }),
    );
  };
  const server = createServer(onSocket);
  const host = config.host ?? "127.0.0.1";
  const port = await listen(server, host, config.port ?? 0);
  const vardiffTimer = setInterval(() => {
    for (const session of sessions) session.retargetAll(now());
  }, config.vardiffTickMs ?? 5000);
  vardiffTimer.unref();

  const isReady = () => tdp.connected && board.tip !== null && board.activeJob !== null;
  const http = await startHttpApi({
    store,
    host: httpHost,
    port: config.httpPort ?? 0,
    ...(config.apiToken ? { token: config.apiToken } : {}),
    live: () => ({
      connections: sessions.size,
      channels: [...sessions].reduce((n, s) => n + s.channels.size, 0),
      bestShareDifficulty: ctx.best.overall,
      templateProviderConnected: tdp.connected,
      height: board.activeJob?.height ?? null,
    }),
  });
  const ops = await startOpsServer({
    registry: metrics.registry,
    host: config.opsHost ?? "127.0.0.1",
    port: config.opsPort ?? 0,
    ready: [() => (isReady() ? undefined : "no template and tip from the template provider yet")],
  });
  logger.info("pool listening", {
    host,
    port,
    httpPort: http.port,
    opsPort: ops.port,
    noise: noiseBackend(),
  });

  let stopping: Promise<void> | null = null;
  return {
    host,
    port,
    authorityPublicKey,
    authorityPublicKeyBase58: encodeAuthorityPublicKey(authorityPublicKey),
    httpPort: http.port,
    opsPort: ops.port,
    get ready() {
      return isReady();
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(vardiffTimer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const session of sessions) session.close();
          // Peers still in the handshake (or not reading) must not hold the shutdown up.
          for (const socket of sockets) socket.destroy();
        });
        await tdp.stop();
        shareLog.close();
        store.close();
        await http.close();
        await ops.close();
      })();
      return stopping;
    },
  };
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

function nodeRegistry(config: PoolConfig, metrics: PoolMetrics, now: () => number): NodeRegistry {
  if (!config.core) return staticNodeRegistry(config.nodes ?? []);
  return coreNodeRegistry({
    url: config.core.url,
    token: config.core.token,
    cache: createCredentialCache({
      positiveTtlMs: config.core.cacheTtlMs ?? 30_000,
      negativeTtlMs: config.core.negativeCacheTtlMs ?? 10_000,
      maxEntries: config.core.cacheMaxEntries ?? 10_000,
      now,
    }),
    observe: (result) => metrics.nodeVerifications.inc({ result }),
  });
}

/** Counts open connections per remote address against a cap. */
export function createAddressLimiter(max: number): {
  acquire(address: string): boolean;
  release(address: string): void;
  count(address: string): number;
} {
  if (!(Number.isInteger(max) && max >= 1)) throw new RangeError("maxConnectionsPerAddress must be ≥ 1");
  const open = new Map<string, number>();
  return {
    acquire(address) {
      const n = open.get(address) ?? 0;
      if (n >= max) return false;
      open.set(address, n + 1);
      return true;
    },
    release(address) {
      const n = (open.get(address) ?? 0) - 1;
      if (n > 0) open.set(address, n);
      else open.delete(address);
    },
    count: (address) => open.get(address) ?? 0,
  };
}
