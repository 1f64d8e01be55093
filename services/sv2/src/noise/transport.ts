/**
 * Noise transport for SV2 frames (sv2-spec §4.4.1 CipherState, §4.6 encrypted framing).
 *
 * ChaCha20-Poly1305 IETF; nonce = 4 zero bytes ‖ LE u64 counter; empty associated data after
 * the handshake. A frame is the 6-byte header encrypted alone (22 bytes), then the payload in
 * chunks of at most 65,519 plaintext bytes (65,535 with the MAC), one nonce each; msg_length
 * stays the plaintext length and an empty payload adds no ciphertext.
 *
 * The AEAD is OpenSSL's: through the native addon's reused contexts when it is loaded
 * (native.ts; ~6× node:crypto on a share-sized frame, which builds a cipher object per frame),
 * else node:crypto (~5× noble). noble's stays in the tests as the reference both are checked
 * against.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { decodeHeader, encodeHeader, type Frame, HEADER_SIZE, MAX_PAYLOAD } from "../framing.ts";
import { NoiseError } from "./errors.ts";
import { nativeShareCrypto } from "./native.ts";

/** Poly1305 tag size. */
export const MAC_SIZE = 16;
/** Largest Noise message (ciphertext incl. MAC), Noise spec §3. */
export const MAX_CIPHERTEXT_CHUNK = 65_535;
/** Largest plaintext per Noise message. */
export const MAX_PLAINTEXT_CHUNK = MAX_CIPHERTEXT_CHUNK - MAC_SIZE;
/** Wire size of an encrypted frame header. */
export const ENCRYPTED_HEADER_SIZE = HEADER_SIZE + MAC_SIZE;
const KEY_SIZE = 32;
const NONCE_SIZE = 12;
const EMPTY = new Uint8Array(0);
// Counter kept as a JS number: 2^53 messages are out of reach, and stopping there keeps the
// "never reuse a nonce" guarantee without bigint arithmetic on every frame.
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/**
 * Noise CipherState: key `k` and nonce `n`, incremented after each successful operation.
 * A failed decryption leaves `n` unchanged (sv2-spec §4.4.1).
 */
export interface CipherState {
  /** Next nonce to be used. */
  readonly nonce: number;
  /**
   * ENCRYPT(k, n++, ad, plaintext).
   * @param output - optional destination of exactly `plaintext.length + 16` bytes
   */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array, output?: Uint8Array): Uint8Array;
  /**
   * DECRYPT(k, n++, ad, ciphertext).
   * @param output - optional destination of exactly `ciphertext.length - 16` bytes
   * @throws NoiseError `DECRYPT_FAILED` (nonce not advanced) | `NONCE_EXHAUSTED`
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array, output?: Uint8Array): Uint8Array;
}

/** Write the 12-byte IETF nonce into `nonce`: 32 zero bits, then the counter as LE u64. */
function encodeNonce(nonce: Buffer, n: number): Buffer {
  nonce.writeUInt32LE(n >>> 0, 4);
  nonce.writeUInt32LE(Math.floor(n / 0x1_0000_0000), 8);
  return nonce;
}

const AEAD = "chacha20-poly1305";
const AEAD_OPTIONS = { authTagLength: MAC_SIZE } as const;

function seal(
  key: KeyObject | Buffer,
  nonce: Buffer,
  ad: Uint8Array,
  plaintext: Uint8Array,
  output?: Uint8Array,
): Uint8Array {
  const size = plaintext.length + MAC_SIZE;
  if (output !== undefined && output.length !== size) {
    throw new NoiseError("INVALID_ARGUMENT", `output must be ${size} bytes`);
  }
  const out = output ?? new Uint8Array(size);
  const cipher = createCipheriv(AEAD, key, nonce, AEAD_OPTIONS);
  if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
  if (plaintext.length > 0) out.set(cipher.update(plaintext), 0);
  cipher.final();
  out.set(cipher.getAuthTag(), plaintext.length);
  return out;
}

