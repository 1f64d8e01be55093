/**
 * Server → client SV1 messages: mining.notify, mining.set_difficulty,
 * mining.set_version_mask and mining.set_extranonce, plus the byte-order rules of notify.
 */
import { encodeNotification } from "./json-rpc.ts";
import { u32ToHex } from "./methods.ts";

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * SV1's prevhash: the header's 32 bytes (internal order) with each 32-bit word
 * byte-swapped. Miners swap every word back before hashing, so this is what they expect.
 */
export function prevHashToSv1(prevHash: Uint8Array): string {
  if (prevHash.length !== 32) throw new RangeError("prev hash must be 32 bytes");
  const swapped = new Uint8Array(32);
  for (let w = 0; w < 32; w += 4) {
    swapped[w] = prevHash[w + 3]!;
    swapped[w + 1] = prevHash[w + 2]!;
    swapped[w + 2] = prevHash[w + 1]!;
    swapped[w + 3] = prevHash[w]!;
  }
  return toHex(swapped);
}

/** Inverse of {@link prevHashToSv1}: the header's prev hash bytes from notify's field. */
export function prevHashFromSv1(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new RangeError("SV1 prevhash must be 64 hex digits");
  const out = new Uint8Array(32);
  for (let w = 0; w < 32; w += 4) {
    for (let i = 0; i < 4; i++)
      out[w + i] = Number.parseInt(text.slice((w + 3 - i) * 2, (w + 4 - i) * 2), 16);
  }
  return out;
}

/** Everything one mining.notify carries, in binary form. */
export interface Sv1Job {
  /** SV1 job id (session-local). */
  readonly jobId: string;
  /** Previous block hash, header (internal) byte order. */
  readonly prevHash: Uint8Array;
  /** Coinbase bytes before extranonce1 (BIP141-stripped). */
  readonly coinb1: Uint8Array;
  /** Coinbase bytes after extranonce2. */
  readonly coinb2: Uint8Array;
  /** Merkle branches, internal byte order. */
  readonly merkleBranches: readonly Uint8Array[];
  /** Block version before rolling. */
  readonly version: number;
  /** Compact network target. */
  readonly nBits: number;
  /** nTime to start from. */
  readonly ntime: number;
  /** Miners must drop earlier jobs (new prev hash, or new difficulty). */
  readonly cleanJobs: boolean;
}

/** mining.notify params: `[job_id, prevhash, coinb1, coinb2, merkle_branches, version, nbits, ntime, clean_jobs]`. */
export function notifyParams(job: Sv1Job): unknown[] {
  return [
    job.jobId,
    prevHashToSv1(job.prevHash),
    toHex(job.coinb1),
    toHex(job.coinb2),
    job.merkleBranches.map(toHex),
    u32ToHex(job.version),
    u32ToHex(job.nBits),
    u32ToHex(job.ntime),
    job.cleanJobs,
  ];
}

/** The mining.notify line. */
export function encodeNotify(job: Sv1Job): string {
  return encodeNotification("mining.notify", notifyParams(job));
}

/** The mining.set_difficulty line. */
export function encodeSetDifficulty(difficulty: number): string {
  return encodeNotification("mining.set_difficulty", [difficulty]);
}

/** The mining.set_version_mask line (BIP310 server notification). */
export function encodeSetVersionMask(mask: number): string {
  return encodeNotification("mining.set_version_mask", [u32ToHex(mask)]);
}

/** The mining.set_extranonce line (only for clients that sent mining.extranonce.subscribe). */
export function encodeSetExtranonce(extranonce1: Uint8Array, extranonce2Size: number): string {
  return encodeNotification("mining.set_extranonce", [toHex(extranonce1), extranonce2Size]);
}
