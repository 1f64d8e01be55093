/**
 * The libsecp256k1 backend of the Noise handshake: a Node-API addon built from the sources SRI's
 * noise_sv2 uses (services/sv2/native: `node services/sv2/native/build.mjs`, which the project's
 * bootstrap runs). It does the curve work of a handshake (EllSwift create/decode, BIP324 x-only
 * ECDH, BIP340 sign/verify) natively; the pure-TypeScript path (noble) stays as the reference
 * and the fallback.
 *
 * (node:module is imported as a namespace: the image bundles declare their own `createRequire`.)
 * Where it is looked for, in order: `HH_SECP256K1_ADDON` (a path), `secp256k1.node` next to this
 * module (an image's bundle ships it beside main.mjs), the workspace's native/build/.
 * `HH_NOISE_BACKEND=js` uses the reference path; `HH_NOISE_BACKEND=native` makes a missing addon
 * an error at load instead of a fallback.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's functions (services/sv2/native/secp256k1_napi.c); `null` marks a refused key. */
export interface NativeSecp256k1 {
  init(seed: Uint8Array): boolean;
  xOnlyPublicKey(secretKey: Uint8Array): Uint8Array | null;
  isXOnlyPublicKey(xonly: Uint8Array): boolean;
  ellswiftCreate(secretKey: Uint8Array, aux: Uint8Array): Uint8Array | null;
  ellswiftDecode(encoding: Uint8Array): Uint8Array | null;
  /** BIP324 v2_ecdh; `party` 0 when `secretKey` is the initiator's (A), 1 the responder's. */
  ellswiftXdh(
    initiator: Uint8Array,
    responder: Uint8Array,
    secretKey: Uint8Array,
    party: 0 | 1,
  ): Uint8Array | null;
  schnorrSign(message: Uint8Array, secretKey: Uint8Array, aux: Uint8Array): Uint8Array | null;
  schnorrVerify(signature: Uint8Array, message: Uint8Array, xonly: Uint8Array): boolean;
  /** SHA-256 of a ‖ b. */
  sha256(a: Uint8Array, b?: Uint8Array): Uint8Array;
  /** Noise HKDF (RFC 5869, salt = ck, empty info): both 32-byte outputs, concatenated. */
  hkdf2(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): Uint8Array;
  /** openssl_napi.c (absent when the addon could not set up Node's OpenSSL). */
  aeadSeal?: NativeShareCrypto["aeadSeal"];
  aeadOpen?: NativeShareCrypto["aeadOpen"];
  shareHash?: NativeShareCrypto["shareHash"];
}

/**
 * The share path's crypto on Node's OpenSSL (services/sv2/native/openssl_napi.c): Noise's
 * ChaCha20-Poly1305 on reused contexts, and a share's SHA-256d in one call.
 */
export interface NativeShareCrypto {
  /** ChaCha20-Poly1305 with the Noise nonce `n`: `output` (plaintext + 16 bytes) gets ciphertext ‖ tag. */
  aeadSeal(key: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array, output: Uint8Array): void;
  /** Opens into `output` (ciphertext − 16 bytes); false (output zeroed) when the tag fails. */
  aeadOpen(key: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array, output: Uint8Array): boolean;
  /**
   * Merkle root of prefix ‖ extranoncePrefix ‖ extranonce ‖ suffix up `merklePath` (32-byte
   * hashes concatenated, leaf first), then the 80-byte header into `header` and its SHA-256d
   * (internal order) into `hash`. With `coinbasePrefix` null, `merklePath` is the root itself.
   */
  shareHash(
    coinbasePrefix: Uint8Array | null,
    extranoncePrefix: Uint8Array,
    extranonce: Uint8Array,
    coinbaseSuffix: Uint8Array,
    merklePath: Uint8Array,
    version: number,
    prevHash: Uint8Array,
    ntime: number,
    nBits: number,
    nonce: number,
    header: Uint8Array,
    hash: Uint8Array,
  ): void;
}

/** Which curve implementation the handshake runs on, and why. */
export interface NoiseBackend {
  readonly name: "libsecp256k1" | "noble";
  /** The addon's path when native. */
  readonly path?: string;
  /** Why the reference path is used, when it is. */
  readonly reason?: string;
}

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.HH_SECP256K1_ADDON) list.push(process.env.HH_SECP256K1_ADDON);
  for (const relative of ["./secp256k1.node", "../../native/build/secp256k1.node"]) {
    const url = new URL(relative, import.meta.url);
    if (url.protocol === "file:") list.push(fileURLToPath(url));
  }
  return list;
}

function load(): { binding: NativeSecp256k1 | null; backend: NoiseBackend } {
  const wanted = process.env.HH_NOISE_BACKEND;
  if (wanted === "js") return { binding: null, backend: { name: "noble", reason: "HH_NOISE_BACKEND=js" } };
  const tried = candidates();
  const path = tried.find((p) => existsSync(p));
  let reason = `no secp256k1.node at ${tried.join(", ")} (build it: node services/sv2/native/build.mjs)`;
  if (path) {
    try {
      const binding = nodeModule.createRequire(import.meta.url)(path) as NativeSecp256k1;
      binding.init(new Uint8Array(randomBytes(32)));
      return { binding, backend: { name: "libsecp256k1", path } };
    } catch (error) {
      reason = `${path} did not load: ${(error as Error).message}`;
    }
  }
  if (wanted === "native") throw new Error(`HH_NOISE_BACKEND=native, but ${reason}`);
  return { binding: null, backend: { name: "noble", reason } };
}

const loaded = load();

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * The platform CSPRNG (node:crypto), drawn 4 KiB at a time: one `randomFillSync` per ~60
 * handshakes instead of three. Bytes handed out are copied and wiped from the pool, so none is
 * ever given twice or kept.
 */
export function csprng(length: number): Uint8Array {
  if (length > POOL_SIZE / 4) return new Uint8Array(randomBytes(length));
  if (poolAt + length > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  const out = Uint8Array.from(pool.subarray(poolAt, poolAt + length));
  pool.fill(0, poolAt, poolAt + length);
  poolAt += length;
  return out;
}

/** The addon, or null when the reference path is in use. */
export const nativeSecp256k1: NativeSecp256k1 | null = loaded.binding;

/**
 * The share path's native crypto, or null (no addon, `HH_NOISE_BACKEND=js`, or an addon whose
 * OpenSSL setup failed): callers keep node:crypto then.
 */
export const nativeShareCrypto: NativeShareCrypto | null =
  loaded.binding?.aeadSeal && loaded.binding.aeadOpen && loaded.binding.shareHash
    ? (loaded.binding as NativeShareCrypto)
    : null;

/** The backend in use (services log it at startup). */
export function noiseBackend(): NoiseBackend {
  return loaded.backend;
}
