/**
 * ElligatorSwift keys and BIP324 `v2_ecdh`, as sv2-spec §4.3.1 and §4.4.2 use them.
 *
 * Two implementations behind one set of functions: libsecp256k1 through the native addon
 * (./native.ts) when it is built, and the reference in TypeScript: `@scure/btc-signer`'s
 * `elligatorSwift` (it reproduces the BIP324 vectors) on noble's curve, exported as
 * {@link reference} for differential tests. This module adds what SV2 needs on top: encoding
 * with an injected random source (so handshakes are reproducible in tests), typed errors, and
 * the role-ordered tagged hash.
 */
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { elligatorSwift } from "@scure/btc-signer/p2p.js";
import { NoiseError } from "./errors.ts";
import { nativeSecp256k1 as native } from "./native.ts";

/** Size of an ElligatorSwift encoding `u ‖ t` (BIP324). */
export const ELLSWIFT_SIZE = 64;
/** Size of a BIP340 x-only public key and of a secret key. */
export const KEY_SIZE = 32;

/** Source of uniformly random bytes; injected so tests can make handshakes deterministic. */
export type RandomSource = (length: number) => Uint8Array;

const Fp = secp256k1.Point.Fp;
const Point = secp256k1.Point;
// BIP324: tag = SHA256("bip324_ellswift_xonly_ecdh"), hashed twice in front (BIP340 style).
const ECDH_TAG = sha256(new TextEncoder().encode("bip324_ellswift_xonly_ecdh"));
// Each attempt succeeds with probability ~1/4 for a good random source; a source that fails
// this many times in a row is broken (e.g. a constant stub), and looping forever would hang.
const MAX_ENCODE_ATTEMPTS = 1024;

function assertBytes(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new NoiseError("INVALID_ARGUMENT", `${what} must be a Uint8Array of ${length} bytes`);
  }
}

/**
 * Check that `secretKey` is a usable secp256k1 scalar (1 ≤ d < n).
 * @throws NoiseError `INVALID_SECRET_KEY`
 */
export function assertSecretKey(secretKey: Uint8Array): void {
  assertBytes(secretKey, KEY_SIZE, "secret key");
  if (!secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new NoiseError("INVALID_SECRET_KEY", "secret key is zero or not below the group order");
  }
}

/**
 * Check that a 32-byte x-only key is the x coordinate of a curve point (BIP340 `lift_x`).
 * @throws NoiseError `INVALID_PUBLIC_KEY`
 */
export function assertXOnlyPublicKey(xonly: Uint8Array): void {
  assertBytes(xonly, KEY_SIZE, "x-only public key");
  if (native) {
    if (!native.isXOnlyPublicKey(xonly))
      throw new NoiseError("INVALID_PUBLIC_KEY", "x-only public key is not on secp256k1");
    return;
  }
  try {
    schnorr.utils.lift_x(bytesToNumberBE(xonly));
  } catch (cause) {
    throw new NoiseError("INVALID_PUBLIC_KEY", "x-only public key is not on secp256k1", { cause });
  }
}

/**
 * BIP340 x-only public key of `secretKey` (parity is implicit, as everywhere in SV2).
 * @throws NoiseError `INVALID_SECRET_KEY`
 */
export function xOnlyPublicKey(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return native?.xOnlyPublicKey(secretKey) ?? schnorr.getPublicKey(secretKey);
}

/**
 * Draw a fresh secret key from `random` (rejection sampling, as BIP340 key generation).
 * @throws NoiseError `INVALID_ARGUMENT` when the source never yields a valid scalar
 */
export function generateSecretKey(random: RandomSource): Uint8Array {
  for (let attempt = 0; attempt < MAX_ENCODE_ATTEMPTS; attempt++) {
    const candidate = random(KEY_SIZE);
    assertBytes(candidate, KEY_SIZE, "random output");
    if (secp256k1.utils.isValidSecretKey(candidate)) return Uint8Array.from(candidate);
  }
  throw new NoiseError("INVALID_ARGUMENT", "random source never produced a valid secret key");
}

