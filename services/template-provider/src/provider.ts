/**
 * hh-tp: node RPC in, SV2 Template Distribution out. Composes the tip watcher, the template
 * book, one session per client and the ops endpoint; one AbortSignal stops it all.
 *
 * Two paths feed templates:
 * - tip path (latency-critical): the watcher's event (with the long poll's template when it
 *   brought one, else one getblocktemplate) → publish → every client gets NewTemplate(future)
 *   + SetNewPrevHash in the same tick. Events are numbered; a slower, older one is dropped.
 * - fee path: every `feeCheckIntervalMs` (and on same-tip long-poll answers) the node's
 *   template (topped up from the mempool on btcd) replaces the current one when its fees
 *   beat it by `minFeeDeltaSats`; each client gets it when its rate limit allows.
 */
import { createServer, type Server, type Socket } from "node:net";
import {
  type BlockTemplate,
  jsonRpcClient,
  longPollBlockTemplate,
  subsidy,
  watchChainTip,
} from "@hyperhash/bitcoin";
import {
  encodeAuthorityPublicKey,
  generateSecretKey,
  noiseBackend,
  type SubmitSolution,
  xOnlyPublicKey,
} from "@hyperhash/sv2";
import { acceptResponder } from "@hyperhash/sv2/connection";
import { createLogger, createMetricsRegistry, type Logger, startOpsServer } from "@hyperhash/telemetry";
import { assembleSolutionBlock } from "./block-assembly.ts";
import type { TemplateProviderConfig } from "./config.ts";
import { type MempoolTxCache, topUpFromMempool } from "./mempool-topup.ts";
import { createTpMetrics, type NODE_CALLS, type RejectReason } from "./metrics.ts";
import { createTdpSession, type TdpSession } from "./session.ts";
import { type BlockCandidate, candidateFromTemplate } from "./template.ts";
import { createTemplateBook } from "./template-book.ts";

/** Counters of a running TP, for tests and the CLI. */
export interface TemplateProviderStats {
  connectedClients: number;
  templatesIssued: bigint;
  solutionsSubmitted: number;
  solutionsAccepted: number;
  solutionsRejected: number;
  tipHash: string | null;
  tipHeight: number | null;
  tipSource: "long-poll" | "poll";
}

