/**
 * One SV1 miner connection: reads lines in order, keeps the SV1 session state, turns the
 * upstream channel's jobs into mining.notify and the miner's submits into shares, runs
 * the miner's own vardiff, and answers each submit with the local or the pool's verdict.
 *
 * Lines are queued and handled by a single loop, one at a time (never concurrently), so a
 * submit never overtakes the authorize before it. Verdicts from the pool may come back out
 * of order; JSON-RPC ids tell the miner which is which.
 */
import type { Socket } from "node:net";
import { difficultyToTarget } from "@hyperhash/bitcoin";
import {
  authorize,
  configure,
  encodeError,
  encodeNotify,
  encodeResult,
  encodeSetDifficulty,
  encodeSetExtranonce,
  encodeSetVersionMask,
  initialSessionState,
  LineDecoder,
  LineTooLongError,
  parseRequestLine,
  SV1_ERROR,
  type Sv1ClientMessage,
  type Sv1Error,
  type Sv1Id,
  type Sv1SessionState,
  subscribe,
  suggestDifficulty,
  validateRequest,
} from "@hyperhash/sv1";
import type { Logger } from "@hyperhash/telemetry";
import type { ActiveJob } from "./channel-jobs.ts";
import type { TranslatorConfig } from "./config.ts";
import { poolRejectReason, type TranslatorMetrics } from "./metrics.ts";
import { judgeSubmit } from "./submit.ts";
import { type ExtranonceLayout, type IssuedJob, paddingSize, sv1JobFor } from "./translation.ts";
import type { ChannelEvent, ChannelGrant, Upstream } from "./upstream/upstream.ts";
import { createVardiffWindow, type VardiffWindowState, vardiffStep } from "./vardiff.ts";

/** Issued SV1 jobs remembered per miner (shares for older ones are "job not found"). */
const MAX_ISSUED_JOBS = 32;
/** Header hashes remembered for duplicate detection, per prev hash. */
const MAX_SEEN_SHARES = 100_000;
/** A miner that reads slower than this much queued output is dropped. */
const MAX_WRITE_BACKLOG = 1 << 20;
/** Lines queued before the socket is paused. */
const QUEUE_PAUSE = 64;

/** What every session shares. */
export interface SessionContext {
  readonly config: TranslatorConfig;
  readonly upstream: Upstream;
  readonly metrics: TranslatorMetrics;
  readonly logger: Logger;
  /** Logical channel key in aggregated mode; null in per-miner mode. */
  readonly aggregateKey: string | null;
  /** Unix ms. */
  readonly now: () => number;
}

/** A live miner connection, as the translator sees it. */
export interface MinerSession {
  readonly id: number;
  /** Upstream event for this miner's channel (or the aggregate channel). */
  onChannelEvent(event: ChannelEvent): void;
  /** Periodic vardiff check (silent miners step down). */
  tick(nowMs: number): void;
  /** Its hash rate from the last vardiff window (0 before one was judged). */
  hashRate(): number;
  /** The highest difficulty one of its shares reached. */
  bestDifficulty(): number;
  /** Closes the connection. */
  close(reason: string): void;
  /** Resolves once the socket is closed and resources are released. */
  readonly closed: Promise<void>;
}

