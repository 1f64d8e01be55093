/**
 * The translator's SV2 client: one connection to the first pool of the failover list that
 * answers, logical channels that survive reconnects, and share verdicts routed back.
 *
 * A logical channel (one per SV1 miner, or one for the whole translator) is reopened on
 * every new connection; its listener hears "opened" again and then fresh jobs, so SV1
 * miners keep their TCP session across a pool restart. Frames of the connection are
 * handled strictly in order by one loop.
 */
import { targetFromU256LE } from "@hyperhash/bitcoin";
import {
  decodeMessage,
  decodeMessageWithTlvs,
  encodeMessage,
  type Frame,
  type Sv2Message,
} from "@hyperhash/sv2";
import type { Logger } from "@hyperhash/telemetry";
import {
  type ActiveJob,
  applyExtendedJob,
  applyPrevHash,
  type ChannelJobs,
  emptyChannelJobs,
} from "../channel-jobs.ts";
import type { UpstreamEndpoint } from "../config.ts";
import { connectPool, type PoolConnection } from "./connect.ts";

/** What the pool granted a channel on the current connection. */
export interface ChannelGrant {
  readonly channelId: number;
  readonly groupChannelId: number;
  readonly target: bigint;
  readonly extranoncePrefix: Uint8Array;
  readonly extranonceSize: number;
  /** Connection counter: jobs and shares of an older epoch are stale. */
  readonly epoch: number;
}

/** Events a logical channel's listener receives, in wire order. */
export type ChannelEvent =
  | { readonly kind: "opened"; readonly grant: ChannelGrant }
  | { readonly kind: "job"; readonly active: ActiveJob; readonly clean: boolean }
  | { readonly kind: "target"; readonly grant: ChannelGrant }
  | { readonly kind: "prefix"; readonly grant: ChannelGrant }
  | { readonly kind: "lost" }
  | { readonly kind: "closed"; readonly reason: string };

/** The pool's answer to one forwarded share. */
export type ShareVerdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly errorCode: string };

/** A share as SubmitSharesExtended carries it (channel and sequence are filled in here). */
export interface UpstreamShare {
  readonly epoch: number;
  readonly jobId: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
  /** Rollable extranonce (padding ‖ extranonce1 ‖ extranonce2). */
  readonly extranonce: Uint8Array;
}

interface LogicalChannel {
  readonly key: string;
  readonly userIdentity: string;
  readonly listener: (event: ChannelEvent) => void;
  grant: ChannelGrant | null;
  jobs: ChannelJobs;
  sequence: number;
  readonly pending: Map<number, { resolve: (v: ShareVerdict) => void; timer: NodeJS.Timeout }>;
  opening: { resolve: (r: OpenResult) => void; timer: NodeJS.Timeout } | null;
  /** Callers of `whenGranted` waiting for the next grant (null: the channel went away). */
  readonly grantWaiters: Set<(grant: ChannelGrant | null) => void>;
}

/** Result of opening a logical channel. */
export type OpenResult =
  | { readonly ok: true; readonly grant: ChannelGrant }
  | { readonly ok: false; readonly error: string };

/** Options of {@link startUpstream}. */
export interface UpstreamOptions {
  readonly endpoints: readonly UpstreamEndpoint[];
  readonly deviceId: string;
  readonly minExtranonceSize: number;
  readonly nominalHashRate: number;
  readonly handshakeTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly shareVerdictTimeoutMs: number;
  readonly channelOpenTimeoutMs: number;
  readonly logger: Logger;
  /** Called when the connection comes up or goes down. */
  readonly onConnectionChange?: (connected: boolean, endpoint: string | null) => void;
}

/** The running client. */
export interface Upstream {
  /** Opens (and keeps reopening after reconnects) a channel; waits for the first grant. */
  open(key: string, userIdentity: string, listener: (event: ChannelEvent) => void): Promise<OpenResult>;
  /** Closes a logical channel (miner gone). */
  close(key: string): void;
  /** Forwards a share; resolves with the pool's verdict (or a local reason). */
  submit(key: string, share: UpstreamShare): Promise<ShareVerdict>;
  /** Current job state of a logical channel. */
  jobs(key: string): { grant: ChannelGrant | null; jobs: ChannelJobs } | null;
  /**
   * The channel's grant, waiting up to `timeoutMs` for one while it is being (re)opened;
   * null when it does not come in time or the channel is gone.
   */
  whenGranted(key: string, timeoutMs: number): Promise<ChannelGrant | null>;
  readonly connected: boolean;
  /** Bytes written to and read from the pool (plaintext frames), for the wire benchmark. */
  readonly wireBytes: { sent: number; received: number };
  stop(): Promise<void>;
}

