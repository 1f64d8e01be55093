/**
 * Block serialization for `submitblock`: header ‖ CompactSize tx count ‖ coinbase ‖ txs,
 * every transaction in its witness serialization where it has one.
 */
import { ByteReader, concat, DecodeError, encodeCompactSize, equalBytes, toHex } from "./bytes.ts";
import { type BlockHeader, HEADER_LENGTH, parseHeader, serializeHeader } from "./header.ts";
import { merkleRoot } from "./merkle.ts";
import { readTransaction, serializeTransaction, type Transaction, txid } from "./transaction.ts";

/** A block: header and transactions (coinbase first). */
export interface Block {
  /** The header. */
  readonly header: BlockHeader;
  /** The transactions, coinbase first. */
  readonly transactions: readonly Transaction[];
}

/**
 * Serializes a block from its header, coinbase and the template's other transactions.
 * Transactions given as bytes are inserted as-is (templates hand them over serialized,
 * and re-encoding would only risk changing them).
 */
export function serializeBlock(
  header: BlockHeader,
  coinbase: Transaction | Uint8Array,
  transactions: readonly (Transaction | Uint8Array)[] = [],
): Uint8Array {
  const all = [coinbase, ...transactions];
  return concat(
    serializeHeader(header),
    encodeCompactSize(all.length),
    ...all.map((tx) => (tx instanceof Uint8Array ? tx : serializeTransaction(tx))),
  );
}

/** Hex of `serializeBlock(...)`, the argument `submitblock` takes. */
export function blockHex(
  header: BlockHeader,
  coinbase: Transaction | Uint8Array,
  transactions: readonly (Transaction | Uint8Array)[] = [],
): string {
  return toHex(serializeBlock(header, coinbase, transactions));
}

/** Parses a serialized block; trailing bytes are an error. */
export function parseBlock(bytes: Uint8Array): Block {
  const reader = new ByteReader(bytes);
  const header = parseHeader(reader.take(HEADER_LENGTH));
  const count = reader.compactSize(reader.remaining);
  const transactions = Array.from({ length: count }, () => readTransaction(reader));
  if (reader.remaining !== 0) throw new DecodeError(`${reader.remaining} trailing bytes after block`);
  return { header, transactions };
}

/** True when the header's merkle root matches the transactions' txids. */
export function merkleRootMatches(block: Block): boolean {
  if (block.transactions.length === 0) return false;
  const root = merkleRoot(block.transactions.map(txid));
  return equalBytes(root, block.header.merkleRoot);
}
