/**
 * sv2-spec 03-Protocol-Overview §3.1 data types: exact wire forms, bounds, and a
 * round-trip property for every coder.
 */
import test from "ava";
import fc from "fast-check";
import {
  B0_16M,
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  type Coder,
  decode,
  encode,
  F32,
  OPTION,
  PUBKEY,
  SEQ0_64K,
  SEQ0_255,
  SIGNATURE,
  STR0_255,
  struct,
  U8,
  U16,
  U24,
  U32,
  U64,
  U256,
} from "../../src/binary.ts";
import { Sv2CodecError } from "../../src/errors.ts";
import { arbitraryFor } from "../support/codec-fuzz.ts";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof Sv2CodecError) return e.code;
    throw e;
  }
  return undefined;
}

const wireForms: [string, Coder<unknown>, unknown, string][] = [
  ["U8", U8, 0xab, "ab"],
  ["U16 little-endian", U16, 0x1234, "3412"],
  ["U24 little-endian", U24, 0x123456, "563412"],
  ["U32 little-endian", U32, 0x12345678, "78563412"],
  ["U64 little-endian bigint", U64, 0x0102030405060708n, "0807060504030201"],
  ["BOOL true", BOOL, true, "01"],
  ["F32 IEEE-754 LE", F32, 1.5, "0000c03f"],
  ["STR0_255 UTF-8 with 1-byte length", STR0_255, "é", "02c3a9"],
  ["B0_32", B0_32, hex("0102"), "020102"],
  ["B0_64K with U16 length", B0_64K, hex("aa"), "0100aa"],
  ["B0_16M with U24 length", B0_16M, hex("aa"), "010000aa"],
  ["SEQ0_255[U16]", SEQ0_255(U16), [1, 2], "0201000200"],
  ["SEQ0_64K[U32]", SEQ0_64K(U32), [1], "010001000000"],
  ["OPTION[U32] empty", OPTION(U32), null, "00"],
  ["OPTION[U32] some", OPTION(U32), 5, "0105000000"],
];

for (const [title, coder, value, wire] of wireForms) {
  test(`§3.1 ${title} encodes as ${wire}`, (t) => {
    t.is(toHex(encode(coder, value)), wire);
    t.deepEqual(decode(coder, hex(wire)), value);
  });
}

test("§3.1 BOOL: recipients interpret only bit 0", (t) => {
  t.true(decode(BOOL, hex("03")));
  t.false(decode(BOOL, hex("fe")));
});

test("§3.1 U256/PUBKEY/SIGNATURE are fixed 32/32/64 bytes", (t) => {
  t.is(encode(U256, new Uint8Array(32)).length, 32);
  t.is(encode(PUBKEY, new Uint8Array(32)).length, 32);
  t.is(encode(SIGNATURE, new Uint8Array(64)).length, 64);
  t.is(
    codeOf(() => encode(U256, new Uint8Array(33))),
    "invalid-value",
  );
  t.is(
    codeOf(() => decode(SIGNATURE, new Uint8Array(63))),
    "short-buffer",
  );
});

test("§3.1 length bounds: B0_32 > 32, STR0_255 > 255 bytes, OPTION count > 1", (t) => {
  t.is(
    codeOf(() => encode(B0_32, new Uint8Array(33))),
    "length-out-of-range",
  );
  t.is(
    codeOf(() => decode(B0_32, hex(`21${"00".repeat(33)}`))),
    "length-out-of-range",
  );
  t.is(
    codeOf(() => encode(STR0_255, "é".repeat(128))),
    "length-out-of-range",
  );
  t.is(
    codeOf(() => decode(OPTION(U8), hex("020101"))),
    "length-out-of-range",
  );
  t.is(encode(STR0_255, "a".repeat(255)).length, 256);
});

test("§3.1 decoding is exact: short input and trailing bytes are errors", (t) => {
  t.is(
    codeOf(() => decode(U32, hex("010203"))),
    "short-buffer",
  );
  t.is(
    codeOf(() => decode(U32, hex("0102030405"))),
    "trailing-bytes",
  );
  t.is(
    codeOf(() => decode(B0_64K, hex("ffff00"))),
    "short-buffer",
  );
  // A forged SEQ0_64K count fails at the first missing element rather than allocating.
  t.is(
    codeOf(() => decode(SEQ0_64K(U256), hex("ffff"))),
    "short-buffer",
  );
});

test("§3.1 STR0_255: invalid UTF-8 and lone surrogates are invalid-value", (t) => {
  t.is(
    codeOf(() => decode(STR0_255, hex("01ff"))),
    "invalid-value",
  );
  t.is(
    codeOf(() => encode(STR0_255, "\ud800")),
    "invalid-value",
  );
  t.is(decode(STR0_255, hex("03efbbbf")), "\ufeff", "a BOM is data, not stripped");
});

test("§3.1 integers: out-of-range and non-integer values are invalid-value", (t) => {
  t.is(
    codeOf(() => encode(U8, 256)),
    "invalid-value",
  );
  t.is(
    codeOf(() => encode(U16, -1)),
    "invalid-value",
  );
  t.is(
    codeOf(() => encode(U32, 1.5)),
    "invalid-value",
  );
  t.is(
    codeOf(() => encode(U64, 1n << 64n)),
    "invalid-value",
  );
  t.is(
    codeOf(() => encode(U64, 1 as never)),
    "invalid-value",
  );
});

test("§3.1 struct encodes fields in order and ignores extra keys (the message tag)", (t) => {
  const s = struct([
    ["a", U8],
    ["b", U16],
  ]);
  t.is(toHex(encode(s, { a: 1, b: 2, type: "x" } as never)), "010200");
  t.deepEqual(decode(s, hex("010200")), { a: 1, b: 2 });
  t.is(
    codeOf(() => encode(s, null as never)),
    "invalid-value",
  );
});

const every: Coder<unknown>[] = [
  U8,
  U16,
  U24,
  U32,
  U64,
  U256,
  BOOL,
  F32,
  STR0_255,
  B0_32,
  B0_255,
  B0_64K,
  B0_16M,
  SEQ0_255(U256),
  SEQ0_64K(B0_16M),
  OPTION(U32),
  PUBKEY,
  SIGNATURE,
];
for (const coder of every) {
  test(`§3.1 ${coder.name}: decode(encode(v)) deep-equals v and size() is exact`, (t) => {
    fc.assert(
      fc.property(arbitraryFor(coder), (v) => {
        const bytes = encode(coder, v);
        t.is(bytes.length, coder.size(v));
        t.deepEqual(decode(coder, bytes), v);
      }),
      { numRuns: 300 },
    );
  });
}

test("§3.1 every coder rejects arbitrary bytes only with Sv2CodecError", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom(...every), fc.uint8Array({ maxLength: 80 }), (coder, bytes) => {
        codeOf(() => decode(coder, bytes));
      }),
      { numRuns: 5000 },
    ),
  );
});
