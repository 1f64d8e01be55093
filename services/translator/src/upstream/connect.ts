/**
 * Opens one SV2 mining connection to a pool: TCP, the Noise NX handshake as initiator
 * (sv2-spec §4.5), then SetupConnection (§3.6.1) with the node credential in device_id.
 */
import { type Socket, connect as tcpConnect } from "node:net";
import {
  decodeMessage,
  encodeMessage,
  MINING_SETUP_FLAGS,
  PROTOCOL,
  parseAuthorityPublicKey,
  type Sv2Message,
} from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";
import type { UpstreamEndpoint } from "../config.ts";

/** Largest SV2 frame accepted from a pool (jobs with long merkle paths stay far below). */
export const MAX_UPSTREAM_PAYLOAD = 1 << 20;

/** Parameters of one connection attempt. */
export interface ConnectOptions {
  readonly endpoint: UpstreamEndpoint;
  /** `<nodeId>:<credential>`; encrypted by Noise, never logged. */
  readonly deviceId: string;
  readonly handshakeTimeoutMs: number;
  /** Aborts the attempt (translator stopping). */
  readonly signal: AbortSignal;
}

/** An established connection: SetupConnection succeeded, frames flow. */
export interface PoolConnection {
  readonly connection: Sv2Connection;
  /** SetupConnection.Success flags (REQUIRES_FIXED_VERSION, REQUIRES_EXTENDED_CHANNELS). */
  readonly successFlags: number;
  /** Frames after SetupConnection.Success, in order. */
  readonly frames: AsyncIterator<import("@hyperhash/sv2").Frame>;
  /** Drops the connection at once (stopping: a graceful close could wait on the pool). */
  destroy(): void;
}

/** A connection attempt that failed, with why. */
export class UpstreamConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UpstreamConnectError";
  }
}

function openSocket(endpoint: UpstreamEndpoint, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: endpoint.host, port: endpoint.port });
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(new UpstreamConnectError(`connect ${endpoint.host}:${endpoint.port}: ${error.message}`));
    };
    const onAbort = () => fail(new Error("aborted"));
    const timer = setTimeout(() => fail(new Error("timed out")), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.off("error", fail);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("error", fail);
    socket.once("connect", () => {
      cleanup();
      resolve(socket);
    });
  });
}

/**
 * Connects, handshakes and sets the connection up for the mining protocol with
 * REQUIRES_VERSION_ROLLING (SRI's translator habit: SV1 miners roll versions).
 * @throws UpstreamConnectError on any failure (the socket is closed)
 */
export async function connectPool(options: ConnectOptions): Promise<PoolConnection> {
  const { endpoint } = options;
  const socket = await openSocket(endpoint, options.handshakeTimeoutMs, options.signal);
  let connection: Sv2Connection;
  try {
    connection = await connectInitiator(socket, {
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      maxPayload: MAX_UPSTREAM_PAYLOAD,
      ...(endpoint.authorityPublicKey
        ? { authorityPublicKey: parseAuthorityPublicKey(endpoint.authorityPublicKey) }
        : {}),
    });
  } catch (cause) {
    socket.destroy();
    throw new UpstreamConnectError(`handshake with ${endpoint.host}:${endpoint.port} failed`, { cause });
  }
  const frames = connection.frames()[Symbol.asyncIterator]();
  try {
    await connection.send(
      encodeMessage({
        type: "SetupConnection",
        protocol: PROTOCOL.MINING,
        minVersion: 2,
        maxVersion: 2,
        flags: MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING,
        endpointHost: endpoint.host,
        endpointPort: endpoint.port,
        vendor: "hyperhash",
        hardwareVersion: "",
        firmware: "hh-translator/0.1.0",
        deviceId: options.deviceId,
      }),
    );
    const reply = await firstMessage(frames, options.handshakeTimeoutMs);
    if (reply.type === "SetupConnection.Success") {
      return { connection, successFlags: reply.flags, frames, destroy: () => socket.destroy() };
    }
    if (reply.type === "SetupConnection.Error") {
      throw new UpstreamConnectError(`SetupConnection refused: ${reply.errorCode}`);
    }
    throw new UpstreamConnectError(`unexpected ${reply.type} before SetupConnection.Success`);
  } catch (error) {
    connection.close();
    socket.destroy();
    throw error instanceof UpstreamConnectError
      ? error
      : new UpstreamConnectError("SetupConnection failed", { cause: error });
  }
}

async function firstMessage(
  frames: AsyncIterator<import("@hyperhash/sv2").Frame>,
  timeoutMs: number,
): Promise<Sv2Message> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamConnectError("no SetupConnection reply")), timeoutMs);
  });
  try {
    const next = await Promise.race([frames.next(), timeout]);
    if (next.done) throw new UpstreamConnectError("pool closed before SetupConnection reply");
    return decodeMessage(next.value);
  } finally {
    clearTimeout(timer);
  }
}