/** A running TP. */
export interface TemplateProviderHandle {
  readonly host: string;
  readonly port: number;
  /** x-only authority key (32 bytes) clients pin. */
  readonly authorityPublicKey: Uint8Array;
  /** base58check form (`[0x01,0x00] ‖ key`), as SRI configs take it. */
  readonly authorityPublicKeyBase58: string;
  readonly opsPort: number;
  stats(): TemplateProviderStats;
  stop(): Promise<void>;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Client messages are small; SubmitSolution's coinbase is the largest (B0_64K). */
const MAX_CLIENT_PAYLOAD = 70_000;

/** Starts hh-tp: listens for Noise TDP clients and serves the node's templates. */
export async function startTemplateProvider(config: TemplateProviderConfig): Promise<TemplateProviderHandle> {
  const log = createLogger({
    service: "hh-tp",
    level: config.logLevel ?? "info",
    ...(config.logWrite ? { write: config.logWrite } : {}),
  });
  const registry = createMetricsRegistry();
  const metrics = createTpMetrics(registry);
  const abort = new AbortController();
  const { rpc } = config;
  const feeUpdateIntervalMs = config.feeUpdateIntervalMs ?? 5_000;
  const feeCheckIntervalMs =
    config.feeCheckIntervalMs ?? Math.min(2_500, Math.max(250, Math.floor(feeUpdateIntervalMs / 2)));
  const minFeeDelta = config.minFeeDeltaSats ?? 1_000n;
  const authorityPublicKey = xOnlyPublicKey(config.authoritySecretKey);
  const staticKey = generateSecretKey((n) => crypto.getRandomValues(new Uint8Array(n)));
  const book = createTemplateBook({
    onFit: (info) => log.info("client constraints cut the template", { ...info }),
  });
  const sessions = new Set<TdpSession>();
  const counts = { submitted: 0, accepted: 0, rejected: 0 };
  const mempoolCache: MempoolTxCache = new Map();
  const rawCall = config.rpcEndpoint ? jsonRpcClient(config.rpcEndpoint) : null;
  let nodeAnswered = false;
  let tipSeq = 0;
  let appliedTipSeq = 0;

  const nodeError = (call: (typeof NODE_CALLS)[number], error: unknown) => {
    metrics.nodeErrors.inc({ call });
    if (!abort.signal.aborted) log.warn("node call failed", { call, error });
  };

  /** The current template's figures, as gauges. */
  const observeTemplate = (candidate: BlockCandidate) => {
    metrics.templateFees.set(Number(candidate.coinbaseValue - subsidy(candidate.height, config.network)));
    metrics.templateTransactions.set(candidate.transactions.length);
  };

  const publishTip = async (candidate: BlockCandidate, observedAt: number) => {
    book.publish(candidate);
    observeTemplate(candidate);
    metrics.tipHeight.set(candidate.height - 1);
    const writes = [...sessions].map((s) => s.onNewTip());
    await Promise.all(writes);
    const servedAt = performance.now();
    metrics.tipToTemplate.observe((servedAt - observedAt) / 1000);
    metrics.lastTipTimestamp.set(Date.now() / 1000);
    const { prevHash, height } = candidate;
    config.onTipServed?.({ prevHash, height, observedAt, servedAt, clients: writes.length });
    log.info("new tip served", {
      height: candidate.height,
      prevHash: candidate.prevHash,
      clients: writes.length,
    });
  };

  async function onTip(hash: string, template: BlockTemplate | null, observedAt: number): Promise<void> {
    const seq = ++tipSeq;
    try {
      let t = template ?? (await rpc.getBlockTemplate());
      // A poll can see the block before getblocktemplate does; ask once more.
      if (t.previousblockhash !== hash) t = await rpc.getBlockTemplate();
      nodeAnswered = true;
      if (seq < appliedTipSeq || book.current()?.prevHash === t.previousblockhash.toLowerCase()) return;
      appliedTipSeq = seq;
      await publishTip(candidateFromTemplate(t), observedAt);
    } catch (error) {
      nodeError("getblocktemplate", error);
    }
  }

  /** Offers a same-tip template; published when it pays at least minFeeDelta more. */
  async function offerFeeCandidate(template: BlockTemplate): Promise<void> {
    const seq = tipSeq;
    let candidate = candidateFromTemplate(template);
    if (rpc.dialect === "btcd" && rawCall)
      candidate = await topUpFromMempool(candidate, rawCall, mempoolCache);
    const current = book.current();
    if (!current || seq !== tipSeq || candidate.prevHash !== current.prevHash) return;
    if (candidate.coinbaseValue - current.coinbaseValue < minFeeDelta) return;
    book.publish(candidate);
    observeTemplate(candidate);
    log.info("fee update", {
      height: candidate.height,
      coinbaseValue: candidate.coinbaseValue,
      gain: candidate.coinbaseValue - current.coinbaseValue,
      transactions: candidate.transactions.length,
    });
    for (const s of sessions) s.onFeeUpdate();
  }

  async function feeLoop(): Promise<void> {
    while (!abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          abort.signal.removeEventListener("abort", onAbort);
          resolve();
        }, feeCheckIntervalMs);
        abort.signal.addEventListener("abort", onAbort, { once: true });
      });
      if (abort.signal.aborted || !book.current()) continue;
      try {
        await offerFeeCandidate(await rpc.getBlockTemplate());
        nodeAnswered = true;
      } catch (error) {
        nodeAnswered = false;
        nodeError("fee-check", error);
      }
    }
  }

  async function submitSolution(solution: SubmitSolution, slog: Logger): Promise<void> {
    const receivedAt = performance.now();
    counts.submitted++;
    metrics.solutionsSubmitted.inc();
    const reject = (reason: RejectReason, fields: Record<string, unknown>) => {
      counts.rejected++;
      metrics.solutionsRejected.inc({ reason });
      slog.warn("solution rejected", { reason, templateId: solution.templateId, ...fields });
    };
    const found = book.lookup(solution.templateId);
    if (found.kind === "unknown") return reject("template-id-not-found", {});
    if (!found.variant) return reject("stale-template-id", {});
    const block = assembleSolutionBlock(found.variant, solution);
    if (!block.ok) return reject(block.reason, { detail: block.detail });
    let verdict: string | null;
    const rpcAt = performance.now();
    const timing = () => ({
      assembleMs: Math.round((rpcAt - receivedAt) * 10) / 10,
      rpcMs: Math.round((performance.now() - rpcAt) * 10) / 10,
    });
    try {
      verdict = await rpc.submitBlock(block.blockHex);
    } catch (error) {
      return reject("rpc-error", { blockHash: block.blockHash, error, ...timing() });
    }
    if (verdict !== null)
      return reject("node-rejected", { blockHash: block.blockHash, verdict, ...timing() });
    counts.accepted++;
    metrics.solutionsAccepted.inc();
    slog.info("block accepted by the node", {
      blockHash: block.blockHash,
      height: found.variant.candidate.height,
      stale: found.kind === "stale",
      transactions: found.variant.transactions.length,
      ...timing(),
    });
  }

  const host = {
    book,
    metrics,
    feeUpdateIntervalMs,
    now: () => performance.now(),
    submitSolution,
  };
  let nextConnection = 1;
  const maxClients = config.maxClients ?? 1_024;

  async function onSocket(socket: Socket): Promise<void> {
    if (sessions.size >= maxClients || abort.signal.aborted) return void socket.destroy();
    const clog = log.child({
      connection: nextConnection++,
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
    });
    let conn: Awaited<ReturnType<typeof acceptResponder>>;
    try {
      conn = await acceptResponder(socket, {
        staticKey,
        authoritySecretKey: config.authoritySecretKey,
        certificateValiditySeconds: config.certificateValiditySeconds ?? 3_600,
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        maxPayload: MAX_CLIENT_PAYLOAD,
      });
    } catch (error) {
      clog.info("noise handshake failed", { error });
      return;
    }
    const destroy = () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    };
    const session = createTdpSession(conn, host, clog, destroy);
    sessions.add(session);
    metrics.connectedClients.set(sessions.size);
    try {
      await session.run();
    } finally {
      sessions.delete(session);
      metrics.connectedClients.set(sessions.size);
      clog.info("client left");
    }
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    void onSocket(socket);
  });
  const listenHost = config.listenHost ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listenPort ?? 0, listenHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const ops = await startOpsServer({
    registry,
    host: config.opsHost ?? listenHost,
    port: config.opsPort ?? 0,
    ready: [
      () => (nodeAnswered ? undefined : "the node has not answered getblocktemplate"),
      () => (book.current() ? undefined : "no template yet"),
    ],
  });

  const watcher = watchChainTip({
    rpc,
    ...(config.rpcEndpoint ? { longPoll: longPollBlockTemplate(config.rpcEndpoint) } : {}),
    pollIntervalMs: config.tipPollIntervalMs ?? 250,
    signal: abort.signal,
    onTip: (e) => void onTip(e.hash, e.template, e.observedAt),
    onTemplate: (t) => void offerFeeCandidate(t).catch((error) => nodeError("long-poll-fee", error)),
    onError: (error) => nodeError("tip-watch", error),
  });
  const fees = feeLoop();
  const authorityPublicKeyBase58 = encodeAuthorityPublicKey(authorityPublicKey);
  log.info("hh-tp listening", {
    noise: noiseBackend(),
    host: listenHost,
    port,
    opsPort: ops.port,
    authorityPublicKey: authorityPublicKeyBase58,
    network: config.network,
    dialect: rpc.dialect,
  });

  return {
    host: listenHost,
    port,
    authorityPublicKey,
    authorityPublicKeyBase58,
    opsPort: ops.port,
    stats: () => {
      const tip = book.current();
      return {
        connectedClients: sessions.size,
        templatesIssued: book.issued(),
        solutionsSubmitted: counts.submitted,
        solutionsAccepted: counts.accepted,
        solutionsRejected: counts.rejected,
        tipHash: tip?.prevHash ?? null,
        tipHeight: tip ? tip.height - 1 : null,
        tipSource: watcher.mode(),
      };
    },
    stop: async () => {
      if (abort.signal.aborted) return;
      abort.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all([closed, watcher.done, fees, ops.close()]);
    },
  };
}