/**
 * BIP324 `XElligatorSwift(x)`: a uniformly distributed 64-byte encoding of an x coordinate.
 * @param xonly - 32-byte x-only public key
 * @param random - source for `u` and the case selector
 * @throws NoiseError `INVALID_PUBLIC_KEY` if `xonly` is not on the curve
 */
export function ellswiftEncode(xonly: Uint8Array, random: RandomSource): Uint8Array {
  assertXOnlyPublicKey(xonly);
  const x = bytesToNumberBE(xonly);
  for (let attempt = 0; attempt < MAX_ENCODE_ATTEMPTS; attempt++) {
    const draw = random(KEY_SIZE + 1);
    assertBytes(draw, KEY_SIZE + 1, "random output");
    // u = 0 is remapped to 1 by the decoder, so it would not round-trip: skip it.
    const u = Fp.create(bytesToNumberBE(draw.subarray(0, KEY_SIZE)));
    if (u === 0n) continue;
    const t = elligatorSwift._inv(x, u, (draw[KEY_SIZE] ?? 0) & 7);
    // t = 0 is likewise remapped on decode; undefined means this (u, case) has no preimage.
    if (t === undefined || t === 0n) continue;
    const out = new Uint8Array(ELLSWIFT_SIZE);
    out.set(numberToBytesBE(u, KEY_SIZE), 0);
    out.set(numberToBytesBE(t, KEY_SIZE), KEY_SIZE);
    return out;
  }
  throw new NoiseError("INVALID_ARGUMENT", "random source never produced an ElligatorSwift encoding");
}

/**
 * BIP324 `ellswift_create`: the EllSwift public key of `secretKey`.
 * @throws NoiseError `INVALID_SECRET_KEY`
 */
export function ellswiftCreate(secretKey: Uint8Array, random: RandomSource): Uint8Array {
  if (!native) return referenceEllswiftCreate(secretKey, random);
  assertSecretKey(secretKey);
  const aux = random(KEY_SIZE);
  assertBytes(aux, KEY_SIZE, "random output");
  const encoding = native.ellswiftCreate(secretKey, aux);
  if (!encoding)
    throw new NoiseError("INVALID_SECRET_KEY", "secret key is zero or not below the group order");
  return encoding;
}

function referenceEllswiftCreate(secretKey: Uint8Array, random: RandomSource): Uint8Array {
  assertSecretKey(secretKey);
  return ellswiftEncode(schnorr.getPublicKey(secretKey), random);
}

/**
 * BIP324 `XSwiftEC(u, t)`: decode any 64 bytes to an x-only public key. Every input decodes
 * (that is the point of the encoding), so this only fails on a wrong length.
 * @throws NoiseError `INVALID_ARGUMENT` on a wrong length
 */
export function ellswiftDecode(encoding: Uint8Array): Uint8Array {
  assertBytes(encoding, ELLSWIFT_SIZE, "EllSwift encoding");
  const decoded = native?.ellswiftDecode(encoding);
  if (decoded) return decoded;
  return referenceEllswiftDecode(encoding);
}

function referenceEllswiftDecode(encoding: Uint8Array): Uint8Array {
  assertBytes(encoding, ELLSWIFT_SIZE, "EllSwift encoding");
  try {
    return elligatorSwift.decode(encoding);
  } catch (cause) {
    // Unreachable per BIP324 (one of three candidates is always valid); kept typed anyway.
    throw new NoiseError("INVALID_PUBLIC_KEY", "EllSwift encoding does not decode", { cause });
  }
}

/**
 * BIP324 `XSwiftECInv(u, x, c)` for the test vectors: the `t` with `XSwiftEC(u, t) = x` chosen
 * by case `c` (0–7), or `null` where that case has no solution.
 */
export function xswiftecInverse(u: Uint8Array, xonly: Uint8Array, ellCase: number): Uint8Array | null {
  assertBytes(u, KEY_SIZE, "u");
  assertBytes(xonly, KEY_SIZE, "x");
  if (!Number.isInteger(ellCase) || ellCase < 0 || ellCase > 7) {
    throw new NoiseError("INVALID_ARGUMENT", "case must be an integer 0..7");
  }
  const t = elligatorSwift._inv(Fp.create(bytesToNumberBE(xonly)), Fp.create(bytesToNumberBE(u)), ellCase);
  return t === undefined ? null : numberToBytesBE(t, KEY_SIZE);
}

