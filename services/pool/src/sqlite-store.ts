/**
 * SQLite implementation of {@link ShareStore} on better-sqlite3 12 in WAL mode. Commits are
 * synchronous and each batch is one transaction, so a batch is durable (synchronous=FULL:
 * also across power loss; NORMAL: across process crashes such as kill -9) when `commit`
 * returns — the caller acknowledges shares only then.
 *
 * Work is a 256-bit quantity, beyond SQLite's integers, so it is stored as decimal text and
 * summed in bigint; shares are grouped by (destination, node, work) first, which keeps the
 * summing cheap because a channel's targets are few powers of two.
 */

import { subsidy } from "@hyperhash/bitcoin";
import Database from "better-sqlite3";
import type {
  BlockFoundEvent,
  BlockRecord,
  CommitOutcome,
  LogEntry,
  ShareStore,
  WorkTotal,
} from "./store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shares (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  destination TEXT NOT NULL,
  node_id TEXT,
  worker TEXT NOT NULL,
  channel_id INTEGER NOT NULL,
  sequence_number INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  work TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY,
  block_hash TEXT NOT NULL UNIQUE,
  height INTEGER NOT NULL,
  subsidy_sats TEXT NOT NULL,
  fees_sats TEXT NOT NULL,
  coinbase_value_sats TEXT NOT NULL,
  winner_destination TEXT NOT NULL,
  winner_node_id TEXT,
  winner_worker TEXT NOT NULL,
  template_id TEXT NOT NULL,
  first_share_id INTEGER NOT NULL,
  last_share_id INTEGER NOT NULL,
  found_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  block_hash TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL
);
`;

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (":memory:" for tests of one function). */
  readonly path: string;
  /** FULL survives power loss; NORMAL survives process crashes (kill -9). Default FULL. */
  readonly synchronous?: "FULL" | "NORMAL";
}

interface GroupRow {
  destination: string;
  node_id: string | null;
  work: string;
  c: number;
}

function sumGroups(rows: readonly GroupRow[]): WorkTotal[] {
  const totals = new Map<
    string,
    { destination: string; nodeId: string | null; work: bigint; count: number }
  >();
  for (const row of rows) {
    const key = `${row.node_id ?? ""}\u0000${row.destination}`;
    const t = totals.get(key) ?? { destination: row.destination, nodeId: row.node_id, work: 0n, count: 0 };
    t.work += BigInt(row.work) * BigInt(row.c);
    t.count += row.c;
    totals.set(key, t);
  }
  // A stable order (node, destination) so events and digests do not depend on row order.
  return [...totals.values()].sort((a, b) =>
    (a.nodeId ?? "") === (b.nodeId ?? "")
      ? a.destination < b.destination
        ? -1
        : a.destination > b.destination
          ? 1
          : 0
      : (a.nodeId ?? "") < (b.nodeId ?? "")
        ? -1
        : 1,
  );
}

/** Opens (creating if needed) the share log database. */
export function openSqliteStore(options: SqliteStoreOptions): ShareStore {
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma("busy_timeout = 5000");
  // The hash index takes random inserts: a page cache that holds it (64 MiB) keeps them in memory.
  db.pragma("cache_size = -65536");
  db.exec(SCHEMA);

  const lastBlock = db.prepare("SELECT block_hash, last_share_id FROM blocks ORDER BY id DESC LIMIT 1");
  const maxShareId = db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM shares");
  const groupsAfter = db.prepare(
    `SELECT destination, node_id, work, COUNT(*) AS c FROM shares WHERE id > ? AND id <= ?
     GROUP BY destination, node_id, work`,
  );
  const insertBlock = db.prepare(
    `INSERT OR IGNORE INTO blocks (block_hash, height, subsidy_sats, fees_sats, coinbase_value_sats,
       winner_destination, winner_node_id, winner_worker, template_id, first_share_id, last_share_id, found_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertOutbox = db.prepare(
    "INSERT OR IGNORE INTO outbox (block_hash, type, payload) VALUES (?, ?, ?)",
  );
  const selectOutbox = db.prepare("SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
  const selectBlocks = db.prepare(
    `SELECT block_hash, height, subsidy_sats, fees_sats, coinbase_value_sats, winner_destination,
       winner_node_id, winner_worker, last_share_id - first_share_id + 1 AS share_count, found_at
     FROM blocks ORDER BY id DESC LIMIT ?`,
  );
  const hasShareStmt = db.prepare("SELECT 1 FROM shares WHERE hash = ?");
  const countShares = db.prepare("SELECT COUNT(*) AS n FROM shares");
  const countBlocks = db.prepare("SELECT COUNT(*) AS n FROM blocks");
  const maxJob = db.prepare("SELECT COALESCE(MAX(job_id), 0) AS j FROM shares");

  function closeWindow(block: BlockRecord): void {
    const previous = lastBlock.get() as { block_hash: string; last_share_id: number } | undefined;
    const from = previous?.last_share_id ?? 0;
    const to = (maxShareId.get() as { id: number }).id;
    const totals = sumGroups(groupsAfter.all(from, to) as GroupRow[]);
    const foundAt = new Date(block.foundAtMs).toISOString();
    const inserted = insertBlock.run(
      block.blockHash,
      block.height,
      block.subsidySats.toString(),
      block.feesSats.toString(),
      block.coinbaseValueSats.toString(),
      block.winner.destination,
      block.winner.nodeId,
      block.winner.worker,
      block.templateId.toString(),
      from + 1,
      to,
      foundAt,
    );
    if (inserted.changes === 0) return; // the same block again: the window was closed already
    const payload: Omit<BlockFoundEvent, "seq"> = {
      type: "block-found",
      blockHash: block.blockHash,
      height: block.height,
      subsidySats: block.subsidySats.toString(),
      feesSats: block.feesSats.toString(),
      coinbaseValueSats: block.coinbaseValueSats.toString(),
      winner: { ...block.winner },
      shares: totals.map((t) => ({
        destination: t.destination,
        nodeId: t.nodeId,
        work: t.work.toString(),
        count: t.count,
      })),
      previousBlockHash: previous?.block_hash ?? null,
      foundAt,
    };
    insertOutbox.run(block.blockHash, "block-found", JSON.stringify(payload));
  }

  // Shares go in by multi-row INSERTs of up to SHARE_CHUNK rows (one statement per chunk size,
  // prepared on first use): one call into SQLite per chunk instead of per share. RETURNING
  // names the rows inserted; a hash it does not name (or names for an earlier entry of the same
  // batch) was a duplicate. Rows keep the batch's order, so share ids stay in arrival order.
  const SHARE_CHUNK = 64;
  const chunkInserts = new Map<number, Database.Statement>();
  const chunkInsert = (rows: number) => {
    let statement = chunkInserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
      statement = db
        .prepare(
          `INSERT OR IGNORE INTO shares (hash, destination, node_id, worker, channel_id, sequence_number, job_id, work, accepted_at)
           VALUES ${values} RETURNING hash`,
        )
        .pluck();
      chunkInserts.set(rows, statement);
    }
    return statement;
  };
  const params: unknown[] = [];
  function insertShares(entries: readonly LogEntry[], from: number, to: number, outcomes: CommitOutcome[]) {
    for (let at = from; at < to; at += SHARE_CHUNK) {
      const end = Math.min(to, at + SHARE_CHUNK);
      params.length = 0;
      for (let i = at; i < end; i++) {
        const s = (entries[i] as Extract<LogEntry, { kind: "share" }>).share;
        params.push(
          s.hashHex,
          s.destination,
          s.nodeId,
          s.worker,
          s.channelId,
          s.sequenceNumber,
          s.jobId,
          s.work.toString(),
          s.acceptedAtMs,
        );
      }
      const inserted = new Set(chunkInsert(end - at).all(params) as string[]);
      for (let i = at; i < end; i++) {
        const hash = (entries[i] as Extract<LogEntry, { kind: "share" }>).share.hashHex;
        // delete: a second entry with the same hash in this batch is the duplicate.
        outcomes[i] = inserted.delete(hash) ? "inserted" : "duplicate";
      }
    }
  }

  const commitTx = db.transaction((entries: readonly LogEntry[]): CommitOutcome[] => {
    const outcomes: CommitOutcome[] = new Array(entries.length);
    let run = 0; // first share of the current run of consecutive shares
    for (let i = 0; i <= entries.length; i++) {
      const entry = entries[i];
      if (entry === undefined || entry.kind === "block") {
        if (run < i) insertShares(entries, run, i, outcomes);
        run = i + 1;
        if (entry) {
          closeWindow(entry.block);
          outcomes[i] = "inserted";
        }
      }
    }
    return outcomes;
  });

  return {
    commit: (entries) => (entries.length === 0 ? [] : commitTx(entries)),
    outbox(after, limit) {
      const rows = selectOutbox.all(after, limit) as { seq: number; payload: string }[];
      return rows.map((row) => ({
        seq: row.seq,
        ...(JSON.parse(row.payload) as Omit<BlockFoundEvent, "seq">),
      }));
    },
    blocks(limit) {
      const rows = selectBlocks.all(limit) as {
        block_hash: string;
        height: number;
        subsidy_sats: string;
        fees_sats: string;
        coinbase_value_sats: string;
        winner_destination: string;
        winner_node_id: string | null;
        winner_worker: string;
        share_count: number;
        found_at: string;
      }[];
      return rows.map((r) => ({
        blockHash: r.block_hash,
        height: r.height,
        subsidySats: BigInt(r.subsidy_sats),
        feesSats: BigInt(r.fees_sats),
        coinbaseValueSats: BigInt(r.coinbase_value_sats),
        winner: { destination: r.winner_destination, nodeId: r.winner_node_id, worker: r.winner_worker },
        shareCount: r.share_count,
        foundAt: r.found_at,
      }));
    },
    openWindowTotals() {
      const previous = lastBlock.get() as { last_share_id: number } | undefined;
      return sumGroups(groupsAfter.all(previous?.last_share_id ?? 0, Number.MAX_SAFE_INTEGER) as GroupRow[]);
    },
    allTimeTotals: () => sumGroups(groupsAfter.all(0, Number.MAX_SAFE_INTEGER) as GroupRow[]),
    hasShare: (hashHex) => hasShareStmt.get(hashHex) !== undefined,
    shareCount: () => (countShares.get() as { n: number }).n,
    blockCount: () => (countBlocks.get() as { n: number }).n,
    maxJobId: () => (maxJob.get() as { j: number }).j,
    close: () => db.close(),
  };
}

/** S and F of a block from its height and the template's coinbase value (ARCHITECTURE.md economics). */
export function subsidyAndFees(
  height: number,
  coinbaseValue: bigint,
  network: Parameters<typeof subsidy>[1],
): { subsidySats: bigint; feesSats: bigint } {
  const s = subsidy(height, network);
  // A template never leaves less than the subsidy; guard anyway so F is never negative.
  const subsidySats = s <= coinbaseValue ? s : coinbaseValue;
  return { subsidySats, feesSats: coinbaseValue - subsidySats };
}
