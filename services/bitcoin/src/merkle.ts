/**
 * Bitcoin merkle trees over txids (internal byte order), and the coinbase merkle path
 * SV2 sends in NewTemplate / NewExtendedMiningJob: the sibling hashes from the
 * coinbase leaf up to the root, so a miner can fold in a coinbase it just built.
 */
import { concat } from "./bytes.ts";
import { sha256d } from "./hash.ts";

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${hash.length}`);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i]!;
    // An odd node is paired with itself (Bitcoin's rule, the source of CVE-2012-2459).
    const right = level[i + 1] ?? left;
    next.push(sha256d(concat(left, right)));
  }
  return next;
}

/**
 * Merkle root of `txids` in block order (coinbase first). A single txid is its own root.
 * Throws on an empty list: a block always has a coinbase.
 */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) throw new RangeError("merkle root of an empty list");
  for (const [i, h] of txids.entries()) checkHash(h, `txid ${i}`);
  let level: readonly Uint8Array[] = txids;
  while (level.length > 1) level = nextLevel(level);
  return Uint8Array.from(level[0]!);
}

/**
 * Coinbase merkle path from the txids of the block's other transactions (in block order,
 * coinbase excluded). The coinbase's own hash never enters a sibling, so a placeholder
 * stands in for it while the levels are built.
 */
export function coinbaseMerklePath(otherTxids: readonly Uint8Array[]): Uint8Array[] {
  for (const [i, h] of otherTxids.entries()) checkHash(h, `txid ${i}`);
  const path: Uint8Array[] = [];
  let level: readonly Uint8Array[] = [new Uint8Array(32), ...otherTxids];
  while (level.length > 1) {
    path.push(Uint8Array.from(level[1]!));
    level = nextLevel(level);
  }
  return path;
}

/** Merkle root from the coinbase txid and its path: root = dSHA256(root ‖ branch) for each branch. */
export function merkleRootFromPath(coinbaseTxid: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  checkHash(coinbaseTxid, "coinbase txid");
  let root: Uint8Array = Uint8Array.from(coinbaseTxid);
  for (const [i, branch] of path.entries()) {
    checkHash(branch, `merkle branch ${i}`);
    root = sha256d(concat(root, branch));
  }
  return root;
}
