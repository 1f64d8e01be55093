/**
 * SIGNATURE_NOISE_MESSAGE and the certificate it proves (sv2-spec §4.5.2, §4.5.3):
 * `version U16 | valid_from U32 | not_valid_after U32 | signature[64]`, all little-endian,
 * signed with BIP340 by the authority key over
 * `SHA256(version ‖ valid_from ‖ not_valid_after ‖ server static x-only key)`.
 *
 * Times are Unix seconds passed in by the caller; this module never reads a clock.
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { assertSecretKey, assertXOnlyPublicKey, KEY_SIZE } from "./ellswift.ts";
import { NoiseError } from "./errors.ts";
import { nativeSecp256k1 as native } from "./native.ts";

/** Wire size of SIGNATURE_NOISE_MESSAGE. */
export const SIGNATURE_NOISE_MESSAGE_SIZE = 74;
/** Certificate format version that SRI and sv2-tp sign today. */
export const CERTIFICATE_VERSION = 0;
/** Clock skew tolerated on both validity bounds; SRI's `TIME_LEEWAY` is 10 s. */
export const DEFAULT_CERTIFICATE_LEEWAY_SECONDS = 10;
const SIGNED_PREFIX_SIZE = 10;
const SIGNATURE_SIZE = 64;
const U32_MAX = 0xffff_ffff;

/** Decoded SIGNATURE_NOISE_MESSAGE. */
export interface SignatureNoiseMessage {
  /** Certificate format version (U16). */
  version: number;
  /** Start of validity, Unix seconds (U32). */
  validFrom: number;
  /** End of validity, Unix seconds (U32). */
  notValidAfter: number;
  /** BIP340 signature by the authority key. */
  signature: Uint8Array;
}

function assertUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new NoiseError("INVALID_ARGUMENT", `${what} must be an integer in 0..${max}`);
  }
}

function signedPrefix(version: number, validFrom: number, notValidAfter: number): Uint8Array {
  assertUint(version, 0xffff, "version");
  assertUint(validFrom, U32_MAX, "valid_from");
  assertUint(notValidAfter, U32_MAX, "not_valid_after");
  const out = new Uint8Array(SIGNED_PREFIX_SIZE);
  const view = new DataView(out.buffer);
  view.setUint16(0, version, true);
  view.setUint32(2, validFrom, true);
  view.setUint32(6, notValidAfter, true);
  return out;
}

/**
 * Message `m` the authority signs (sv2-spec §4.5.3.1).
 * @param serverStaticKey - 32-byte x-only static key of the server (not its EllSwift form)
 */
export function certificateDigest(
  version: number,
  validFrom: number,
  notValidAfter: number,
  serverStaticKey: Uint8Array,
): Uint8Array {
  const prefix = signedPrefix(version, validFrom, notValidAfter);
  if (!(serverStaticKey instanceof Uint8Array) || serverStaticKey.length !== KEY_SIZE) {
    throw new NoiseError("INVALID_ARGUMENT", "server static key must be 32 bytes x-only");
  }
  return sha256.create().update(prefix).update(serverStaticKey).digest();
}

/** Serialise a SIGNATURE_NOISE_MESSAGE to its 74 wire bytes. */
export function encodeSignatureNoiseMessage(message: SignatureNoiseMessage): Uint8Array {
  const { version, validFrom, notValidAfter, signature } = message;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_SIZE) {
    throw new NoiseError("INVALID_ARGUMENT", "signature must be 64 bytes");
  }
  const out = new Uint8Array(SIGNATURE_NOISE_MESSAGE_SIZE);
  out.set(signedPrefix(version, validFrom, notValidAfter), 0);
  out.set(signature, SIGNED_PREFIX_SIZE);
  return out;
}

/**
 * Parse 74 wire bytes. Any version is accepted here; the version is covered by the signature.
 * @throws NoiseError `CERT_MALFORMED` on a wrong length
 */