const MAX_TARGET_LE = new Uint8Array(32).fill(0xff);

/** Starts the client; it connects in the background and reconnects until stopped. */
export function startUpstream(options: UpstreamOptions): Upstream {
  const log = options.logger.child({ component: "upstream" });
  const channels = new Map<string, LogicalChannel>();
  const abort = new AbortController();
  const wireBytes = { sent: 0, received: 0 };
  let current: PoolConnection | null = null;
  let epoch = 0;
  let nextRequestId = 1;
  let requests = new Map<number, string>();
  let byChannelId = new Map<number, string>();
  let redirect: UpstreamEndpoint | null = null;

  const send = (message: Sv2Message) => {
    const conn = current;
    if (!conn) return;
    const frame = encodeMessage(message);
    wireBytes.sent += 6 + frame.payload.length;
    conn.connection.send(frame).catch(() => {}); // a dead connection ends the frame loop
  };

  const requestOpen = (channel: LogicalChannel) => {
    const requestId = nextRequestId++;
    requests.set(requestId, channel.key);
    send({
      type: "OpenExtendedMiningChannel",
      requestId,
      userIdentity: channel.userIdentity,
      nominalHashRate: options.nominalHashRate,
      maxTarget: MAX_TARGET_LE,
      minExtranonceSize: options.minExtranonceSize,
    });
  };

  const settleOpen = (channel: LogicalChannel, result: OpenResult) => {
    const opening = channel.opening;
    if (!opening) return;
    channel.opening = null;
    clearTimeout(opening.timer);
    opening.resolve(result);
  };

  const wakeGrantWaiters = (channel: LogicalChannel, grant: ChannelGrant | null) => {
    for (const wake of [...channel.grantWaiters]) wake(grant);
  };

  const failPending = (channel: LogicalChannel, errorCode: string) => {
    for (const [, p] of channel.pending) {
      clearTimeout(p.timer);
      p.resolve({ accepted: false, errorCode });
    }
    channel.pending.clear();
  };

  /** Channels a channel-addressed message applies to: the channel, or every member of a group. */
  const addressed = (channelId: number): LogicalChannel[] => {
    const key = byChannelId.get(channelId);
    if (key !== undefined) {
      const channel = channels.get(key);
      return channel ? [channel] : [];
    }
    return [...channels.values()].filter((c) => c.grant?.groupChannelId === channelId);
  };

  const handle = (m: Sv2Message) => {
    switch (m.type) {
      case "OpenExtendedMiningChannel.Success": {
        const key = requests.get(m.requestId);
        requests.delete(m.requestId);
        const channel = key === undefined ? undefined : channels.get(key);
        if (!channel) {
          // The miner left while the open was in flight: give the channel back.
          send({ type: "CloseChannel", channelId: m.channelId, reasonCode: "downstream-closed" });
          return;
        }
        const grant: ChannelGrant = {
          channelId: m.channelId,
          groupChannelId: m.groupChannelId,
          target: targetFromU256LE(m.target),
          extranoncePrefix: m.extranoncePrefix,
          extranonceSize: m.extranonceSize,
          epoch,
        };
        channel.grant = grant;
        channel.jobs = emptyChannelJobs();
        channel.sequence = 0;
        byChannelId.set(m.channelId, channel.key);
        settleOpen(channel, { ok: true, grant });
        wakeGrantWaiters(channel, grant);
        channel.listener({ kind: "opened", grant });
        return;
      }
      case "OpenMiningChannel.Error": {
        const key = requests.get(m.requestId);
        requests.delete(m.requestId);
        const channel = key === undefined ? undefined : channels.get(key);
        if (!channel) return;
        channels.delete(channel.key);
        wakeGrantWaiters(channel, null);
        log.warn("channel refused", { userIdentity: channel.userIdentity, errorCode: m.errorCode });
        if (channel.opening) settleOpen(channel, { ok: false, error: m.errorCode });
        else channel.listener({ kind: "closed", reason: m.errorCode });
        return;
      }
      case "NewExtendedMiningJob":
        for (const channel of addressed(m.channelId)) {
          const update = applyExtendedJob(channel.jobs, m);
          channel.jobs = update.state;
          if (update.notify) channel.listener({ kind: "job", active: update.notify, clean: update.clean });
        }
        return;
      case "SetNewPrevHash":
        for (const channel of addressed(m.channelId)) {
          const update = applyPrevHash(channel.jobs, m);
          channel.jobs = update.state;
          if (update.notify) channel.listener({ kind: "job", active: update.notify, clean: update.clean });
        }
        return;
      case "SetTarget":
        for (const channel of addressed(m.channelId)) {
          if (!channel.grant) continue;
          channel.grant = { ...channel.grant, target: targetFromU256LE(m.maximumTarget) };
          channel.listener({ kind: "target", grant: channel.grant });
        }
        return;
      case "SetExtranoncePrefix":
        for (const channel of addressed(m.channelId)) {
          if (!channel.grant) continue;
          const size = channel.grant.extranoncePrefix.length + channel.grant.extranonceSize;
          channel.grant = {
            ...channel.grant,
            extranoncePrefix: m.extranoncePrefix,
            extranonceSize: size - m.extranoncePrefix.length,
          };
          channel.listener({ kind: "prefix", grant: channel.grant });
        }
        return;
      case "SubmitShares.Success":
        for (const channel of addressed(m.channelId)) {
          // Success acknowledges every share up to lastSequenceNumber not already refused.
          for (const [seq, p] of channel.pending) {
            if (seq > m.lastSequenceNumber) continue;
            clearTimeout(p.timer);
            channel.pending.delete(seq);
            p.resolve({ accepted: true });
          }
        }
        return;
      case "SubmitShares.Error":
        for (const channel of addressed(m.channelId)) {
          const p = channel.pending.get(m.sequenceNumber);
          if (!p) continue;
          clearTimeout(p.timer);
          channel.pending.delete(m.sequenceNumber);
          p.resolve({ accepted: false, errorCode: m.errorCode });
        }
        return;
      case "CloseChannel":
        for (const channel of addressed(m.channelId)) {
          channels.delete(channel.key);
          byChannelId.delete(m.channelId);
          wakeGrantWaiters(channel, null);
          failPending(channel, "channel-closed");
          channel.listener({ kind: "closed", reason: m.reasonCode });
        }
        return;
      case "Reconnect":
        redirect = { host: m.newHost || (current ? endpointOf(current).host : ""), port: m.newPort };
        log.info("pool asked to reconnect", { host: redirect.host, port: redirect.port });
        current?.connection.close();
        return;
      default:
        log.debug("ignored upstream message", { type: m.type });
    }
  };

  const endpoints = new WeakMap<PoolConnection, UpstreamEndpoint>();
  const endpointOf = (c: PoolConnection) => endpoints.get(c)!;

  const decode = (frame: Frame): Sv2Message | null => {
    try {
      return decodeMessage(frame);
    } catch {
      try {
        return decodeMessageWithTlvs(frame, []).message; // SRI may append TLVs
      } catch (error) {
        log.warn("undecodable upstream frame", { msgType: frame.header.msgType, error });
        return null;
      }
    }
  };

  const serve = async (conn: PoolConnection, endpoint: UpstreamEndpoint) => {
    current = conn;
    endpoints.set(conn, endpoint);
    epoch++;
    requests = new Map();
    byChannelId = new Map();
    options.onConnectionChange?.(true, `${endpoint.host}:${endpoint.port}`);
    log.info("connected to pool", { host: endpoint.host, port: endpoint.port, epoch });
    for (const channel of channels.values()) requestOpen(channel);
    try {
      for (;;) {
        const next = await conn.frames.next();
        if (next.done) break;
        wireBytes.received += 6 + next.value.payload.length;
        const message = decode(next.value);
        if (message) handle(message);
      }
    } catch (error) {
      log.warn("pool connection failed", { error });
    } finally {
      current = null;
      conn.connection.close();
      options.onConnectionChange?.(false, null);
      for (const channel of channels.values()) {
        channel.grant = null;
        channel.jobs = emptyChannelJobs();
        failPending(channel, "upstream-disconnected");
        channel.listener({ kind: "lost" });
      }
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const loop = async () => {
    let failures = 0;
    let index = 0;
    while (!abort.signal.aborted) {
      const endpoint = redirect ?? options.endpoints[index % options.endpoints.length]!;
      redirect = null;
      try {
        const conn = await connectPool({
          endpoint,
          deviceId: options.deviceId,
          handshakeTimeoutMs: options.handshakeTimeoutMs,
          signal: abort.signal,
        });
        if (abort.signal.aborted) {
          conn.connection.close();
          break;
        }
        failures = 0;
        index = 0; // after a served session, prefer the primary again
        await serve(conn, endpoint);
      } catch (error) {
        failures++;
        index++;
        log.warn("pool connect failed", { host: endpoint.host, port: endpoint.port, error });
      }
      if (abort.signal.aborted) break;
      // Backoff grows per failed round of the list, not per endpoint.
      const rounds = Math.floor(failures / options.endpoints.length);
      await sleep(Math.min(options.reconnectMaxMs, options.reconnectMinMs * 2 ** Math.min(rounds, 20)));
    }
  };
  const running = loop();

  return {
    open(key, userIdentity, listener) {
      return new Promise<OpenResult>((resolve) => {
        const channel: LogicalChannel = {
          key,
          userIdentity,
          listener,
          grant: null,
          jobs: emptyChannelJobs(),
          sequence: 0,
          pending: new Map(),
          opening: null,
          grantWaiters: new Set(),
        };
        channel.opening = {
          resolve,
          timer: setTimeout(() => {
            channels.delete(key);
            wakeGrantWaiters(channel, null);
            settleOpen(channel, { ok: false, error: "upstream-unavailable" });
          }, options.channelOpenTimeoutMs),
        };
        channels.set(key, channel);
        if (current) requestOpen(channel);
      });
    },
    close(key) {
      const channel = channels.get(key);
      if (!channel) return;
      channels.delete(key);
      wakeGrantWaiters(channel, null);
      failPending(channel, "channel-closed");
      if (channel.opening) settleOpen(channel, { ok: false, error: "closed" });
      if (channel.grant && channel.grant.epoch === epoch) {
        byChannelId.delete(channel.grant.channelId);
        send({ type: "CloseChannel", channelId: channel.grant.channelId, reasonCode: "downstream-closed" });
      }
    },
    submit(key, share) {
      const channel = channels.get(key);
      const grant = channel?.grant;
      if (!channel || !grant || !current) {
        return Promise.resolve({ accepted: false, errorCode: "upstream-unavailable" });
      }
      if (share.epoch !== grant.epoch) return Promise.resolve({ accepted: false, errorCode: "stale-job" });
      channel.sequence = (channel.sequence + 1) >>> 0;
      const sequenceNumber = channel.sequence;
      return new Promise<ShareVerdict>((resolve) => {
        const timer = setTimeout(() => {
          channel.pending.delete(sequenceNumber);
          resolve({ accepted: false, errorCode: "no-verdict" });
        }, options.shareVerdictTimeoutMs);
        channel.pending.set(sequenceNumber, { resolve, timer });
        send({
          type: "SubmitSharesExtended",
          channelId: grant.channelId,
          sequenceNumber,
          jobId: share.jobId,
          nonce: share.nonce,
          ntime: share.ntime,
          version: share.version,
          extranonce: share.extranonce,
        });
      });
    },
    jobs(key) {
      const channel = channels.get(key);
      return channel ? { grant: channel.grant, jobs: channel.jobs } : null;
    },
    whenGranted(key, timeoutMs) {
      const channel = channels.get(key);
      if (!channel || channel.grant) return Promise.resolve(channel?.grant ?? null);
      return new Promise((resolve) => {
        const wake = (grant: ChannelGrant | null) => {
          clearTimeout(timer);
          channel.grantWaiters.delete(wake);
          resolve(grant);
        };
        const timer = setTimeout(() => wake(null), timeoutMs);
        channel.grantWaiters.add(wake);
      });
    },
    get connected() {
      return current !== null;
    },
    wireBytes,
    async stop() {
      abort.abort();
      current?.destroy();
      for (const channel of [...channels.values()]) {
        wakeGrantWaiters(channel, null);
        failPending(channel, "stopping");
        if (channel.opening) settleOpen(channel, { ok: false, error: "stopping" });
      }
      channels.clear();
      await running;
    },
  };
}
