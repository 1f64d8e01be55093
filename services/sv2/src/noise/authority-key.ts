/**
 * Text forms of SV2 authority keys (sv2-spec §4.7, SRI `key-utils`):
 * - public key: base58check(`[0x01, 0x00]` ‖ x-only 32 bytes), the version being a U16 LE;
 * - secret key: base58check(raw 32 bytes), as SRI configs store it.
 *
 * Decoding checks the checksum itself instead of relying on the library's error text, so the
 * three failure kinds (checksum, version, length) come out as distinct codes.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { base58, createBase58check } from "@scure/base";
import { assertSecretKey, assertXOnlyPublicKey, KEY_SIZE } from "./ellswift.ts";
import { NoiseError } from "./errors.ts";

/** The only authority public key version defined so far (U16 LE `[0x01, 0x00]`). */
export const AUTHORITY_KEY_VERSION = 1;
const VERSION_SIZE = 2;
const CHECKSUM_SIZE = 4;
const base58check = createBase58check(sha256);

/** Base58 decode and checksum check; returns the payload without the checksum. */
function decodeBase58check(text: string): Uint8Array {
  if (typeof text !== "string") throw new NoiseError("INVALID_ARGUMENT", "key text must be a string");
  let raw: Uint8Array;
  try {
    raw = base58.decode(text.trim());
  } catch (cause) {
    throw new NoiseError("KEY_ENCODING", "key is not valid base58", { cause });
  }
  if (raw.length < CHECKSUM_SIZE) throw new NoiseError("KEY_LENGTH", "key is shorter than a checksum");
  const payload = raw.subarray(0, raw.length - CHECKSUM_SIZE);
  const expected = sha256(sha256(payload)).subarray(0, CHECKSUM_SIZE);
  const actual = raw.subarray(raw.length - CHECKSUM_SIZE);
  for (let i = 0; i < CHECKSUM_SIZE; i++) {
    if (expected[i] !== actual[i]) throw new NoiseError("KEY_CHECKSUM", "key checksum does not match");
  }
  return Uint8Array.from(payload);
}

/**
 * Encode an authority x-only public key for users (`9b…` strings in SRI configs).
 * @throws NoiseError `INVALID_PUBLIC_KEY`
 */
export function encodeAuthorityPublicKey(xonly: Uint8Array): string {
  assertXOnlyPublicKey(xonly);
  const payload = new Uint8Array(VERSION_SIZE + KEY_SIZE);
  payload[0] = AUTHORITY_KEY_VERSION & 0xff;
  payload[1] = AUTHORITY_KEY_VERSION >> 8;
  payload.set(xonly, VERSION_SIZE);
  return base58check.encode(payload);
}

/**
 * Parse a base58check authority public key to its 32-byte x-only key. Length is checked before
 * the version, as SRI does, so a legacy unprefixed 32-byte key reports `KEY_LENGTH`.
 * @throws NoiseError `KEY_ENCODING` | `KEY_CHECKSUM` | `KEY_LENGTH` | `KEY_VERSION` | `INVALID_PUBLIC_KEY`
 */
export function parseAuthorityPublicKey(text: string): Uint8Array {
  const payload = decodeBase58check(text);
  if (payload.length !== VERSION_SIZE + KEY_SIZE) {
    throw new NoiseError(
      "KEY_LENGTH",
      `authority public key payload is ${payload.length} bytes, expected ${VERSION_SIZE + KEY_SIZE}`,
    );
  }
  const version = (payload[0] ?? 0) | ((payload[1] ?? 0) << 8);
  if (version !== AUTHORITY_KEY_VERSION) {
    throw new NoiseError("KEY_VERSION", `authority public key version ${version} is not supported`);
  }
  const xonly = payload.slice(VERSION_SIZE);
  assertXOnlyPublicKey(xonly);
  return xonly;
}

/**
 * Encode a 32-byte secret key the way SRI configs store `authority_secret_key`.
 * @throws NoiseError `INVALID_SECRET_KEY`
 */
export function encodeAuthoritySecretKey(secretKey: Uint8Array): string {
  assertSecretKey(secretKey);
  return base58check.encode(secretKey);
}

/**
 * Parse a base58check secret key (raw 32 bytes, no version prefix).
 * @throws NoiseError `KEY_ENCODING` | `KEY_CHECKSUM` | `KEY_LENGTH` | `INVALID_SECRET_KEY`
 */
export function parseAuthoritySecretKey(text: string): Uint8Array {
  const payload = decodeBase58check(text);
  if (payload.length !== KEY_SIZE) {
    throw new NoiseError("KEY_LENGTH", `secret key payload is ${payload.length} bytes, expected ${KEY_SIZE}`);
  }
  assertSecretKey(payload);
  return payload;
}
