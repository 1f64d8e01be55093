/**
 * The pool's Template Distribution client (sv2-spec §7): a Noise initiator to hh-tp that
 * sends SetupConnection (protocol 2) and CoinbaseOutputConstraints, then hands every
 * NewTemplate and SetNewPrevHash to the pool in wire order, and carries SubmitSolution back.
 * It reconnects after a drop; templates of a new connection start a fresh sequence.
 */
import { connect, type Socket } from "node:net";
import {
  decodeMessage,
  encodeMessage,
  type Frame,
  type NewTemplate,
  PROTOCOL,
  type SetNewPrevHashTdp,
  type SubmitSolution,
  type Sv2Message,
} from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";
import type { Logger } from "@hyperhash/telemetry";

/** Options of {@link startTdpClient}. */
export interface TdpClientOptions {
  readonly host: string;
  readonly port: number;
  /** The TP's authority key; without it the certificate is not checked. */
  readonly authorityPublicKey?: Uint8Array;
  /** Bytes the pool adds to the coinbase outputs (its payout output). */
  readonly coinbaseOutputMaxAdditionalSize: number;
  /** Sigops the pool's outputs add. */
  readonly coinbaseOutputMaxAdditionalSigops: number;
  /** Called for each template and tip, in wire order. */
  readonly onMessage: (
    m: ({ type: "NewTemplate" } & NewTemplate) | ({ type: "SetNewPrevHashTdp" } & SetNewPrevHashTdp),
  ) => void;
  /** Called when a connection (re)starts, before its first template. */
  readonly onConnected?: () => void;
  readonly logger: Logger;
  /** Delay before reconnecting (ms). */
  readonly reconnectDelayMs?: number;
}

/** A running TDP client. */
export interface TdpClient {
  /** Sends SubmitSolution; false when no connection is up (the block is then lost to us). */
  submitSolution(solution: SubmitSolution): boolean;
  /** True while a set-up connection is open. */
  readonly connected: boolean;
  /** Closes the connection and stops reconnecting. */
  stop(): Promise<void>;
}

const MAX_TDP_PAYLOAD = 4 * 1024 * 1024; // NewTemplate carries at most 64 KiB of outputs and a merkle path

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Next frame of a connection without ending its single reader (a `for await` break would). */
async function nextFrame(frames: AsyncIterator<Frame>): Promise<Frame | null> {
  const next = await frames.next();
  return next.done ? null : next.value;
}

/** Starts the client; it connects in the background and keeps reconnecting until stopped. */
export function startTdpClient(options: TdpClientOptions): TdpClient {
  let current: Sv2Connection | null = null;
  let ready = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  const log = options.logger;

  async function session(): Promise<void> {
    const socket = await openSocket(options.host, options.port);
    const conn = await connectInitiator(socket, {
      handshakeTimeoutMs: 10_000,
      maxPayload: MAX_TDP_PAYLOAD,
      ...(options.authorityPublicKey ? { authorityPublicKey: options.authorityPublicKey } : {}),
    });
    current = conn;
    if (stopped) {
      conn.close();
      return;
    }
    await conn.send(
      encodeMessage({
        type: "SetupConnection",
        protocol: PROTOCOL.TEMPLATE_DISTRIBUTION,
        minVersion: 2,
        maxVersion: 2,
        flags: 0,
        endpointHost: options.host,
        endpointPort: options.port,
        vendor: "hyperhash",
        hardwareVersion: "",
        firmware: "hh-pool",
        deviceId: "",
      }),
    );
    const frames = conn.frames()[Symbol.asyncIterator]();
    const first = await nextFrame(frames);
    const answer = first ? decodeMessage(first) : null;
    if (answer?.type !== "SetupConnection.Success") {
      conn.close();
      throw new Error(
        `template provider refused SetupConnection: ${JSON.stringify(answer?.type ?? "closed")}`,
      );
    }
    await conn.send(
      encodeMessage({
        type: "CoinbaseOutputConstraints",
        coinbaseOutputMaxAdditionalSize: options.coinbaseOutputMaxAdditionalSize,
        coinbaseOutputMaxAdditionalSigops: options.coinbaseOutputMaxAdditionalSigops,
      }),
    );
    ready = true;
    options.onConnected?.();
    log.info("template provider connected", { host: options.host, port: options.port });
    for (let frame = await nextFrame(frames); frame; frame = await nextFrame(frames)) {
      let message: Sv2Message;
      try {
        message = decodeMessage(frame);
      } catch (err) {
        log.warn("undecodable frame from the template provider", { error: err });
        continue;
      }
      if (message.type === "NewTemplate" || message.type === "SetNewPrevHashTdp") options.onMessage(message);
      else log.debug("ignored template provider message", { type: message.type });
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await session();
      } catch (err) {
        if (!stopped) log.warn("template provider connection failed", { error: err });
      } finally {
        ready = false;
        (current as Sv2Connection | null)?.close();
        current = null;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.reconnectDelayMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    submitSolution(solution) {
      const conn = current;
      if (!conn || !ready) return false;
      conn.send(encodeMessage({ type: "SubmitSolution", ...solution })).catch((err) => {
        log.error("SubmitSolution could not be sent", { error: err });
      });
      return true;
    },
    get connected() {
      return ready;
    },
    async stop() {
      stopped = true;
      current?.close();
      (wake as (() => void) | null)?.();
      await loop;
    },
  };
}