/**
 * BIP324 `ellswift_ecdh_xonly(ellswift_theirs, d)`: x coordinate of `d·P(theirs)`.
 * @throws NoiseError `INVALID_SECRET_KEY` / `INVALID_ARGUMENT`
 */
export function ellswiftEcdhXOnly(ellswiftTheirs: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  // lift_x picks the even-y point; x(d·P) = x(d·(−P)), so parity does not matter here.
  const point = schnorr.utils.lift_x(bytesToNumberBE(referenceEllswiftDecode(ellswiftTheirs)));
  const shared = point.multiply(Point.Fn.fromBytes(secretKey));
  return numberToBytesBE(shared.toAffine().x, KEY_SIZE);
}

/**
 * SV2 `ECDH(k, rk)` = BIP324 `v2_ecdh(k, ellswift_k, rk, initiator)` (sv2-spec §4.4.2):
 * `tagged_hash(initiator's encoding ‖ responder's encoding ‖ x)`. The ordering makes the result
 * role-dependent, so both sides must pass their own role.
 * @param secretKey - our secret key `k`
 * @param ellswiftOurs - the 64-byte encoding of our key that was sent on the wire
 * @param ellswiftTheirs - the 64-byte encoding received from the peer
 * @param initiating - true for the Noise initiator (client)
 */
export function v2Ecdh(
  secretKey: Uint8Array,
  ellswiftOurs: Uint8Array,
  ellswiftTheirs: Uint8Array,
  initiating: boolean,
): Uint8Array {
  assertBytes(ellswiftOurs, ELLSWIFT_SIZE, "our EllSwift encoding");
  if (!native) return referenceV2Ecdh(secretKey, ellswiftOurs, ellswiftTheirs, initiating);
  assertSecretKey(secretKey);
  assertBytes(ellswiftTheirs, ELLSWIFT_SIZE, "EllSwift encoding");
  const [first, second] = initiating ? [ellswiftOurs, ellswiftTheirs] : [ellswiftTheirs, ellswiftOurs];
  const shared = native.ellswiftXdh(first, second, secretKey, initiating ? 0 : 1);
  if (!shared) throw new NoiseError("INVALID_SECRET_KEY", "secret key is zero or not below the group order");
  return shared;
}

function referenceV2Ecdh(
  secretKey: Uint8Array,
  ellswiftOurs: Uint8Array,
  ellswiftTheirs: Uint8Array,
  initiating: boolean,
): Uint8Array {
  const x = ellswiftEcdhXOnly(ellswiftTheirs, secretKey);
  const [first, second] = initiating ? [ellswiftOurs, ellswiftTheirs] : [ellswiftTheirs, ellswiftOurs];
  return sha256.create().update(ECDH_TAG).update(ECDH_TAG).update(first).update(second).update(x).digest();
}

/**
 * The TypeScript implementations (noble), whichever backend is in use: the reference the
 * native path is tested against.
 */
export const reference = {
  xOnlyPublicKey: (secretKey: Uint8Array): Uint8Array => {
    assertSecretKey(secretKey);
    return schnorr.getPublicKey(secretKey);
  },
  ellswiftCreate: referenceEllswiftCreate,
  ellswiftDecode: referenceEllswiftDecode,
  v2Ecdh: (secretKey: Uint8Array, ours: Uint8Array, theirs: Uint8Array, initiating: boolean): Uint8Array => {
    assertSecretKey(secretKey);
    assertBytes(ours, ELLSWIFT_SIZE, "our EllSwift encoding");
    return referenceV2Ecdh(secretKey, ours, theirs, initiating);
  },
  isXOnlyPublicKey: (xonly: Uint8Array): boolean => {
    try {
      schnorr.utils.lift_x(bytesToNumberBE(xonly));
      return true;
    } catch {
      return false;
    }
  },
} as const;