export function decodeSignatureNoiseMessage(bytes: Uint8Array): SignatureNoiseMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIGNATURE_NOISE_MESSAGE_SIZE) {
    throw new NoiseError(
      "CERT_MALFORMED",
      `SIGNATURE_NOISE_MESSAGE must be ${SIGNATURE_NOISE_MESSAGE_SIZE} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: view.getUint16(0, true),
    validFrom: view.getUint32(2, true),
    notValidAfter: view.getUint32(6, true),
    signature: bytes.slice(SIGNED_PREFIX_SIZE),
  };
}

/** Inputs to {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** Authority secret key (32 bytes). */
  authoritySecretKey: Uint8Array;
  /** Server static x-only public key being certified. */
  serverStaticKey: Uint8Array;
  /** Start of validity, Unix seconds; SRI uses the handshake time. */
  validFrom: number;
  /** Validity length in seconds; `not_valid_after` saturates at U32 max like SRI. */
  validitySeconds: number;
  /** BIP340 auxiliary randomness (32 bytes); omit for noble's own randomness. */
  auxRand?: Uint8Array;
}

/**
 * Sign a certificate for a server static key, as a responder holding the authority key does
 * for each handshake in SRI.
 * @throws NoiseError `INVALID_SECRET_KEY` | `INVALID_PUBLIC_KEY` | `INVALID_ARGUMENT`
 */
export function issueCertificate(options: IssueCertificateOptions): SignatureNoiseMessage {
  const { authoritySecretKey, serverStaticKey, validFrom, validitySeconds, auxRand } = options;
  assertSecretKey(authoritySecretKey);
  assertXOnlyPublicKey(serverStaticKey);
  assertUint(validitySeconds, Number.MAX_SAFE_INTEGER, "validitySeconds");
  if (auxRand !== undefined && (!(auxRand instanceof Uint8Array) || auxRand.length !== KEY_SIZE)) {
    throw new NoiseError("INVALID_ARGUMENT", "auxRand must be 32 bytes");
  }
  const notValidAfter = Math.min(validFrom + validitySeconds, U32_MAX);
  const digest = certificateDigest(CERTIFICATE_VERSION, validFrom, notValidAfter, serverStaticKey);
  const signature =
    native?.schnorrSign(digest, authoritySecretKey, auxRand ?? randomBytes(KEY_SIZE)) ??
    schnorr.sign(digest, authoritySecretKey, auxRand);
  return { version: CERTIFICATE_VERSION, validFrom, notValidAfter, signature };
}

/** Inputs to {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** Server static x-only key learned in the handshake. */
  serverStaticKey: Uint8Array;
  /** Authority x-only key the client trusts. */
  authorityPublicKey: Uint8Array;
  /** Current time, Unix seconds. */
  nowSeconds: number;
  /** Tolerated clock skew on each bound; default {@link DEFAULT_CERTIFICATE_LEEWAY_SECONDS}. */
  leewaySeconds?: number;
}

/**
 * Check a certificate the way SRI's `verify_with_now` does: time window with leeway first,
 * then the BIP340 signature. Throws instead of returning false so the reason is kept.
 * @throws NoiseError `CERT_NOT_YET_VALID` | `CERT_EXPIRED` | `CERT_BAD_SIGNATURE`
 */
export function verifyCertificate(message: SignatureNoiseMessage, options: VerifyCertificateOptions): void {
  const { serverStaticKey, authorityPublicKey, nowSeconds } = options;
  const leeway = options.leewaySeconds ?? DEFAULT_CERTIFICATE_LEEWAY_SECONDS;
  if (!Number.isFinite(nowSeconds) || !Number.isFinite(leeway) || leeway < 0) {
    throw new NoiseError("INVALID_ARGUMENT", "nowSeconds and leewaySeconds must be finite, leeway ≥ 0");
  }
  if (nowSeconds < message.validFrom - leeway) {
    throw new NoiseError(
      "CERT_NOT_YET_VALID",
      `certificate valid from ${message.validFrom}, now ${Math.floor(nowSeconds)}`,
    );
  }
  if (nowSeconds > message.notValidAfter + leeway) {
    throw new NoiseError(
      "CERT_EXPIRED",
      `certificate expired at ${message.notValidAfter}, now ${Math.floor(nowSeconds)}`,
    );
  }
  const digest = certificateDigest(
    message.version,
    message.validFrom,
    message.notValidAfter,
    serverStaticKey,
  );
  let valid = false;
  try {
    valid = native
      ? native.schnorrVerify(message.signature, digest, authorityPublicKey)
      : schnorr.verify(message.signature, digest, authorityPublicKey);
  } catch {
    valid = false; // malformed signature or key bytes: same outcome as a wrong signer
  }
  if (!valid) throw new NoiseError("CERT_BAD_SIGNATURE", "certificate is not signed by the authority key");
}
