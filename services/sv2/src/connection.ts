/**
 * Service-facing adapter: turns a connected `net.Socket` into a handshaked, encrypted SV2
 * frame channel (sv2-spec §4.5 handshake, §4.6 transport). This is the only Noise-related
 * module that touches sockets, timers and the wall clock; the protocol logic stays in
 * `noise/`, which is pure.
 *
 * One reader per connection: frames come out of {@link Sv2Connection.frames} strictly in
 * wire order, and the socket is paused while the consumer lags, so a slow consumer slows
 * the peer down (TCP backpressure) instead of growing memory.
 */
import type { Socket } from "node:net";
import type { Frame } from "./framing.ts";
import type { SignatureNoiseMessage } from "./noise/certificate.ts";
import type { RandomSource } from "./noise/ellswift.ts";
import { NoiseError } from "./noise/errors.ts";
import {
  ACT1_SIZE,
  ACT2_SIZE,
  type Clock,
  createInitiator,
  createResponder,
  type HandshakeResult,
  type ResponderCredentials,
} from "./noise/handshake.ts";
import { type CipherState, encryptFrame, NoiseFrameDecoder } from "./noise/transport.ts";

/** An established encrypted SV2 channel. */
export interface Sv2Connection {
  /** Responder's static x-only key, as proven in the handshake. */
  readonly responderStaticKey: Uint8Array;
  /** Certificate the responder sent (verified by the initiator when it had an authority key). */
  readonly certificate: SignatureNoiseMessage;
  /** Final handshake hash, identical on both sides. */
  readonly handshakeHash: Uint8Array;
  /**
   * Received frames in order. Ends when the peer closes cleanly; throws the NoiseError that
   * ended the connection otherwise. Iterate it once: there is a single reader.
   */
  frames(): AsyncIterable<Frame>;
  /**
   * Encrypt and write one frame; resolves once the socket accepted it without exceeding its
   * high-water mark (waits for 'drain' otherwise). Frames go out in call order.
   * @throws NoiseError when the connection has ended; Sv2CodecError for an invalid header
   */
  send(frame: Frame): Promise<void>;
  /**
   * Like `send` for each frame, in order, but as one socket write (one syscall for a burst,
   * e.g. a Template Provider's NewTemplate + SetNewPrevHash on a new tip).
   */
  sendAll(frames: readonly Frame[]): Promise<void>;
  /** Flush pending writes and close; `frames()` ends after what was already received. */
  close(): void;
  /** Resolves when the socket has closed: `null` after a clean close, else the error. */
  readonly closed: Promise<NoiseError | null>;
}

/** Options of {@link connectInitiator}. */
export interface InitiatorConnectionOptions {
  /** Authority x-only key of the pool; when absent the certificate is not verified. */
  authorityPublicKey?: Uint8Array;
  /** The handshake must complete within this many ms, else the socket is destroyed. */
  handshakeTimeoutMs: number;
  /** Largest accepted payload of a received frame (≤ 0xffffff). */
  maxPayload: number;
  /** Clock (Unix ms) for the certificate window; default `Date.now`. */
  now?: Clock;
  /** Randomness for the ephemeral key; default the platform CSPRNG. */
  random?: RandomSource;
}

/** Options of {@link acceptResponder}. */
export type ResponderConnectionOptions = ResponderCredentials & {
  /** Responder static secret key (32 bytes). */
  staticKey: Uint8Array;
  /** The handshake must complete within this many ms, else the socket is destroyed. */
  handshakeTimeoutMs: number;
  /** Largest accepted payload of a received frame (≤ 0xffffff). */
  maxPayload: number;
  /** Clock (Unix ms) for issuing certificates; default `Date.now`. */
  now?: Clock;
  /** Randomness for keys and signatures; default the platform CSPRNG. */
  random?: RandomSource;
};

// Pause the socket while this many decoded frames (or bytes of payload) wait for the reader.
const QUEUE_HIGH_FRAMES = 1024;
const QUEUE_HIGH_BYTES = 8 * 1024 * 1024;

/**
 * Run the client side of the handshake on `socket` (sv2-spec §4.5.1.1, §4.5.2.2).
 * @throws NoiseError on timeout, close, bad act 2 or certificate failure (socket destroyed)
 */
