/**
 * SV2 binary data types (sv2-spec 03-Protocol-Overview §3.1) as declarative coders.
 *
 * One definition gives size, encode and decode, so a message layout is written once
 * (the @scure/btc-signer style) and cannot drift between the two directions. Every
 * coder validates on entry and throws only {@link Sv2CodecError}; decoding never reads
 * past the input and never trusts a length prefix beyond the bytes actually present.
 */
import { Sv2CodecError } from "./errors.ts";

/** Shape of a coder, used by tooling (vector loaders, arbitraries) to walk a layout. */
export type CoderKind =
  | "uint"
  | "u64"
  | "bool"
  | "f32"
  | "str"
  | "bytes"
  | "fixed"
  | "seq"
  | "option"
  | "struct";

/** A named field of a {@link struct} layout: `[camelCaseName, coder]`. */
export type StructField = readonly [name: string, coder: Coder<unknown>];

/**
 * Encoder + decoder for one SV2 data type. Members are methods (not function-typed
 * properties) on purpose: that keeps `Coder<number>` assignable to `Coder<unknown>`,
 * which {@link struct} needs to accept heterogeneous fields.
 */
export interface Coder<T> {
  /** Spec name, e.g. `U32`, `SEQ0_255[U256]`. */
  readonly name: string;
  /** Structural kind, for introspection. */
  readonly kind: CoderKind;
  /** uint: largest value; str/bytes/seq/option: largest length or count; fixed: exact length. */
  readonly max: number;
  /** seq/option: element coder. */
  readonly inner?: Coder<unknown>;
  /** struct: fields in wire order. */
  readonly fields?: readonly StructField[];
  /** Encoded size in bytes; validates lengths. */
  size(value: T): number;
  /** Writes `value` at the writer's position; validates the value. */
  write(w: Writer, value: T): void;
  /** Reads one value at the reader's position. */
  read(r: Reader): T;
}

/** The TypeScript type a coder produces. */
export type CoderType<C> = C extends Coder<infer T> ? T : never;

/** Object type described by a list of struct fields. */
export type StructType<F extends readonly StructField[]> = {
  -readonly [E in F[number] as E[0]]: CoderType<E[1]>;
};

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Cursor over a byte array that refuses to read past its end. */
export class Reader {
  /** Next byte to read. */
  pos = 0;
  private readonly view: DataView;

  /** @param bytes - input; decoded byte fields are copies, so it may be reused afterwards */
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at) {
      throw new Sv2CodecError(
        "short-buffer",
        `need ${n} bytes at offset ${at}, have ${this.bytes.length - at}`,
      );
    }
    this.pos = at + n;
    return at;
  }

  /** Reads a U8. */
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  /** Reads a little-endian U16. */
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  /** Reads a little-endian U24. */
  u24(): number {
    const at = this.need(3);
    return this.view.getUint16(at, true) | (this.view.getUint8(at + 2) << 16);
  }
  /** Reads a little-endian U32. */
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  /** Reads a little-endian U64 as bigint. */
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  /** Reads a little-endian IEEE-754 single. */
  f32(): number {
    return this.view.getFloat32(this.need(4), true);
  }
  /** Copies out `n` bytes. */
  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.slice(at, at + n);
  }
  /** Throws `trailing-bytes` unless every byte was consumed. */
  finish(): void {
    if (this.pos !== this.bytes.length) {
      throw new Sv2CodecError(
        "trailing-bytes",
        `${this.bytes.length - this.pos} bytes left after offset ${this.pos}`,
      );
    }
  }
}

/** Fixed-capacity writer; {@link encode} sizes it exactly, so there is no growth path. */
export class Writer {
  /** Output buffer. */
  readonly bytes: Uint8Array;
  /** Next byte to write. */
  pos = 0;
  private readonly view: DataView;

