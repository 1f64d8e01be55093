/** Byte helpers and hashes: CompactSize (Bitcoin's varint) canonical rules, LE/BE integers, display order. */
import test from "ava";
import fc from "fast-check";
import {
  ByteReader,
  bigIntToBytesBE,
  bigIntToBytesLE,
  bytesToBigIntBE,
  bytesToBigIntLE,
  COMPACT_SIZE_MAX,
  concat,
  DecodeError,
  decodeCompactSize,
  encodeCompactSize,
  fromHex,
  readU32be,
  readU32le,
  reverse,
  toHex,
  u16le,
  u32be,
  u32le,
  u64le,
} from "../../src/bytes.ts";
import { hashFromDisplayHex, hashToDisplayHex, sha256, sha256d } from "../../src/hash.ts";

test("CompactSize uses the shortest of the 1/3/5/9-byte forms at each boundary", (t) => {
  const cases: [bigint, string][] = [
    [0n, "00"],
    [0xfcn, "fc"],
    [0xfdn, "fdfd00"],
    [0xffffn, "fdffff"],
    [0x10000n, "fe00000100"],
    [0xffffffffn, "feffffffff"],
    [0x100000000n, "ff0000000001000000"],
    [COMPACT_SIZE_MAX, "ffffffffffffffffff"],
  ];
  for (const [value, hex] of cases) {
    t.is(toHex(encodeCompactSize(value)), hex);
    t.deepEqual(decodeCompactSize(fromHex(hex)), { value, length: hex.length / 2 });
  }
});

test("CompactSize rejects non-canonical encodings, truncation and out-of-range values", (t) => {
  // 0xfc in 3 bytes, 0xffff in 5 bytes, 0xffffffff in 9 bytes: each fits a shorter form.
  for (const hex of ["fdfc00", "feffff0000", "ffffffffff00000000"]) {
    t.throws(() => decodeCompactSize(fromHex(hex)), { instanceOf: DecodeError }, hex);
  }
  t.throws(() => decodeCompactSize(fromHex("fd01")), { instanceOf: DecodeError });
  t.throws(() => decodeCompactSize(new Uint8Array(0)), { instanceOf: DecodeError });
  t.throws(() => encodeCompactSize(-1));
  t.throws(() => encodeCompactSize(COMPACT_SIZE_MAX + 1n));
});

test("property: CompactSize round-trips every u64 and consumes exactly its own bytes", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: COMPACT_SIZE_MAX }),
        fc.uint8Array({ maxLength: 4 }),
        (value, tail) => {
          const encoded = encodeCompactSize(value);
          const read = decodeCompactSize(concat(encoded, tail));
          return read.value === value && read.length === encoded.length;
        },
      ),
    ),
  );
});

test("fixed-width integers are little-endian unless named BE", (t) => {
  t.is(toHex(u16le(0x1234)), "3412");
  t.is(toHex(u32le(0x20000000)), "00000020");
  t.is(toHex(u32be(0x1d00ffff)), "1d00ffff");
  t.is(toHex(u64le(5_000_000_000n)), "00f2052a01000000");
  t.is(readU32le(fromHex("ffff7f20")), 0x207fffff);
  t.is(readU32be(fromHex("207fffff")), 0x207fffff);
  t.throws(() => u32le(2 ** 32));
  t.throws(() => u32le(-1));
  t.throws(() => u64le(1n << 64n));
});

test("property: big integers round-trip through LE and BE bytes", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (n) => {
        return bytesToBigIntLE(bigIntToBytesLE(n, 32)) === n && bytesToBigIntBE(bigIntToBytesBE(n, 32)) === n;
      }),
    ),
  );
  t.throws(() => bigIntToBytesLE(256n, 1));
});

test("ByteReader refuses to read past the end", (t) => {
  const r = new ByteReader(fromHex("0102"));
  t.is(r.u8(), 1);
  t.throws(() => r.u32le(), { instanceOf: DecodeError });
  t.is(r.remaining, 1);
  t.throws(() => new ByteReader(fromHex("05aa")).varBytes(), { instanceOf: DecodeError });
});

test("SHA-256 and hash256 of known inputs; display order is the reverse", (t) => {
  t.is(toHex(sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  t.is(
    toHex(sha256d(new TextEncoder().encode("hello"))),
    "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50",
  );
  const internal = fromHex("6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
  t.is(hashToDisplayHex(internal), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  t.deepEqual(hashFromDisplayHex(hashToDisplayHex(internal)), internal);
  t.deepEqual(reverse(fromHex("010203")), fromHex("030201"));
});
