/**
 * SV2 plaintext framing (sv2-spec 03-Protocol-Overview §3.2):
 * `extension_type U16 | msg_type U8 | msg_length U24 | payload`.
 *
 * The channel_msg flag is the MSB of extension_type; it is split out here so callers
 * never compare extension types with the flag still in them (§3.2.1: "the channel_msg
 * bit is ignored in the extension lookup").
 */
import { Sv2CodecError } from "./errors.ts";

/** Size of the frame header in bytes. */
export const HEADER_SIZE = 6;
/** channel_msg flag inside the wire extension_type (wire bytes `00 80`). */
export const CHANNEL_MSG_BIT = 0x8000;
/** Largest payload a U24 msg_length can declare. */
export const MAX_PAYLOAD = 0xffffff;

/** A decoded frame header. */
export interface FrameHeader {
  /** extension_type without the channel bit (0..0x7fff). */
  extensionType: number;
  /** Whether the channel_msg bit is set: the payload starts with `channel_id U32`. */
  channelMsg: boolean;
  /** msg_type (0..255). */
  msgType: number;
  /** Payload length in bytes (0..0xffffff), header excluded. */
  msgLength: number;
}

/** A header plus its payload (`payload.length === header.msgLength`). */
export interface Frame {
  /** The frame header. */
  header: FrameHeader;
  /** The message payload. */
  payload: Uint8Array;
}

function checkField(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new Sv2CodecError("invalid-value", `${name} ${v} not in 0..${max}`);
  }
}

/** Serialises a header into 6 bytes; rejects out-of-range fields. */
export function encodeHeader(h: FrameHeader): Uint8Array {
  checkField("extensionType", h.extensionType, 0x7fff);
  checkField("msgType", h.msgType, 0xff);
  checkField("msgLength", h.msgLength, MAX_PAYLOAD);
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(out, 0, h);
  return out;
}

function writeHeader(out: Uint8Array, at: number, h: FrameHeader): void {
  const ext = h.extensionType | (h.channelMsg ? CHANNEL_MSG_BIT : 0);
  out[at] = ext & 0xff;
  out[at + 1] = ext >>> 8;
  out[at + 2] = h.msgType;
  out[at + 3] = h.msgLength & 0xff;
  out[at + 4] = (h.msgLength >>> 8) & 0xff;
  out[at + 5] = h.msgLength >>> 16;
}

/** Parses the first 6 bytes of `bytes` as a header (extra bytes are ignored). */
export function decodeHeader(bytes: Uint8Array): FrameHeader {
  if (bytes.length < HEADER_SIZE) {
    throw new Sv2CodecError("short-buffer", `frame header needs ${HEADER_SIZE} bytes, have ${bytes.length}`);
  }
  const ext = bytes[0]! | (bytes[1]! << 8);
  return {
    extensionType: ext & ~CHANNEL_MSG_BIT & 0xffff,
    channelMsg: (ext & CHANNEL_MSG_BIT) !== 0,
    msgType: bytes[2]!,
    msgLength: bytes[3]! | (bytes[4]! << 8) | (bytes[5]! << 16),
  };
}

/** Serialises header and payload into one array; msgLength must match the payload. */
export function encodeFrame(f: Frame): Uint8Array {
  if (!(f.payload instanceof Uint8Array) || f.payload.length !== f.header.msgLength) {
    throw new Sv2CodecError("invalid-value", `msgLength ${f.header.msgLength} != payload length`);
  }
  const head = encodeHeader(f.header);
  const out = new Uint8Array(HEADER_SIZE + f.payload.length);
  out.set(head, 0);
  out.set(f.payload, HEADER_SIZE);
  return out;
}

/**
 * Streaming frame decoder for a plaintext byte stream cut arbitrarily by TCP.
 *
 * Memory is bounded by construction: the header goes into a fixed 6-byte buffer and
 * a payload buffer is allocated only once its header is known and within
 * `maxPayload`, at exactly the declared size. A header over the limit throws
 * `frame-too-large` before any of its payload is buffered. Errors are sticky: a
 * stream that broke framing cannot be resynchronised, so every later `push` throws
 * the same error and the caller should close the connection.
 */
export class FrameDecoder {
  private readonly maxPayload: number;
  private readonly head = new Uint8Array(HEADER_SIZE);
  private headFill = 0;
  private header: FrameHeader | null = null;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private failure: Sv2CodecError | null = null;

  /** @param opts.maxPayload - largest accepted msg_length (default {@link MAX_PAYLOAD}) */
  constructor(opts: { maxPayload?: number } = {}) {
    const max = opts.maxPayload ?? MAX_PAYLOAD;
    checkField("maxPayload", max, MAX_PAYLOAD);
    this.maxPayload = max;
  }

  /** Bytes held for the incomplete frame (header + payload so far); never above 6 + maxPayload. */
  get pending(): number {
    return this.headFill + this.bodyFill;
  }

  /**
   * Feeds a chunk and returns every frame it completes, in order. Payloads are
   * copies, so the caller may reuse `chunk`.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure) throw this.failure;
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.header === null) {
        const take = Math.min(HEADER_SIZE - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill < HEADER_SIZE) break;
        const header = decodeHeader(this.head);
        if (header.msgLength > this.maxPayload) {
          this.failure = new Sv2CodecError(
            "frame-too-large",
            `msg_length ${header.msgLength} > max ${this.maxPayload} (msg_type ${header.msgType})`,
          );
          throw this.failure;
        }
        this.header = header;
        this.body = new Uint8Array(header.msgLength);
        this.bodyFill = 0;
      } else {
        const body = this.body!;
        const take = Math.min(body.length - this.bodyFill, chunk.length - at);
        body.set(chunk.subarray(at, at + take), this.bodyFill);
        this.bodyFill += take;
        at += take;
      }
      // An empty payload completes with the header alone, so check after either step.
      if (this.header !== null && this.bodyFill === this.header.msgLength) {
        frames.push({ header: this.header, payload: this.body! });
        this.header = null;
        this.body = null;
        this.headFill = 0;
        this.bodyFill = 0;
      }
    }
    return frames;
  }
}