  /** @param capacity - exact number of bytes that will be written */
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }
  /** Writes a U8. */
  u8(v: number): void {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  /** Writes a little-endian U16. */
  u16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  /** Writes a little-endian U24. */
  u24(v: number): void {
    this.view.setUint16(this.pos, v & 0xffff, true);
    this.view.setUint8(this.pos + 2, v >>> 16);
    this.pos += 3;
  }
  /** Writes a little-endian U32. */
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  /** Writes a little-endian U64. */
  u64(v: bigint): void {
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }
  /** Writes a little-endian IEEE-754 single. */
  f32(v: number): void {
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  /** Copies raw bytes. */
  put(b: Uint8Array): void {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  /** Encodes a (pre-validated) string as UTF-8 in place; returns the byte count. */
  utf8(s: string): number {
    const { written } = utf8Encoder.encodeInto(s, this.bytes.subarray(this.pos));
    this.pos += written;
    return written;
  }
}

function invalid(name: string, why: string): never {
  throw new Sv2CodecError("invalid-value", `${name}: ${why}`);
}

function uint(name: string, width: 1 | 2 | 3 | 4): Coder<number> {
  const max = 2 ** (8 * width) - 1;
  const check = (v: number): void => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
      invalid(name, `not an integer in 0..${max}`);
  };
  const writers = [null, "u8", "u16", "u24", "u32"] as const;
  const op = writers[width];
  return {
    name,
    kind: "uint",
    max,
    size: () => width,
    write(w, v) {
      check(v);
      w[op](v);
    },
    read: (r) => r[op](),
  };
}

/** Unsigned 8-bit integer. */
export const U8: Coder<number> = uint("U8", 1);
/** Unsigned 16-bit little-endian integer. */
export const U16: Coder<number> = uint("U16", 2);
/** Unsigned 24-bit little-endian integer (frame lengths, B0_16M prefixes). */
export const U24: Coder<number> = uint("U24", 3);
/** Unsigned 32-bit little-endian integer. */
export const U32: Coder<number> = uint("U32", 4);

const U64_MAX = (1n << 64n) - 1n;
/** Unsigned 64-bit little-endian integer as bigint (money, template ids: never floats). */
export const U64: Coder<bigint> = {
  name: "U64",
  kind: "u64",
  max: Number.MAX_SAFE_INTEGER,
  size: () => 8,
  write(w, v) {
    if (typeof v !== "bigint" || v < 0n || v > U64_MAX) invalid("U64", "not a bigint in 0..2^64-1");
    w.u64(v);
  },
  read: (r) => r.u64(),
};

/** BOOL: only bit 0 is meaningful on receipt (§3.1: other bits MUST NOT be interpreted). */
export const BOOL: Coder<boolean> = {
  name: "BOOL",
  kind: "bool",
  max: 1,
  size: () => 1,
  write(w, v) {
    if (typeof v !== "boolean") invalid("BOOL", "not a boolean");
    w.u8(v ? 1 : 0);
  },
  read: (r) => (r.u8() & 1) === 1,
};

/** IEEE-754 binary32, little-endian; used by `nominal_hash_rate` though missing from §3.1's table. */
export const F32: Coder<number> = {
  name: "F32",
  kind: "f32",
  max: 4,
  size: () => 4,
  write(w, v) {
    if (typeof v !== "number") invalid("F32", "not a number");
    w.f32(v);
  },
  read: (r) => r.f32(),
};

function fixedBytes(name: string, length: number): Coder<Uint8Array> {
  return {
    name,
    kind: "fixed",
    max: length,
    size: () => length,
    write(w, v) {
      if (!(v instanceof Uint8Array) || v.length !== length) invalid(name, `expected ${length} bytes`);
      w.put(v);
    },
    read: (r) => r.take(length),
  };
}

/** U256 as its 32 wire bytes (a little-endian integer; hashes in Bitcoin internal order). */
export const U256: Coder<Uint8Array> = fixedBytes("U256", 32);
/** 32-byte x-only secp256k1 public key (BIP340). */
export const PUBKEY: Coder<Uint8Array> = fixedBytes("PUBKEY", 32);
/** 64-byte BIP340 Schnorr signature. */
export const SIGNATURE: Coder<Uint8Array> = fixedBytes("SIGNATURE", 64);

function prefixWidth(max: number): 1 | 2 | 3 {
  return max <= 0xff ? 1 : max <= 0xffff ? 2 : 3;
}

function writePrefix(w: Writer, width: 1 | 2 | 3, n: number): void {
  if (width === 1) w.u8(n);
  else if (width === 2) w.u16(n);
  else w.u24(n);
}

function readPrefix(r: Reader, width: 1 | 2 | 3, max: number, name: string): number {
  const n = width === 1 ? r.u8() : width === 2 ? r.u16() : r.u24();
  if (n > max) throw new Sv2CodecError("length-out-of-range", `${name}: length ${n} > ${max}`);
  return n;
}

function varBytes(name: string, max: number): Coder<Uint8Array> {
  const width = prefixWidth(max);
  const check = (v: Uint8Array): void => {
    if (!(v instanceof Uint8Array)) invalid(name, "not a Uint8Array");
    if (v.length > max)
      throw new Sv2CodecError("length-out-of-range", `${name}: length ${v.length} > ${max}`);
  };
  return {
    name,
    kind: "bytes",
    max,
    size(v) {
      check(v);
      return width + v.length;
    },
    write(w, v) {
      check(v);
      writePrefix(w, width, v.length);
      w.put(v);
    },
    read: (r) => r.take(readPrefix(r, width, max, name)),
  };
}

/** Byte array with a 1-byte length, at most 32 bytes (extranonces). */
export const B0_32: Coder<Uint8Array> = varBytes("B0_32", 32);
/** Byte array with a 1-byte length. */
export const B0_255: Coder<Uint8Array> = varBytes("B0_255", 0xff);
/** Byte array with a U16 length. */
export const B0_64K: Coder<Uint8Array> = varBytes("B0_64K", 0xffff);
/** Byte array with a U24 length. */
export const B0_16M: Coder<Uint8Array> = varBytes("B0_16M", 0xffffff);

/**
 * UTF-8 length of a string; throws on lone surrogates because TextEncoder would
 * silently replace them with U+FFFD and the value would not round-trip.
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) invalid("STR0_255", "lone surrogate");
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) invalid("STR0_255", "lone surrogate");
    else n += 3;
  }
  return n;
}

/** String with a 1-byte length, UTF-8, at most 255 bytes; invalid UTF-8 on receipt is rejected. */
export const STR0_255: Coder<string> = {
  name: "STR0_255",
  kind: "str",
  max: 0xff,
  size(v) {
    if (typeof v !== "string") invalid("STR0_255", "not a string");
    const n = utf8Length(v);
    if (n > 0xff) throw new Sv2CodecError("length-out-of-range", `STR0_255: ${n} bytes > 255`);
    return 1 + n;
  },
  write(w, v) {
    const n = STR0_255.size(v) - 1;
    w.u8(n);
    w.utf8(v);
  },
  read(r) {
    const bytes = r.take(readPrefix(r, 1, 0xff, "STR0_255"));
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      return invalid("STR0_255", "invalid UTF-8");
    }
  },
};

