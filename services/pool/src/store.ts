/**
 * The share log's storage contract. The pool's state managers talk to this interface;
 * `sqlite-store.ts` is the embedded implementation (PostgreSQL for HA can implement the same).
 *
 * A window is every accepted share since the previous block the pool found; it is closed
 * by the block entry that follows its last share in the log, in the same transaction.
 */
import type { BlockFoundEventWire } from "@hyperhash/contracts";

/** One accepted share, as logged. */
export interface ShareRecord {
  /** Header hash, display order; unique across the log (a share is never counted twice). */
  readonly hashHex: string;
  /** Payout destination of the channel's owner. */
  readonly destination: string;
  /** HyperNode the miner came through, if any. */
  readonly nodeId: string | null;
  /** Worker name. */
  readonly worker: string;
  /** Channel id and the share's sequence number, for audits. */
  readonly channelId: number;
  /** SubmitShares sequence_number. */
  readonly sequenceNumber: number;
  /** Job id the share was for. */
  readonly jobId: number;
  /** Work of the target the share was accepted against: floor(2^256 / (t + 1)). */
  readonly work: bigint;
  /** Acceptance time, Unix ms. */
  readonly acceptedAtMs: number;
}

/** A block found by the pool, as logged. */
export interface BlockRecord {
  /** Block hash, display order. */
  readonly blockHash: string;
  /** Height (the template's BIP34 push). */
  readonly height: number;
  /** S: subsidy at that height on the pool's network. */
  readonly subsidySats: bigint;
  /** F: coinbase value remaining − S. */
  readonly feesSats: bigint;
  /** S + F: the template's coinbase_tx_value_remaining. */
  readonly coinbaseValueSats: bigint;
  /** Who submitted the block-solving share. */
  readonly winner: { readonly destination: string; readonly nodeId: string | null; readonly worker: string };
  /** Template id the block was built from. */
  readonly templateId: bigint;
  /** Time found, Unix ms. */
  readonly foundAtMs: number;
}

/** What goes into the log, in order. */
export type LogEntry =
  | { readonly kind: "share"; readonly share: ShareRecord }
  | { readonly kind: "block"; readonly block: BlockRecord };

/** Per entry: `inserted`, or `duplicate` when the log already held it (nothing counted twice). */
export type CommitOutcome = "inserted" | "duplicate";

/** Work of one (destination, node) in a window. */
export interface WorkTotal {
  /** Payout destination. */
  readonly destination: string;
  /** HyperNode, or null for a directly connected miner. */
  readonly nodeId: string | null;
  /** Σ work of its accepted shares. */
  readonly work: bigint;
  /** Number of accepted shares. */
  readonly count: number;
}

/**
 * The block-found event handed to Core: the outbox contract's wire form, written once in
 * @hyperhash/contracts (`blockFoundEvent`, which Core parses it with).
 */
export type BlockFoundEvent = BlockFoundEventWire;

/** A logged block, as the API lists it. */
export interface BlockSummary {
  readonly blockHash: string;
  readonly height: number;
  readonly subsidySats: bigint;
  readonly feesSats: bigint;
  readonly coinbaseValueSats: bigint;
  readonly winner: { readonly destination: string; readonly nodeId: string | null; readonly worker: string };
  readonly shareCount: number;
  readonly foundAt: string;
}

/** The storage behind the share log. */
export interface ShareStore {
  /** Writes `entries` atomically, in order; a block entry closes the window at that point. */
  commit(entries: readonly LogEntry[]): CommitOutcome[];
  /** Outbox events with seq > `after`, oldest first. */
  outbox(after: number, limit: number): BlockFoundEvent[];
  /** Blocks, newest first. */
  blocks(limit: number): BlockSummary[];
  /** Work per (destination, node) of the open window (shares since the last block). */
  openWindowTotals(): WorkTotal[];
  /** Work per (destination, node) over the whole log. */
  allTimeTotals(): WorkTotal[];
  /** True when a share with this hash is in the log. */
  hasShare(hashHex: string): boolean;
  /** Number of logged shares. */
  shareCount(): number;
  /** Number of logged blocks. */
  blockCount(): number;
  /** Largest job id ever logged (a restarted pool starts above it). */
  maxJobId(): number;
  /** Releases the database. */
  close(): void;
}