/** Opens `ciphertext`, or returns null when the tag does not verify. */
function open(
  key: KeyObject | Buffer,
  nonce: Buffer,
  ad: Uint8Array,
  ciphertext: Uint8Array,
  output?: Uint8Array,
): Uint8Array | null {
  const size = ciphertext.length - MAC_SIZE;
  if (output !== undefined && output.length !== size) {
    throw new NoiseError("INVALID_ARGUMENT", `output must be ${size} bytes`);
  }
  const decipher = createDecipheriv(AEAD, key, nonce, AEAD_OPTIONS);
  decipher.setAuthTag(ciphertext.subarray(size));
  if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: size });
  const plain = size > 0 ? decipher.update(ciphertext.subarray(0, size)) : EMPTY;
  try {
    decipher.final();
  } catch {
    return null;
  }
  if (!output)
    return size > 0 ? new Uint8Array(plain.buffer, plain.byteOffset, plain.length) : new Uint8Array(0);
  output.set(plain, 0);
  return output;
}

function nativeCipherState(aead: NonNullable<typeof nativeShareCrypto>, key: Uint8Array): CipherState {
  const k = Uint8Array.from(key);
  let n = 0;
  const check = () => {
    if (n >= MAX_NONCE) throw new NoiseError("NONCE_EXHAUSTED", "cipher state nonce space exhausted");
  };
  return {
    get nonce() {
      return n;
    },
    encryptWithAd(ad, plaintext, output) {
      check();
      const size = plaintext.length + MAC_SIZE;
      if (output !== undefined && output.length !== size) {
        throw new NoiseError("INVALID_ARGUMENT", `output must be ${size} bytes`);
      }
      const out = output ?? new Uint8Array(size);
      aead.aeadSeal(k, n, ad, plaintext, out);
      n++;
      return out;
    },
    decryptWithAd(ad, ciphertext, output) {
      if (ciphertext.length < MAC_SIZE)
        throw new NoiseError("DECRYPT_FAILED", "ciphertext shorter than a MAC");
      check();
      const size = ciphertext.length - MAC_SIZE;
      if (output !== undefined && output.length !== size) {
        throw new NoiseError("INVALID_ARGUMENT", `output must be ${size} bytes`);
      }
      const out = output ?? new Uint8Array(size);
      if (!aead.aeadOpen(k, n, ad, ciphertext, out))
        throw new NoiseError("DECRYPT_FAILED", "AEAD authentication failed");
      n++;
      return out;
    },
  };
}

/**
 * CipherState after `InitializeKey(key)`: nonce 0.
 * @throws NoiseError `INVALID_ARGUMENT` unless `key` is 32 bytes
 */
export function createCipherState(key: Uint8Array): CipherState {
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) {
    throw new NoiseError("INVALID_ARGUMENT", "cipher key must be 32 bytes");
  }
  if (nativeShareCrypto) return nativeCipherState(nativeShareCrypto, key);
  // A KeyObject makes each later cipher cheaper but costs more than one use: a handshake's
  // states are used once or twice, a transport's for every frame, so it is made on the 3rd use.
  const raw = Buffer.from(key);
  let k: KeyObject | Buffer = raw;
  const nonceBytes = Buffer.alloc(NONCE_SIZE);
  let n = 0;
  const nextNonce = (): Buffer => {
    if (n >= MAX_NONCE) throw new NoiseError("NONCE_EXHAUSTED", "cipher state nonce space exhausted");
    if (n >= 2 && k === raw) {
      k = createSecretKey(raw);
      raw.fill(0);
    }
    return encodeNonce(nonceBytes, n);
  };
  return {
    get nonce() {
      return n;
    },
    encryptWithAd(ad, plaintext, output) {
      const nonce = nextNonce(); // first: it may replace `k`
      const out = seal(k, nonce, ad, plaintext, output);
      n++;
      return out;
    },
    decryptWithAd(ad, ciphertext, output) {
      if (ciphertext.length < MAC_SIZE)
        throw new NoiseError("DECRYPT_FAILED", "ciphertext shorter than a MAC");
      const nonce = nextNonce(); // first: it may replace `k`
      const out = open(k, nonce, ad, ciphertext, output);
      if (!out) throw new NoiseError("DECRYPT_FAILED", "AEAD authentication failed");
      n++;
      return out;
    },
  };
}