function seq<T>(name: string, inner: Coder<T>, max: number): Coder<T[]> {
  const width = prefixWidth(max);
  const check = (v: T[]): void => {
    if (!Array.isArray(v)) invalid(name, "not an array");
    if (v.length > max)
      throw new Sv2CodecError("length-out-of-range", `${name}: ${v.length} elements > ${max}`);
  };
  return {
    name,
    kind: "seq",
    max,
    inner,
    size(v) {
      check(v);
      let n = width;
      for (const e of v) n += inner.size(e);
      return n;
    },
    write(w, v) {
      check(v);
      writePrefix(w, width, v.length);
      for (const e of v) inner.write(w, e);
    },
    read(r) {
      const n = readPrefix(r, width, max, name);
      // Elements are read one by one, so a forged count fails at the first missing
      // byte instead of pre-allocating `n` slots.
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(inner.read(r));
      return out;
    },
  };
}

/** Sequence with a 1-byte count. */
export function SEQ0_255<T>(inner: Coder<T>): Coder<T[]> {
  return seq(`SEQ0_255[${inner.name}]`, inner, 0xff);
}

/** Sequence with a U16 count. */
export function SEQ0_64K<T>(inner: Coder<T>): Coder<T[]> {
  return seq(`SEQ0_64K[${inner.name}]`, inner, 0xffff);
}

/** OPTION[T] = SEQ0_1[T]; `null` when empty (e.g. `min_ntime` of a future job). */
export function OPTION<T>(inner: Coder<T>): Coder<T | null> {
  const name = `OPTION[${inner.name}]`;
  return {
    name,
    kind: "option",
    max: 1,
    inner,
    size: (v) => (v === null ? 1 : 1 + inner.size(v)),
    write(w, v) {
      if (v === undefined) invalid(name, "undefined (use null for an empty option)");
      w.u8(v === null ? 0 : 1);
      if (v !== null) inner.write(w, v);
    },
    read: (r) => (readPrefix(r, 1, 1, name) === 0 ? null : inner.read(r)),
  };
}

/**
 * A message layout: fields in wire order. Encoding reads only the listed keys, so a
 * tagged message object (with its `type`) can be passed as is.
 */
export function struct<const F extends readonly StructField[]>(fields: F): Coder<StructType<F>> {
  type Out = StructType<F>;
  const name = `struct{${fields.map(([n]) => n).join(",")}}`;
  const asRecord = (v: Out): Record<string, unknown> => {
    if (typeof v !== "object" || v === null) invalid(name, "not an object");
    return v as Record<string, unknown>;
  };
  return {
    name,
    kind: "struct",
    max: fields.length,
    fields,
    size(v) {
      const o = asRecord(v);
      let n = 0;
      for (const [key, coder] of fields) n += coder.size(o[key]);
      return n;
    },
    write(w, v) {
      const o = asRecord(v);
      for (const [key, coder] of fields) coder.write(w, o[key]);
    },
    read(r) {
      const o: Record<string, unknown> = {};
      for (const [key, coder] of fields) o[key] = coder.read(r);
      return o as Out;
    },
  };
}

/** Encodes `value` into a freshly allocated array of exactly its size. */
export function encode<T>(coder: Coder<T>, value: T): Uint8Array {
  const w = new Writer(coder.size(value));
  coder.write(w, value);
  return w.bytes;
}

/** Decodes `bytes`, which must hold exactly one value (else `trailing-bytes`). */
export function decode<T>(coder: Coder<T>, bytes: Uint8Array): T {
  const r = new Reader(bytes);
  const v = coder.read(r);
  r.finish();
  return v;
}
