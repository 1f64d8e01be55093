/**
 * `Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256` handshake (sv2-spec §4.5) as two pure state
 * machines. They do no I/O and read neither clock nor global randomness: both are injected,
 * so a test can replay a handshake byte for byte.
 *
 * Act 1 (initiator → responder, 64 bytes): `e`.
 * Act 2 (responder → initiator, 234 bytes): `e, ee, s, es, SIGNATURE_NOISE_MESSAGE`. The spec's
 * "170 bytes" predates EllSwift; SRI and sv2-tp send 64 + (64+16) + (74+16) = 234.
 */

import { createHash, hkdfSync } from "node:crypto";
import {
  decodeSignatureNoiseMessage,
  encodeSignatureNoiseMessage,
  issueCertificate,
  SIGNATURE_NOISE_MESSAGE_SIZE,
  type SignatureNoiseMessage,
  verifyCertificate,
} from "./certificate.ts";
import {
  assertSecretKey,
  assertXOnlyPublicKey,
  ELLSWIFT_SIZE,
  ellswiftCreate,
  ellswiftDecode,
  generateSecretKey,
  type RandomSource,
  v2Ecdh,
  xOnlyPublicKey,
} from "./ellswift.ts";
import { NoiseError } from "./errors.ts";
import { nativeSecp256k1 as native, csprng as randomBytes } from "./native.ts";
import { type CipherState, createCipherState, MAC_SIZE } from "./transport.ts";

/** Noise protocol name hashed into the initial state (sv2-spec §4.5.1). */
export const PROTOCOL_NAME = "Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256";
/** Size of act 1: the initiator's EllSwift ephemeral key. */
export const ACT1_SIZE = ELLSWIFT_SIZE;
/** Size of act 2: ephemeral ‖ encrypted static ‖ encrypted SIGNATURE_NOISE_MESSAGE. */
export const ACT2_SIZE =
  ELLSWIFT_SIZE + (ELLSWIFT_SIZE + MAC_SIZE) + (SIGNATURE_NOISE_MESSAGE_SIZE + MAC_SIZE);
const EMPTY = new Uint8Array(0);

/** Milliseconds since the Unix epoch, e.g. `Date.now`; injected, never read here directly. */
export type Clock = () => number;

/** What a completed handshake yields to the transport. */
export interface HandshakeResult {
  /** Encrypts what this side sends (c1 for the initiator, c2 for the responder). */
  sendCipher: CipherState;
  /** Decrypts what this side receives. */
  receiveCipher: CipherState;
  /** Final handshake hash `h` (channel binding). */
  handshakeHash: Uint8Array;
  /** Responder's static x-only key (both sides know it after act 2). */
  responderStaticKey: Uint8Array;
  /** The certificate sent in act 2. */
  certificate: SignatureNoiseMessage;
}

/**
 * Initial `(h, ck)`: `h = SHA256(name)` (the name exceeds 32 bytes), `ck = h`, then
 * `h = SHA256(h)` (sv2-spec §4.5.1).
 */
export function initialHandshakeState(): { h: Uint8Array; ck: Uint8Array } {
  return { h: INITIAL_H.slice(), ck: INITIAL_CK.slice() };
}

