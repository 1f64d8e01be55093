/**
 * Byte helpers shared by every Bitcoin serializer in this package.
 *
 * Bytes are always `Uint8Array` (never `Buffer`), integers on the wire are
 * little-endian unless a name says `BE`, and values that may exceed 2^53 are
 * `bigint`.
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

/** Error thrown when input bytes cannot be decoded (truncated, non-canonical, out of range). */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Bytes of an even-length hex string (either case); throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex);
}

/** Concatenation of `parts` into one new array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A reversed copy of `bytes` (used to flip between internal and display byte order). */
export function reverse(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes).reverse();
}

/** True when `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkUint(value: number, bits: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RangeError(`${what}: ${value} is not an unsigned ${bits}-bit integer`);
  }
}

/** 2-byte little-endian encoding of an unsigned 16-bit integer. */
export function u16le(value: number): Uint8Array {
  checkUint(value, 16, "u16le");
  return Uint8Array.of(value & 0xff, value >>> 8);
}

/** 4-byte little-endian encoding of an unsigned 32-bit integer. */
export function u32le(value: number): Uint8Array {
  checkUint(value, 32, "u32le");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** 4-byte big-endian encoding of an unsigned 32-bit integer. */
export function u32be(value: number): Uint8Array {
  checkUint(value, 32, "u32be");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** 8-byte little-endian encoding of an unsigned 64-bit integer (satoshi amounts). */
export function u64le(value: bigint): Uint8Array {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64le: ${value} out of range`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

function need(bytes: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw new DecodeError(`need ${length} bytes at offset ${offset}, have ${bytes.length - offset}`);
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Unsigned 16-bit little-endian integer at `offset`. */
export function readU16le(bytes: Uint8Array, offset = 0): number {
  need(bytes, offset, 2);
  return view(bytes).getUint16(offset, true);
}

/** Unsigned 32-bit little-endian integer at `offset`. */
export function readU32le(bytes: Uint8Array, offset = 0): number {
  need(bytes, offset, 4);
  return view(bytes).getUint32(offset, true);
}

/** Unsigned 32-bit big-endian integer at `offset`. */
export function readU32be(bytes: Uint8Array, offset = 0): number {
  need(bytes, offset, 4);
  return view(bytes).getUint32(offset, false);
}

/** Unsigned 64-bit little-endian integer at `offset`. */
export function readU64le(bytes: Uint8Array, offset = 0): bigint {
  need(bytes, offset, 8);
  return view(bytes).getBigUint64(offset, true);
}

/** Unsigned integer of any width from little-endian bytes (U256 targets, hashes). */
export function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** Unsigned integer of any width from big-endian bytes. */
export function bytesToBigIntBE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** `length`-byte little-endian encoding of a non-negative integer; throws if it does not fit. */
export function bigIntToBytesLE(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(8 * length) !== 0n) {
    throw new RangeError(`${value} does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  let n = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** `length`-byte big-endian encoding of a non-negative integer; throws if it does not fit. */
export function bigIntToBytesBE(value: bigint, length: number): Uint8Array {
  return bigIntToBytesLE(value, length).reverse();
}

/** Largest value a CompactSize can carry. */
export const COMPACT_SIZE_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * CompactSize (Bitcoin "varint") encoding: 1, 3, 5 or 9 bytes, always the shortest form,
 * because consensus decoders reject non-minimal encodings.
 */
export function encodeCompactSize(value: number | bigint): Uint8Array {
  const n = BigInt(value);
  if (n < 0n || n > COMPACT_SIZE_MAX) throw new RangeError(`CompactSize ${n} out of range`);
  if (n < 0xfdn) return Uint8Array.of(Number(n));
  if (n <= 0xffffn) return concat(Uint8Array.of(0xfd), u16le(Number(n)));
  if (n <= 0xffff_ffffn) return concat(Uint8Array.of(0xfe), u32le(Number(n)));
  return concat(Uint8Array.of(0xff), u64le(n));
}

/** A decoded CompactSize and how many bytes it took. */
export interface CompactSizeRead {
  /** The value; `bigint` because the 9-byte form exceeds 2^53. */
  readonly value: bigint;
  /** Bytes consumed (1, 3, 5 or 9). */
  readonly length: number;
}

/** Decodes a CompactSize at `offset`, rejecting non-minimal encodings as Bitcoin Core does. */
export function decodeCompactSize(bytes: Uint8Array, offset = 0): CompactSizeRead {
  need(bytes, offset, 1);
  const first = bytes[offset]!;
  if (first < 0xfd) return { value: BigInt(first), length: 1 };
  let value: bigint;
  let length: number;
  let min: bigint;
  if (first === 0xfd) {
    value = BigInt(readU16le(bytes, offset + 1));
    length = 3;
    min = 0xfdn;
  } else if (first === 0xfe) {
    value = BigInt(readU32le(bytes, offset + 1));
    length = 5;
    min = 0x1_0000n;
  } else {
    value = readU64le(bytes, offset + 1);
    length = 9;
    min = 0x1_0000_0000n;
  }
  if (value < min) throw new DecodeError(`non-canonical CompactSize ${value} at offset ${offset}`);
  return { value, length };
}

/**
 * A forward-only reader over a byte array; every read checks bounds and throws
 * `DecodeError`, so parsers stay short and never read past the end.
 */
export class ByteReader {
  #offset = 0;
  /** Wraps `bytes` (not copied). */
  constructor(readonly bytes: Uint8Array) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.bytes.length - this.#offset;
  }

  /** The next `length` bytes (a copy). */
  take(length: number): Uint8Array {
    need(this.bytes, this.#offset, length);
    const out = this.bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** The next byte without consuming it. */
  peek(): number {
    need(this.bytes, this.#offset, 1);
    return this.bytes[this.#offset]!;
  }

  /** One unsigned byte. */
  u8(): number {
    return this.take(1)[0]!;
  }

  /** Unsigned 32-bit little-endian integer. */
  u32le(): number {
    const v = readU32le(this.bytes, this.#offset);
    this.#offset += 4;
    return v;
  }

  /** Unsigned 64-bit little-endian integer. */
  u64le(): bigint {
    const v = readU64le(this.bytes, this.#offset);
    this.#offset += 8;
    return v;
  }

  /** A CompactSize that must fit in a safe integer no larger than `max` (a sanity bound on counts). */
  compactSize(max = Number.MAX_SAFE_INTEGER): number {
    const { value, length } = decodeCompactSize(this.bytes, this.#offset);
    if (value > BigInt(max)) throw new DecodeError(`CompactSize ${value} exceeds ${max}`);
    this.#offset += length;
    return Number(value);
  }

  /** CompactSize length followed by that many bytes. */
  varBytes(): Uint8Array {
    return this.take(this.compactSize(this.remaining));
  }
}
