/**
 * A bare SV2 mining client for tests: Noise handshake, SetupConnection, then any message the
 * test wants to send, with every message the pool sends kept in order so a test can await the
 * one it expects. It never mines; {@link startSv2Miner} does.
 */
import { connect } from "node:net";
import { MAX_TARGET, targetToU256LE } from "@hyperhash/bitcoin";
import { decodeMessage, encodeMessage, MINING_SETUP_FLAGS, PROTOCOL, type Sv2Message } from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";
import type { RunningPool } from "../../src/pool.ts";

/** A message of one type. */
export type MessageOf<T extends Sv2Message["type"]> = Extract<Sv2Message, { type: T }>;

/** A connected, set-up mining client. */
export interface RawMiningClient {
  readonly conn: Sv2Connection;
  /** Every message received so far, in order. */
  readonly received: readonly Sv2Message[];
  send(m: Sv2Message): Promise<void>;
  /** The first message (from `from` on, in arrival order) matching, awaited up to `timeoutMs`. */
  next<T extends Sv2Message["type"]>(
    type: T,
    match?: (m: MessageOf<T>) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<MessageOf<T>>;
  /** The first message (from `from` on) that `match` accepts. */
  waitMessage(
    match: (m: Sv2Message) => boolean,
    what: string,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<Sv2Message>;
  /** The pool's answer to a submit: Success covering `sequenceNumber` or the Error naming it. */
  answerTo(
    channelId: number,
    sequenceNumber: number,
    from: number,
  ): Promise<{ ok: true } | { ok: false; code: string }>;
  /** Opens a channel; resolves with its Success or Error message. */
  open(
    kind: "standard" | "extended",
    request: { requestId: number; userIdentity: string; nominalHashRate?: number; maxTarget?: bigint },
  ): Promise<
    | MessageOf<"OpenStandardMiningChannel.Success">
    | MessageOf<"OpenExtendedMiningChannel.Success">
    | MessageOf<"OpenMiningChannel.Error">
  >;
  /** Resolves when the pool closes the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

/** Connects to a pool, completes the handshake and SetupConnection (throws on SetupConnection.Error). */
export async function connectRawClient(
  pool: Pick<RunningPool, "port" | "authorityPublicKey">,
  options: { deviceId?: string; flags?: number } = {},
): Promise<RawMiningClient> {
  const socket = connect({ host: "127.0.0.1", port: pool.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const conn = await connectInitiator(socket, {
    handshakeTimeoutMs: 10_000,
    maxPayload: 1 << 20,
    authorityPublicKey: pool.authorityPublicKey,
  });
  const received: Sv2Message[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const closed = (async () => {
    try {
      for await (const frame of conn.frames()) {
        received.push(decodeMessage(frame));
        for (const wake of waiters) wake();
      }
    } catch {
      // a reset counts as closed
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();
  const send = (m: Sv2Message) => conn.send(encodeMessage(m));

  /** The first received message from `from` on that `match` accepts. */
  const nextWhere = (
    match: (m: Sv2Message) => boolean,
    what: string,
    opts: { from?: number; timeoutMs?: number } = {},
  ): Promise<Sv2Message> =>
    new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const check = () => {
        for (let i = opts.from ?? 0; i < received.length; i++) {
          if (!match(received[i]!)) continue;
          done();
          resolve(received[i]!);
          return;
        }
        if (ended) {
          done();
          reject(new Error(`connection closed before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const next: RawMiningClient["next"] = (type, match, opts) =>
    nextWhere((m) => m.type === type && (!match || match(m as never)), type, opts) as never;

  await send({
    type: "SetupConnection",
    protocol: PROTOCOL.MINING,
    minVersion: 2,
    maxVersion: 2,
    flags: options.flags ?? MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING,
    endpointHost: "127.0.0.1",
    endpointPort: pool.port,
    vendor: "hyperhash-test",
    hardwareVersion: "",
    firmware: "raw-client",
    deviceId: options.deviceId ?? "",
  });
  const answer = await nextWhere((m) => m.type.startsWith("SetupConnection."), "SetupConnection answer");
  if (answer.type === "SetupConnection.Error") {
    conn.close();
    throw new Error(`SetupConnection refused: ${answer.errorCode}, flags ${answer.flags}`);
  }

  return {
    conn,
    received,
    send,
    next,
    waitMessage: nextWhere,
    async answerTo(channelId, sequenceNumber, from) {
      const m = await nextWhere(
        (m) =>
          (m.type === "SubmitShares.Success" &&
            m.channelId === channelId &&
            m.lastSequenceNumber >= sequenceNumber) ||
          (m.type === "SubmitShares.Error" &&
            m.channelId === channelId &&
            m.sequenceNumber === sequenceNumber),
        `the answer to share ${sequenceNumber}`,
        { from },
      );
      return m.type === "SubmitShares.Error" ? { ok: false, code: m.errorCode } : { ok: true };
    },
    async open(kind, request) {
      const from = received.length;
      const common = {
        requestId: request.requestId,
        userIdentity: request.userIdentity,
        nominalHashRate: request.nominalHashRate ?? 100_000,
        maxTarget: targetToU256LE(request.maxTarget ?? MAX_TARGET),
      };
      await send(
        kind === "extended"
          ? { type: "OpenExtendedMiningChannel", ...common, minExtranonceSize: 4 }
          : { type: "OpenStandardMiningChannel", ...common },
      );
      const answer = await nextWhere(
        (m) =>
          (m.type === "OpenStandardMiningChannel.Success" ||
            m.type === "OpenExtendedMiningChannel.Success" ||
            m.type === "OpenMiningChannel.Error") &&
          m.requestId === request.requestId,
        `the answer to open request ${request.requestId}`,
        { from },
      );
      return answer as never;
    },
    closed,
    close: () => conn.close(),
  };
}