/** Ciphertext size of a payload of `msgLength` plaintext bytes (sv2-spec `pt_len_to_ct_len`). */
export function encryptedPayloadLength(msgLength: number): number {
  const fullChunks = Math.floor(msgLength / MAX_PLAINTEXT_CHUNK);
  const rest = msgLength % MAX_PLAINTEXT_CHUNK;
  return fullChunks * MAX_CIPHERTEXT_CHUNK + (rest > 0 ? rest + MAC_SIZE : 0);
}

/** Wire size of an encrypted frame whose payload has `msgLength` bytes. */
export function encryptedFrameLength(msgLength: number): number {
  return ENCRYPTED_HEADER_SIZE + encryptedPayloadLength(msgLength);
}

/**
 * Encrypt one frame for the wire with the sending CipherState (one nonce for the header, one
 * per payload chunk), into a single buffer so it can go out in one socket write.
 * @throws NoiseError `FRAME_LENGTH_MISMATCH`; Sv2CodecError for header fields out of range
 */
export function encryptFrame(cipher: CipherState, frame: Frame): Uint8Array {
  const { header, payload } = frame;
  if (!(payload instanceof Uint8Array) || payload.length !== header.msgLength) {
    throw new NoiseError("FRAME_LENGTH_MISMATCH", `msg_length ${header.msgLength} != payload length`);
  }
  const plainHeader = encodeHeader(header);
  const out = new Uint8Array(encryptedFrameLength(payload.length));
  cipher.encryptWithAd(EMPTY, plainHeader, out.subarray(0, ENCRYPTED_HEADER_SIZE));
  let written = ENCRYPTED_HEADER_SIZE;
  for (let at = 0; at < payload.length; at += MAX_PLAINTEXT_CHUNK) {
    const chunk = payload.subarray(at, Math.min(at + MAX_PLAINTEXT_CHUNK, payload.length));
    cipher.encryptWithAd(EMPTY, chunk, out.subarray(written, written + chunk.length + MAC_SIZE));
    written += chunk.length + MAC_SIZE;
  }
  return out;
}

/** Options of {@link NoiseFrameDecoder}. */
export interface NoiseFrameDecoderOptions {
  /** Largest accepted plaintext msg_length; default and upper bound {@link MAX_PAYLOAD}. */
  maxPayload?: number;
}

/**
 * Streaming decryptor for the receive direction: accepts the byte stream cut anywhere and
 * yields whole {@link Frame}s in order.
 *
 * Memory stays bounded: the header ciphertext goes to a fixed 22-byte buffer, the payload is
 * allocated only after an authenticated header within `maxPayload`, and each chunk is
 * decrypted straight into it as soon as its 65,535 bytes are in. Errors are sticky: after a
 * failed MAC the nonces are out of step for good, so later pushes throw `DECODER_FAILED`.
 */
export class NoiseFrameDecoder {
  private readonly cipher: CipherState;
  private readonly maxPayload: number;
  private readonly headCt = new Uint8Array(ENCRYPTED_HEADER_SIZE);
  private headFill = 0;
  private header: Frame["header"] | null = null;
  private payload: Uint8Array = EMPTY;
  private plainFill = 0;
  private chunkCt: Uint8Array | null = null;
  private chunkFill = 0;
  private failure: NoiseError | null = null;
  private failureReported = false;