export function connectInitiator(
  socket: Socket,
  options: InitiatorConnectionOptions,
): Promise<Sv2Connection> {
  return establish(socket, options, async (io) => {
    const initiator = createInitiator({
      now: options.now ?? Date.now,
      ...(options.authorityPublicKey ? { authorityPublicKey: options.authorityPublicKey } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    io.write(initiator.writeAct1());
    return initiator.readAct2(await io.read(ACT2_SIZE));
  });
}

/**
 * Run the server side of the handshake on an accepted `socket` (sv2-spec §4.5.1.2, §4.5.2.1).
 * @throws NoiseError on timeout, close, bad act 1 or bad configuration (socket destroyed)
 */
export function acceptResponder(socket: Socket, options: ResponderConnectionOptions): Promise<Sv2Connection> {
  return establish(socket, options, async (io) => {
    const credentials: ResponderCredentials =
      "certificate" in options
        ? { certificate: options.certificate }
        : {
            authoritySecretKey: options.authoritySecretKey,
            certificateValiditySeconds: options.certificateValiditySeconds,
          };
    const responder = createResponder({
      ...credentials,
      staticSecretKey: options.staticKey,
      now: options.now ?? Date.now,
      ...(options.random ? { random: options.random } : {}),
    });
    const { act2, result } = responder.readAct1(await io.read(ACT1_SIZE));
    io.write(act2);
    return result;
  });
}

interface HandshakeIo {
  read(length: number): Promise<Uint8Array>;
  write(bytes: Uint8Array): void;
}

async function establish(
  socket: Socket,
  options: { handshakeTimeoutMs: number; maxPayload: number },
  run: (io: HandshakeIo) => Promise<HandshakeResult>,
): Promise<Sv2Connection> {
  const channel = new SocketChannel(socket);
  const timer = setTimeout(
    () =>
      channel.fail(
        new NoiseError("HANDSHAKE_TIMEOUT", `handshake not done in ${options.handshakeTimeoutMs} ms`),
      ),
    options.handshakeTimeoutMs,
  );
  try {
    const result = await Promise.race([run(channel), channel.failed]);
    return channel.startTransport(result, options.maxPayload);
  } catch (error) {
    const failure =
      error instanceof NoiseError
        ? error
        : new NoiseError("HANDSHAKE_STATE", "handshake failed", { cause: error });
    channel.fail(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
  }
}

/** Socket state for one connection: handshake reads, then transport frames. */
class SocketChannel implements HandshakeIo {
  private readonly socket: Socket;
  /** Bytes received during the handshake and not consumed yet. */
  private inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private wantRead: { length: number; resolve: (bytes: Uint8Array) => void } | null = null;
  private decoder: NoiseFrameDecoder | null = null;
  private sendCipher: CipherState | null = null;
  private queue: Frame[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: NoiseError | null = null;
  private drain: Promise<void> | null = null;
  private reader: AsyncGenerator<Frame> | null = null;
  private rejectFailed: (error: NoiseError) => void = () => {};
  private resolveClosed: (value: NoiseError | null) => void = () => {};
  /** Rejects with the first failure; raced against the handshake. */
  readonly failed: Promise<never>;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<NoiseError | null>;

  constructor(socket: Socket) {
    this.socket = socket;
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => {}); // observed through establish(); avoid unhandled rejections
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.setNoDelay(true); // small frames (shares, jobs) should not wait for Nagle
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("error", (cause) => this.fail(new NoiseError("SOCKET_ERROR", cause.message, { cause })));
    socket.on("close", () => {
      if (!this.ended && !this.failure) this.onEnd();
      this.resolveClosed(this.failure);
      this.wakeReader();
    });
    if (socket.destroyed) this.fail(new NoiseError("CONNECTION_CLOSED", "socket already closed"));
  }

  read(length: number): Promise<Uint8Array> {
    return new Promise((resolve) => {
      this.wantRead = { length, resolve };
      this.serveRead();
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** End the connection with `error` (first failure wins) and destroy the socket. */
  fail(error: NoiseError): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    this.socket.destroy();
    this.wakeReader();
  }

  startTransport(result: HandshakeResult, maxPayload: number): Sv2Connection {
    if (this.failure) throw this.failure;
    this.decoder = new NoiseFrameDecoder(result.receiveCipher, { maxPayload });
    this.sendCipher = result.sendCipher;
    // The peer may already have sent frames in the same TCP segment as its last act.
    const leftover = this.takeInbound(this.inboundBytes);
    this.inbound = [];
    if (leftover.length > 0) this.decode(leftover);
    return {
      responderStaticKey: result.responderStaticKey,
      certificate: result.certificate,
      handshakeHash: result.handshakeHash,
      // One generator for the connection: a second reader would steal frames and break order.
      frames: () => {
        this.reader ??= this.frames();
        return this.reader;
      },
      send: (frame) => this.send(frame),
      sendAll: (frames) => this.sendAll(frames),
      close: () => this.close(),
      closed: this.closed,
    };
  }

  private onData(chunk: Uint8Array): void {
    if (this.failure) return;
    if (this.decoder) {
      this.decode(chunk);
      return;
    }
    this.inbound.push(chunk);
    this.inboundBytes += chunk.length;
    this.serveRead();
  }

  private onEnd(): void {
    if (this.ended || this.failure) return;
    if (!this.decoder) {
      this.fail(new NoiseError("CONNECTION_CLOSED", "peer closed during the handshake"));
    } else if (this.decoder.pending > 0) {
      this.fail(new NoiseError("CONNECTION_CLOSED", "peer closed in the middle of a frame"));
    } else {
      this.ended = true;
      this.wakeReader();
    }
  }

  private serveRead(): void {
    const want = this.wantRead;
    if (!want || this.inboundBytes < want.length) return;
    this.wantRead = null;
    want.resolve(this.takeInbound(want.length));
  }

  private takeInbound(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const head = this.inbound[0]!;
      const take = Math.min(head.length, length - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.inbound.shift();
      else this.inbound[0] = head.subarray(take);
    }
    this.inboundBytes -= length;
    return out;
  }

  private decode(chunk: Uint8Array): void {
    const decoder = this.decoder!;
    try {
      for (const frame of decoder.push(chunk)) {
        this.queue.push(frame);
        this.queuedBytes += frame.payload.length;
      }
    } catch (error) {
      this.fail(
        error instanceof NoiseError ? error : new NoiseError("DECRYPT_FAILED", "bad frame", { cause: error }),
      );
      return;
    }
    // Good frames ahead of a bad one were queued above; the reader gets them before the error.
    if (decoder.error) {
      this.fail(decoder.error);
      return;
    }
    const waiting = this.queue.length - this.queueHead;
    if (waiting >= QUEUE_HIGH_FRAMES || this.queuedBytes >= QUEUE_HIGH_BYTES) this.socket.pause();
    this.wakeReader();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async *frames(): AsyncGenerator<Frame> {
    for (;;) {
      if (this.queueHead < this.queue.length) {
        const frame = this.queue[this.queueHead++]!;
        this.queuedBytes -= frame.payload.length;
        if (this.queueHead === this.queue.length) {
          this.queue = [];
          this.queueHead = 0;
        }
        const backlog = this.queue.length - this.queueHead;
        if (
          this.socket.isPaused() &&
          backlog < QUEUE_HIGH_FRAMES / 2 &&
          this.queuedBytes < QUEUE_HIGH_BYTES / 2
        ) {
          this.socket.resume();
        }
        yield frame;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended || this.socket.destroyed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private async send(frame: Frame): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.socket.destroyed || this.socket.writableEnded) {
      throw new NoiseError("CONNECTION_CLOSED", "connection is closed");
    }
    // Encrypt now, in call order: nonces must match the order bytes reach the socket.
    const bytes = encryptFrame(this.sendCipher!, frame);
    if (this.socket.write(bytes)) return;
    await this.waitDrain();
  }

  private async sendAll(frames: readonly Frame[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.socket.destroyed || this.socket.writableEnded) {
      throw new NoiseError("CONNECTION_CLOSED", "connection is closed");
    }
    const parts: Uint8Array[] = [];
    try {
      for (const frame of frames) parts.push(encryptFrame(this.sendCipher!, frame));
    } catch (error) {
      // Frames already encrypted took nonces the peer will never see: the stream is unusable.
      if (parts.length > 0) this.socket.destroy();
      throw error;
    }
    if (this.socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts))) return;
    await this.waitDrain();
  }

  private waitDrain(): Promise<void> {
    this.drain ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        this.drain = null;
        if (this.failure) reject(this.failure);
        else if (this.socket.destroyed) reject(new NoiseError("CONNECTION_CLOSED", "closed while sending"));
        else resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
    return this.drain;
  }

  private close(): void {
    if (!this.socket.destroyed) this.socket.end();
  }
}