/** SHA-256 of the concatenated parts (libsecp256k1's when native, else OpenSSL's). */
function sha256(...parts: Uint8Array[]): Uint8Array {
  if (native && parts.length <= 2) return native.sha256(parts[0] ?? EMPTY, parts[1]);
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  const digest = hash.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

const INITIAL_CK = sha256(new TextEncoder().encode(PROTOCOL_NAME));
const INITIAL_H = sha256(INITIAL_CK);

/** Noise SymmetricState shared by both roles (sv2-spec §4.4.2). */
class SymmetricState {
  h: Uint8Array;
  ck: Uint8Array;
  private cipher: CipherState | null = null;

  constructor() {
    const { h, ck } = initialHandshakeState();
    this.h = h;
    this.ck = ck;
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  /** `(ck, k) = HKDF(ck, ikm)`; InitializeKey resets the nonce to 0. */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, inputKeyMaterial);
    this.ck = ck;
    this.cipher = createCipherState(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher ? this.cipher.encryptWithAd(this.h, plaintext) : plaintext;
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher ? this.cipher.decryptWithAd(this.h, ciphertext) : ciphertext;
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** `(c1, c2)`: c1 carries initiator → responder traffic, c2 the other direction. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    return [createCipherState(k1), createCipherState(k2)];
  }
}

/** RFC 5869 HKDF-SHA256 with salt = chaining key, empty info, two 32-byte outputs. */
function hkdf2(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = native
    ? native.hkdf2(chainingKey, inputKeyMaterial)
    : new Uint8Array(hkdfSync("sha256", inputKeyMaterial, chainingKey, EMPTY, 64));
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

/** Ephemeral key pair with the EllSwift encoding that goes on the wire. */
function ephemeralKey(random: RandomSource): { secretKey: Uint8Array; ellswift: Uint8Array } {
  const secretKey = generateSecretKey(random);
  return { secretKey, ellswift: ellswiftCreate(secretKey, random) };
}

/** Run one handshake step; any failure leaves the machine in `failed` for good. */
function step<T>(machine: { state: string }, expected: string, next: string, body: () => T): T {
  if (machine.state !== expected) {
    throw new NoiseError("HANDSHAKE_STATE", `handshake step needs state ${expected}, is ${machine.state}`);
  }
  machine.state = "failed";
  const result = body();
  machine.state = next;
  return result;
}

/** Options of {@link createInitiator}. */
export interface InitiatorOptions {
  /** Authority x-only key; without it the certificate is not checked (SRI behaviour). */
  authorityPublicKey?: Uint8Array;
  /** Clock for the certificate window. */
  now: Clock;
  /** Randomness for the ephemeral key; defaults to the platform CSPRNG. */
  random?: RandomSource;
  /** Certificate clock-skew leeway, seconds; default 10 as SRI. */
  certificateLeewaySeconds?: number;
}

/** Client side of the handshake. */
export interface NoiseInitiator {
  /** `start` → `awaiting-act2` → `done`, or `failed` after any error. */
  readonly state: "start" | "awaiting-act2" | "done" | "failed";
  /** Produce act 1 (64 bytes). */
  writeAct1(): Uint8Array;
  /**
   * Consume act 2 and finish.
   * @throws NoiseError `HANDSHAKE_LENGTH` | `HANDSHAKE_STATE` | `DECRYPT_FAILED` | `CERT_*`
   */
  readAct2(message: Uint8Array): HandshakeResult;
}

/**
 * Create the initiator (client) state machine.
 * @throws NoiseError `INVALID_PUBLIC_KEY` for a bad authority key
 */
export function createInitiator(options: InitiatorOptions): NoiseInitiator {
  const { authorityPublicKey, now, certificateLeewaySeconds } = options;
  const random = options.random ?? randomBytes;
  if (authorityPublicKey !== undefined) assertXOnlyPublicKey(authorityPublicKey);
  const symmetric = new SymmetricState();
  let ephemeral: { secretKey: Uint8Array; ellswift: Uint8Array } | null = null;
  const machine = { state: "start" as NoiseInitiator["state"] };

  const readAct2 = (message: Uint8Array): HandshakeResult => {
    if (!(message instanceof Uint8Array) || message.length !== ACT2_SIZE) {
      throw new NoiseError("HANDSHAKE_LENGTH", `act 2 must be ${ACT2_SIZE} bytes`);
    }
    const e = ephemeral!;
    const re = message.subarray(0, ELLSWIFT_SIZE);
    symmetric.mixHash(re);
    symmetric.mixKey(v2Ecdh(e.secretKey, e.ellswift, re, true));
    const staticEnd = ELLSWIFT_SIZE * 2 + MAC_SIZE;
    const rs = symmetric.decryptAndHash(message.subarray(ELLSWIFT_SIZE, staticEnd));
    symmetric.mixKey(v2Ecdh(e.secretKey, e.ellswift, rs, true));
    const certificate = decodeSignatureNoiseMessage(symmetric.decryptAndHash(message.subarray(staticEnd)));
    const responderStaticKey = ellswiftDecode(rs);
    if (authorityPublicKey !== undefined) {
      verifyCertificate(certificate, {
        serverStaticKey: responderStaticKey,
        authorityPublicKey,
        nowSeconds: now() / 1000,
        ...(certificateLeewaySeconds === undefined ? {} : { leewaySeconds: certificateLeewaySeconds }),
      });
    }
    const [c1, c2] = symmetric.split();
    ephemeral = null;
    return { sendCipher: c1, receiveCipher: c2, handshakeHash: symmetric.h, responderStaticKey, certificate };
  };

  return {
    get state() {
      return machine.state;
    },
    writeAct1() {
      return step(machine, "start", "awaiting-act2", () => {
        ephemeral = ephemeralKey(random);
        symmetric.mixHash(ephemeral.ellswift);
        symmetric.encryptAndHash(EMPTY); // k is empty: just MixHash(empty payload)
        return Uint8Array.from(ephemeral.ellswift);
      });
    },
    readAct2(message) {
      return step(machine, "awaiting-act2", "done", () => readAct2(message));
    },
  };
}

/** How the responder proves its static key: a fixed certificate, or an authority key to sign one. */
export type ResponderCredentials =
  | { certificate: SignatureNoiseMessage }
  | {
      /** Authority secret key; a certificate is signed per handshake, valid from "now". */
      authoritySecretKey: Uint8Array;
      /** Validity of each issued certificate, seconds. */
      certificateValiditySeconds: number;
    };

/** What a responder reuses across handshakes for one static key (see createResponder). */
interface ResponderCache {
  readonly secretKey: Uint8Array;
  readonly staticPublicKey: Uint8Array;
  readonly staticEllswift: Uint8Array;
  certificate?: {
    validFrom: number;
    validitySeconds: number;
    authoritySecretKey: Uint8Array;
    message: SignatureNoiseMessage;
  };
}

// Keyed by the caller's key array (a server passes the same one to every handshake); the copy
// inside is compared too, so a key changed in place is never answered from the cache.
const responderCaches = new WeakMap<Uint8Array, ResponderCache>();

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function responderCache(staticSecretKey: Uint8Array): ResponderCache | null {
  if (!(staticSecretKey instanceof Uint8Array)) return null;
  const cached = responderCaches.get(staticSecretKey);
  if (cached && equalBytes(cached.secretKey, staticSecretKey)) return cached;
  assertSecretKey(staticSecretKey);
  const made: ResponderCache = {
    secretKey: Uint8Array.from(staticSecretKey),
    staticPublicKey: xOnlyPublicKey(staticSecretKey),
    staticEllswift: ellswiftCreate(staticSecretKey, randomBytes),
  };
  responderCaches.set(staticSecretKey, made);
  return made;
}

/** Options of {@link createResponder}. */
export type ResponderOptions = ResponderCredentials & {
  /** Responder static secret key (32 bytes). */
  staticSecretKey: Uint8Array;
  /** Clock for issuing certificates. */
  now: Clock;
  /** Randomness for the ephemeral key and encodings; defaults to the platform CSPRNG. */
  random?: RandomSource;
};

/** Server side of the handshake. */
export interface NoiseResponder {
  /** `awaiting-act1` → `done`, or `failed` after any error. */
  readonly state: "awaiting-act1" | "done" | "failed";
  /** The static x-only public key this responder proves. */
  readonly staticPublicKey: Uint8Array;
  /**
   * Consume act 1; returns act 2 to send and the finished session.
   * @throws NoiseError `HANDSHAKE_LENGTH` | `HANDSHAKE_STATE`
   */
  readAct1(message: Uint8Array): { act2: Uint8Array; result: HandshakeResult };
}

/**
 * Create the responder (server) state machine.
 * @throws NoiseError `INVALID_SECRET_KEY` | `INVALID_ARGUMENT`
 */
export function createResponder(options: ResponderOptions): NoiseResponder {
  const { staticSecretKey, now } = options;
  const random = options.random ?? randomBytes;
  // With the platform CSPRNG (no injected source), what does not change between handshakes is
  // computed once per static key: its public key, its EllSwift encoding (sent only encrypted,
  // under the ee key, so reusing it shows an observer nothing) and, per second, the certificate
  // (SRI signs one per handshake with valid_from = now; this is the same certificate for every
  // handshake within that second). An injected source keeps every handshake replayable.
  const cache = options.random ? null : responderCache(staticSecretKey);
  assertSecretKey(staticSecretKey);
  if ("authoritySecretKey" in options) assertSecretKey(options.authoritySecretKey);
  const staticPublicKey = cache ? Uint8Array.from(cache.staticPublicKey) : xOnlyPublicKey(staticSecretKey);
  const symmetric = new SymmetricState();
  const machine = { state: "awaiting-act1" as NoiseResponder["state"] };

  const certificateNow = (): SignatureNoiseMessage => {
    if ("certificate" in options) return options.certificate;
    const validFrom = Math.floor(now() / 1000);
    const { authoritySecretKey, certificateValiditySeconds } = options;
    const last = cache?.certificate;
    if (
      last &&
      last.validFrom === validFrom &&
      last.validitySeconds === certificateValiditySeconds &&
      equalBytes(last.authoritySecretKey, authoritySecretKey)
    ) {
      return last.message;
    }
    const message = issueCertificate({
      authoritySecretKey,
      serverStaticKey: staticPublicKey,
      validFrom,
      validitySeconds: certificateValiditySeconds,
      auxRand: random(32),
    });
    if (cache) {
      cache.certificate = {
        validFrom,
        validitySeconds: certificateValiditySeconds,
        authoritySecretKey: Uint8Array.from(authoritySecretKey),
        message,
      };
    }
    return message;
  };

  const readAct1 = (message: Uint8Array): { act2: Uint8Array; result: HandshakeResult } => {
    if (!(message instanceof Uint8Array) || message.length !== ACT1_SIZE) {
      throw new NoiseError("HANDSHAKE_LENGTH", `act 1 must be ${ACT1_SIZE} bytes`);
    }
    const re = Uint8Array.from(message);
    symmetric.mixHash(re);
    symmetric.decryptAndHash(EMPTY);
    const e = ephemeralKey(random);
    const staticEllswift = cache ? cache.staticEllswift : ellswiftCreate(staticSecretKey, random);
    const act2 = new Uint8Array(ACT2_SIZE);
    act2.set(e.ellswift, 0);
    symmetric.mixHash(e.ellswift);
    symmetric.mixKey(v2Ecdh(e.secretKey, e.ellswift, re, false));
    const encryptedStatic = symmetric.encryptAndHash(staticEllswift);
    act2.set(encryptedStatic, ELLSWIFT_SIZE);
    symmetric.mixKey(v2Ecdh(staticSecretKey, staticEllswift, re, false));
    const certificate = certificateNow();
    const encryptedCert = symmetric.encryptAndHash(encodeSignatureNoiseMessage(certificate));
    act2.set(encryptedCert, ELLSWIFT_SIZE + encryptedStatic.length);
    const [c1, c2] = symmetric.split();
    return {
      act2,
      result: {
        sendCipher: c2,
        receiveCipher: c1,
        handshakeHash: symmetric.h,
        responderStaticKey: staticPublicKey,
        certificate,
      },
    };
  };

  return {
    get state() {
      return machine.state;
    },
    staticPublicKey,
    readAct1(message) {
      return step(machine, "awaiting-act1", "done", () => readAct1(message));
    },
  };
}
