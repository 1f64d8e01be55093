/**
 * The hashes Bitcoin uses, and the two byte orders a 32-byte hash is shown in.
 *
 * Internal order is what sits in headers, outpoints and SV2 U256 fields; display
 * order (RPC, explorers, `header_hash_hex` in the vectors) is the same bytes reversed,
 * which also reads as the big-endian number compared against targets.
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { bytesToBigIntLE, fromHex, reverse, toHex } from "./bytes.ts";

/** Single SHA-256. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** Double SHA-256 (`hash256`): txids, block hashes, merkle nodes, witness commitments. */
export function sha256d(data: Uint8Array): Uint8Array {
  return nobleSha256(nobleSha256(data));
}

/** Display-order hex (reversed) of an internal-order 32-byte hash. */
export function hashToDisplayHex(hash: Uint8Array): string {
  return toHex(reverse(hash));
}

/** Internal-order bytes of a display-order hex hash (as RPC returns block hashes and txids). */
export function hashFromDisplayHex(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes.length !== 32) throw new RangeError(`hash must be 32 bytes, got ${bytes.length}`);
  return reverse(bytes);
}

/**
 * The integer value of an internal-order hash, as proof-of-work compares it with a target
 * (the hash bytes are read little-endian).
 */
export function hashToBigInt(hash: Uint8Array): bigint {
  return bytesToBigIntLE(hash);
}
