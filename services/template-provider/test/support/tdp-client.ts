/**
 * A small Template Distribution client for tests and benchmarks: Noise initiator (pinning
 * the TP's authority key), SetupConnection (protocol 2), CoinbaseOutputConstraints, and a
 * typed inbox (`next("NewTemplate")`) with receive times (performance.now()).
 */
import { connect, type Socket } from "node:net";
import {
  decodeMessage,
  encodeMessage,
  type Frame,
  type MessageOf,
  PROTOCOL,
  type Sv2Message,
  type Sv2MessageType,
} from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";

/** A received message with when it arrived. */
export type Received<K extends Sv2MessageType = Sv2MessageType> = MessageOf<K> & { receivedAt: number };

/** A connected TDP client. */
export interface TdpClient {
  readonly socket: Socket;
  readonly connection: Sv2Connection;
  /** Every message so far, in order. */
  readonly received: Received[];
  send(message: Sv2Message): Promise<void>;
  /** Sends an encrypted frame as is (e.g. an unknown message type). */
  sendFrame(frame: Frame): Promise<void>;
  /** The next not-yet-taken message of `type` (waits up to `timeoutMs`). */
  next<K extends Sv2MessageType>(type: K, timeoutMs?: number): Promise<Received<K>>;
  /** Resolves when the TP closed the connection (or it failed). */
  readonly ended: Promise<void>;
  close(): void;
}

/** Options of {@link connectTdp}. */
export interface ConnectTdpOptions {
  host: string;
  port: number;
  /** The TP's authority key; the certificate is verified against it. */
  authorityPublicKey: Uint8Array;
  /** Overrides of SetupConnection fields (protocol, versions). */
  setup?: Partial<MessageOf<"SetupConnection">>;
}

/** Connects and completes the Noise handshake; no SV2 message is sent yet. */
export async function connectTdp(options: ConnectTdpOptions): Promise<TdpClient> {
  const socket = connect({ host: options.host, port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const connection = await connectInitiator(socket, {
    authorityPublicKey: options.authorityPublicKey,
    handshakeTimeoutMs: 15_000,
    maxPayload: 0xff_ffff,
  });
  const received: Received[] = [];
  const taken = new Set<Received>();
  let wake: (() => void)[] = [];
  const ended = (async () => {
    try {
      for await (const frame of connection.frames()) {
        received.push({ ...decodeMessage(frame), receivedAt: performance.now() } as Received);
        for (const w of wake) w();
        wake = [];
      }
    } catch {
      // a failed connection ends like a closed one for the tests
    } finally {
      for (const w of wake) w();
      wake = [];
    }
  })();
  let done = false;
  void ended.then(() => (done = true));

  async function next<K extends Sv2MessageType>(type: K, timeoutMs = 30_000): Promise<Received<K>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = received.find((m) => m.type === type && !taken.has(m));
      if (found) {
        taken.add(found);
        return found as unknown as Received<K>;
      }
      if (done) throw new Error(`connection ended before ${type} arrived`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  return {
    socket,
    connection,
    received,
    send: (message) => connection.send(encodeMessage(message)),
    sendFrame: (frame) => connection.send(frame),
    next,
    ended,
    close: () => socket.destroy(),
  };
}

/** SetupConnection for Template Distribution, as SRI's pool sends it. */
export function tdpSetupConnection(
  overrides: Partial<MessageOf<"SetupConnection">> = {},
): MessageOf<"SetupConnection"> {
  return {
    type: "SetupConnection",
    protocol: PROTOCOL.TEMPLATE_DISTRIBUTION,
    minVersion: 2,
    maxVersion: 2,
    flags: 0,
    endpointHost: "127.0.0.1",
    endpointPort: 0,
    vendor: "hyperhash-test",
    hardwareVersion: "",
    firmware: "",
    deviceId: "",
    ...overrides,
  };
}

/**
 * Connects, sets up protocol 2 and sends the constraints; resolves once SetupConnection.Success
 * arrived. Templates follow in `client.next("NewTemplate")`.
 */
export async function openTdpClient(
  options: ConnectTdpOptions & { maxAdditionalSize?: number; maxAdditionalSigops?: number },
): Promise<TdpClient> {
  const client = await connectTdp(options);
  await client.send(tdpSetupConnection(options.setup));
  await client.next("SetupConnection.Success");
  await client.send({
    type: "CoinbaseOutputConstraints",
    coinbaseOutputMaxAdditionalSize: options.maxAdditionalSize ?? 100,
    coinbaseOutputMaxAdditionalSigops: options.maxAdditionalSigops ?? 400,
  });
  return client;
}