  /**
   * @param cipher - the receiving CipherState (c1 on the responder, c2 on the initiator)
   * @throws NoiseError `INVALID_ARGUMENT` for a maxPayload outside 0..0xffffff
   */
  constructor(cipher: CipherState, options: NoiseFrameDecoderOptions = {}) {
    const max = options.maxPayload ?? MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 0 || max > MAX_PAYLOAD) {
      throw new NoiseError("INVALID_ARGUMENT", `maxPayload must be an integer in 0..${MAX_PAYLOAD}`);
    }
    this.cipher = cipher;
    this.maxPayload = max;
  }

  /** Upper bound of {@link pending}: one encrypted frame of `maxPayload` bytes, less a byte. */
  get maxPending(): number {
    return encryptedFrameLength(this.maxPayload) - 1;
  }

  /** Bytes held for the incomplete frame (ciphertext and decrypted payload so far). */
  get pending(): number {
    return this.headFill + this.plainFill + this.chunkFill;
  }

  /** The error that stopped this decoder, or null while it is healthy. */
  get error(): NoiseError | null {
    return this.failure;
  }

  /**
   * Feed received bytes; returns every frame they complete, in order. `chunk` is not
   * retained, so the caller may reuse it. When a chunk holds good frames followed by a bad
   * one, the good frames are returned first (wire order is kept), {@link error} is set, and
   * the next push throws that error; a push that completes no frame throws at once.
   * @throws NoiseError `DECRYPT_FAILED` | `FRAME_TOO_LARGE` | `DECODER_FAILED` (used after failure)
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure) {
      if (this.failureReported) {
        throw new NoiseError("DECODER_FAILED", "decoder already failed", { cause: this.failure });
      }
      this.failureReported = true;
      throw this.failure;
    }
    const frames: Frame[] = [];
    try {
      this.consume(chunk, frames);
    } catch (error) {
      this.failure =
        error instanceof NoiseError
          ? error
          : new NoiseError("DECRYPT_FAILED", "frame rejected", { cause: error });
      if (frames.length === 0) {
        this.failureReported = true;
        throw this.failure;
      }
    }
    return frames;
  }

  private consume(chunk: Uint8Array, frames: Frame[]): void {
    let at = 0;
    // A frame with an empty payload completes on its header alone, even at the end of input.
    while (at < chunk.length || (this.header !== null && this.plainFill === this.header.msgLength)) {
      if (this.header === null) {
        const take = Math.min(ENCRYPTED_HEADER_SIZE - this.headFill, chunk.length - at);
        this.headCt.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill < ENCRYPTED_HEADER_SIZE) break;
        this.startFrame();
      } else if (this.plainFill < this.header.msgLength) {
        at = this.consumeChunk(chunk, at);
      } else {
        frames.push({ header: this.header, payload: this.payload });
        this.header = null;
        this.payload = EMPTY;
        this.plainFill = 0;
      }
    }
  }

  private startFrame(): void {
    const header = decodeHeader(this.cipher.decryptWithAd(EMPTY, this.headCt));
    this.headFill = 0;
    if (header.msgLength > this.maxPayload) {
      throw new NoiseError("FRAME_TOO_LARGE", `msg_length ${header.msgLength} > max ${this.maxPayload}`);
    }
    this.header = header;
    this.payload = header.msgLength === 0 ? EMPTY : new Uint8Array(header.msgLength);
    this.plainFill = 0;
  }

  /** Take bytes of the current payload chunk; decrypt it once complete. Returns new offset. */
  private consumeChunk(chunk: Uint8Array, at: number): number {
    const header = this.header!;
    const plainLength = Math.min(header.msgLength - this.plainFill, MAX_PLAINTEXT_CHUNK);
    const ctLength = plainLength + MAC_SIZE;
    const target = this.payload.subarray(this.plainFill, this.plainFill + plainLength);
    // Fast path: the whole chunk is already contiguous in the input, no copy needed.
    if (this.chunkFill === 0 && chunk.length - at >= ctLength) {
      this.cipher.decryptWithAd(EMPTY, chunk.subarray(at, at + ctLength), target);
      this.plainFill += plainLength;
      return at + ctLength;
    }
    if (this.chunkCt === null || this.chunkCt.length < ctLength) {
      this.chunkCt = new Uint8Array(Math.max(ctLength, Math.min(MAX_CIPHERTEXT_CHUNK, 4096)));
    }
    const take = Math.min(ctLength - this.chunkFill, chunk.length - at);
    this.chunkCt.set(chunk.subarray(at, at + take), this.chunkFill);
    this.chunkFill += take;
    if (this.chunkFill === ctLength) {
      this.cipher.decryptWithAd(EMPTY, this.chunkCt.subarray(0, ctLength), target);
      this.plainFill += plainLength;
      this.chunkFill = 0;
    }
    return at + take;
  }
}