/** Starts serving one accepted socket; `extranonce1` is this miner's unique local index. */
export function startMinerSession(
  socket: Socket,
  id: number,
  extranonce1: Uint8Array,
  ctx: SessionContext,
  onClosed: () => void,
): MinerSession {
  const { config, upstream, metrics } = ctx;
  const log = ctx.logger.child({ miner: id, remote: `${socket.remoteAddress}:${socket.remotePort}` });
  const key = ctx.aggregateKey ?? `miner-${id}`;
  const bounds = { min: config.minDifficulty, max: config.maxDifficulty };
  const decoder = new LineDecoder(config.maxLineBytes);
  let state: Sv1SessionState = initialSessionState();
  let ready = false;
  let closing = false;
  let strikes = 0;
  let jobCounter = 0;
  let announcedMask: number | null = null;
  let sentEpoch = -1;
  let issued = new Map<string, IssuedJob>();
  let seen = new Set<bigint>();
  let minerTarget = 0n;
  let window: VardiffWindowState = createVardiffWindow(ctx.now());
  let bestDifficulty = 0;
  let hashRate = 0;
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const write = (line: string) => {
    if (closing || socket.destroyed) return;
    socket.write(line);
    if (socket.writableLength > MAX_WRITE_BACKLOG) close("write backlog");
  };
  const reply = (rid: Sv1Id, result: unknown) => write(encodeResult(rid, result));
  const fail = (rid: Sv1Id, error: Sv1Error, reason: string) => {
    write(encodeError(rid, error));
    return reason;
  };

  const idle = setTimeout(() => {
    metrics.protocolErrors.inc({ kind: "idle" });
    close("idle timeout");
  }, config.idleTimeoutMs);

  function close(reason: string): void {
    if (closing) return;
    closing = true;
    log.info("miner disconnected", { reason, worker: state.worker?.username });
    clearTimeout(idle);
    if (socket.writableLength > 0 && !socket.destroyed) socket.end();
    else socket.destroy();
    // A peer that never reads would keep the socket half-open; cap the wait.
    setTimeout(() => socket.destroy(), 1_000).unref();
    wake?.();
  }

  const grant = (): ChannelGrant | null => upstream.jobs(key)?.grant ?? null;
  const layout = (g: ChannelGrant): ExtranonceLayout => ({
    channelPrefix: g.extranoncePrefix,
    channelRollableSize: g.extranonceSize,
    extranonce1,
    extranonce2Size: state.extranonce2Size,
  });

  /** Sends `active` as a new SV1 job; `staleOthers` drops earlier jobs (new prev hash). */
  function sendJob(active: ActiveJob, cleanJobs: boolean, staleOthers: boolean): void {
    const g = grant();
    if (!ready || !g) return;
    if (g.epoch !== sentEpoch) {
      // First job of a new upstream connection: everything before it is stale.
      sentEpoch = g.epoch;
      cleanJobs = true;
      staleOthers = true;
    }
    const mask = state.versionRollingMask;
    if (mask !== null) {
      const effective = active.job.versionRollingAllowed ? mask : 0;
      if (announcedMask !== effective) write(encodeSetVersionMask(effective));
      announcedMask = effective;
    }
    const sv1 = sv1JobFor(
      active,
      layout(g),
      (++jobCounter).toString(16),
      cleanJobs,
      Math.floor(ctx.now() / 1000),
    );
    if (staleOthers) {
      issued = new Map();
      seen = new Set();
    }
    issued.set(sv1.jobId, {
      sv1,
      upstreamJobId: active.job.jobId,
      upstreamEpoch: g.epoch,
      versionRollingAllowed: active.job.versionRollingAllowed,
      minNtime: active.tip.minNtime,
      minerTarget,
    });
    if (issued.size > MAX_ISSUED_JOBS) issued.delete(issued.keys().next().value!);
    write(encodeNotify(sv1));
  }

  function currentJob(): ActiveJob | null {
    return upstream.jobs(key)?.jobs.active ?? null;
  }

  /** Tells the miner a new difficulty, then re-sends the current job as clean work. */
  function setDifficulty(difficulty: number): void {
    state = { ...state, difficulty };
    minerTarget = difficultyToTarget(difficulty);
    window = createVardiffWindow(ctx.now());
    write(encodeSetDifficulty(difficulty));
    const active = currentJob();
    if (active) sendJob(active, true, false);
  }

  /** Once subscribed and authorized: first difficulty, then the current job. */
  function maybeStart(): void {
    if (ready || !state.subscribed || !state.worker || !grant()) return;
    ready = true;
    if (state.versionRollingMask !== null) announcedMask = state.versionRollingMask;
    setDifficulty(state.requestedDifficulty ?? config.initialDifficulty);
  }

  /** Keeps the miner's extranonce inside the channel's grant (after a reconnect or prefix change). */
  function fitGrant(g: ChannelGrant): boolean {
    if (!state.subscribed || paddingSize(layout(g)) >= 0) return true;
    const room = g.extranonceSize - extranonce1.length;
    if (state.extranonceSubscribed && room >= 1) {
      state = { ...state, extranonce2Size: Math.min(room, state.extranonce2Size) };
      write(encodeSetExtranonce(extranonce1, state.extranonce2Size));
      return true;
    }
    close("upstream extranonce grant too small for this miner");
    return false;
  }

  async function openChannel(username: string): Promise<Sv1Error | null> {
    if (ctx.aggregateKey !== null) {
      // The aggregate channel may still be opening (translator start, pool reconnect): wait as a
      // per-miner open would, instead of refusing a miner that came a moment too early.
      const g = grant() ?? (await upstream.whenGranted(key, config.channelOpenTimeoutMs));
      return g ? null : { code: SV1_ERROR.OTHER, message: "upstream unavailable" };
    }
    const result = await upstream.open(key, `${config.nodeId}/${username}`, (e) => session.onChannelEvent(e));
    if (result.ok) return null;
    return { code: SV1_ERROR.UNAUTHORIZED_WORKER, message: `pool refused the channel: ${result.error}` };
  }

  async function handleSubmit(
    m: Extract<Sv1ClientMessage, { method: "mining.submit" }>,
  ): Promise<string | null> {
    const outcome = judgeSubmit({
      state,
      submit: m.submit,
      issued: issued.get(m.submit.jobId),
      grant: grant(),
      extranonce1,
      seen,
      nowSeconds: Math.floor(ctx.now() / 1000),
    });
    if (outcome.kind === "error") return fail(m.id, outcome.error, outcome.reason);
    seen.add(outcome.judgement.hash);
    if (seen.size > MAX_SEEN_SHARES) seen = new Set([outcome.judgement.hash]);
    if (outcome.judgement.achievedDifficulty > bestDifficulty)
      bestDifficulty = outcome.judgement.achievedDifficulty;
    if (outcome.judgement.meetsMinerTarget) {
      window = { ...window, shares: window.shares + 1 };
      retarget(ctx.now());
    }
    if (outcome.kind === "local") {
      metrics.sharesAccepted.inc();
      reply(m.id, true);
      return null;
    }
    metrics.sharesForwarded.inc();
    // Not awaited: the next line is handled while the pool judges this one.
    upstream.submit(key, outcome.share).then((verdict) => {
      if (verdict.accepted) {
        metrics.sharesAccepted.inc();
        reply(m.id, true);
      } else {
        metrics.sharesRejected.inc({ reason: poolRejectReason(verdict.errorCode) });
        write(
          encodeError(m.id, {
            code: SV1_ERROR.OTHER,
            message: `pool rejected the share: ${verdict.errorCode}`,
          }),
        );
      }
    });
    return null;
  }

  /** Handles one validated message; returns a rejection reason for metrics, or null. */
  async function handleMessage(m: Sv1ClientMessage): Promise<string | null> {
    switch (m.method) {
      case "mining.configure": {
        const r = configure(state, m.extensions, m.parameters, config.versionRollingMask);
        state = r.state;
        if (ready && state.versionRollingMask !== null) announcedMask = state.versionRollingMask;
        reply(m.id, r.result);
        return null;
      }
      case "mining.subscribe": {
        if (state.subscribed)
          return fail(m.id, { code: SV1_ERROR.OTHER, message: "already subscribed" }, "resubscribe");
        const r = subscribe(state, m.userAgent, extranonce1, config.extranonce2Size, id.toString(16));
        state = r.state;
        reply(m.id, r.result);
        const g = grant();
        if (g && !fitGrant(g)) return null;
        maybeStart();
        return null;
      }
      case "mining.authorize": {
        const r = authorize(state, m.username, m.password, bounds);
        if ("error" in r) return fail(m.id, r.error, "authorize");
        if (state.worker === null) {
          const refused = await openChannel(m.username);
          if (refused) return fail(m.id, refused, "channel-refused");
        }
        state = r.state;
        log.info("miner authorized", { worker: m.username, userAgent: state.userAgent });
        reply(m.id, true);
        const g = grant();
        if (g && !fitGrant(g)) return null;
        maybeStart();
        return null;
      }
      case "mining.extranonce.subscribe":
        state = { ...state, extranonceSubscribed: true };
        reply(m.id, true);
        return null;
      case "mining.suggest_difficulty":
        state = suggestDifficulty(state, m.difficulty, bounds);
        reply(m.id, true);
        if (ready && !state.difficultyPinned && state.requestedDifficulty !== state.difficulty) {
          setDifficulty(state.requestedDifficulty!);
        }
        return null;
      case "mining.submit":
        return handleSubmit(m);
    }
  }

  async function handleLine(line: string): Promise<void> {
    const parsed = parseRequestLine(line);
    if (!parsed.ok) {
      write(encodeError(parsed.id, parsed.error));
      return strike(parsed.error.code === SV1_ERROR.PARSE_ERROR ? "parse" : "request");
    }
    const validated = validateRequest(parsed.request);
    if (!validated.ok) {
      write(encodeError(validated.id, validated.error));
      return strike(validated.error.code === SV1_ERROR.METHOD_NOT_FOUND ? "method" : "params");
    }
    strikes = 0;
    const rejected = await handleMessage(validated.message);
    if (rejected !== null) metrics.sharesRejected.inc({ reason: rejected });
  }

  function strike(kind: string): void {
    metrics.protocolErrors.inc({ kind });
    if (++strikes >= config.maxConsecutiveErrors) close(`${strikes} consecutive bad lines`);
  }

  function retarget(nowMs: number): void {
    if (!ready) return;
    const step = vardiffStep(state.difficulty, window, nowMs, config, state.difficultyPinned);
    if (!step) return;
    if (step.hashrate !== null) hashRate = step.hashrate;
    window = createVardiffWindow(nowMs);
    if (step.difficulty !== state.difficulty) {
      log.debug("vardiff", { from: state.difficulty, to: step.difficulty });
      metrics.vardiffChanges.inc({ direction: step.difficulty > state.difficulty ? "up" : "down" });
      setDifficulty(step.difficulty);
    }
  }

  async function loop(): Promise<void> {
    while (!closing) {
      const line = queue.shift();
      if (line === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      if (socket.isPaused() && queue.length < QUEUE_PAUSE / 2) socket.resume();
      try {
        await handleLine(line);
      } catch (error) {
        log.error("miner line failed", { error });
        close("internal error");
      }
    }
  }

  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    if (closing) return;
    idle.refresh();
    try {
      queue.push(...decoder.push(chunk));
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      metrics.protocolErrors.inc({ kind: "line-too-long" });
      write(encodeError(null, { code: SV1_ERROR.INVALID_REQUEST, message: error.message }));
      close("line too long");
      return;
    }
    if (queue.length >= QUEUE_PAUSE) socket.pause();
    wake?.();
  });
  socket.on("error", (error) => log.debug("miner socket error", { error }));
  socket.on("end", () => close("peer closed"));
  socket.on("close", () => {
    close("socket closed");
    if (ctx.aggregateKey === null) upstream.close(key);
    onClosed();
    resolveClosed();
  });
  loop();

  const session: MinerSession = {
    id,
    closed,
    close,
    tick: retarget,
    hashRate: () => hashRate,
    bestDifficulty: () => bestDifficulty,
    onChannelEvent(event) {
      if (closing) return;
      switch (event.kind) {
        case "opened":
        case "prefix":
          if (fitGrant(event.grant)) maybeStart();
          return;
        case "job":
          // A new prev hash makes the miner's earlier jobs stale; a plain new job does not.
          if (ready) sendJob(event.active, event.clean, event.clean);
          return;
        case "closed":
          close(`pool closed the channel: ${event.reason}`);
          return;
        case "lost":
        case "target":
          return; // jobs come again after the reconnect; the upstream target is read per share
      }
    },
  };
  return session;
}
