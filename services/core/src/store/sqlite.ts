import Database from "better-sqlite3";
import type { RecipientKind } from "../payout.ts";
import { MIGRATIONS } from "./migrations.ts";
import {
  type Allocation,
  type AuditEntry,
  type CoreRepository,
  type LedgerBalance,
  type NodeRecord,
  type OpenCredit,
  type PaymentRecord,
  WINDOW_PHASES,
  type WindowPhase,
  type WindowRecord,
} from "./repository.ts";

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v as bigint);
const big = (v: unknown): bigint => BigInt(v as bigint);
const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as bigint));
const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

function toWindow(r: Row): WindowRecord {
  return {
    seq: num(r.seq),
    outboxSeq: num(r.outbox_seq),
    blockHash: str(r.block_hash),
    height: num(r.height),
    previousBlockHash: strOrNull(r.previous_block_hash),
    subsidySats: big(r.subsidy_sats),
    coinbaseValueSats: big(r.coinbase_value_sats),
    winnerDestination: str(r.winner_destination),
    winnerNodeId: strOrNull(r.winner_node_id),
    winnerWorker: str(r.winner_worker),
    shares: JSON.parse(str(r.shares_json)),
    foundAt: str(r.found_at),
    phase: str(r.phase) as WindowPhase,
    hold: num(r.hold) === 1,
    reason: strOrNull(r.reason),
    carriedInSats: bigOrNull(r.carried_in_sats),
    carriedForwardSats: bigOrNull(r.carried_forward_sats),
    recipientCount: r.recipient_count === null ? null : num(r.recipient_count),
    payoutDigest: strOrNull(r.payout_digest),
    payoutList: strOrNull(r.payout_list),
    rolledInto: strOrNull(r.rolled_into),
    updatedAt: str(r.updated_at),
  };
}

function toPayment(r: Row): PaymentRecord {
  return {
    id: num(r.id),
    windowBlockHash: str(r.window_block_hash),
    recipientId: str(r.recipient_id),
    kind: str(r.kind) as RecipientKind,
    amountSats: big(r.amount_sats),
    method: str(r.method) as PaymentRecord["method"],
    paymentHash: strOrNull(r.payment_hash),
    invoice: strOrNull(r.invoice),
    state: str(r.state) as PaymentRecord["state"],
    attempts: num(r.attempts),
    feeSats: bigOrNull(r.fee_sats),
    preimage: strOrNull(r.preimage),
    channelId: strOrNull(r.channel_id),
    reason: strOrNull(r.reason),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
  };
}

function toNode(r: Row): NodeRecord {
  return {
    nodeId: str(r.node_id),
    name: str(r.name),
    visibility: str(r.visibility) as NodeRecord["visibility"],
    lightningPubkey: strOrNull(r.lightning_pubkey),
    credentialHash: str(r.credential_hash),
    createdAt: str(r.created_at),
  };
}

function toAudit(r: Row): AuditEntry {
  return {
    id: num(r.id),
    at: str(r.at),
    event: str(r.event) as AuditEntry["event"],
    paymentId: num(r.payment_id),
    windowBlockHash: str(r.window_block_hash),
    recipientId: str(r.recipient_id),
    nodeId: strOrNull(r.node_id),
    paymentHash: strOrNull(r.payment_hash),
    invoice: strOrNull(r.invoice),
    amountSats: big(r.amount_sats),
    feeSats: bigOrNull(r.fee_sats),
    channelId: strOrNull(r.channel_id),
    reason: strOrNull(r.reason),
  };
}

/** Runs the migrations not yet applied (tracked in `PRAGMA user_version`). */
export function migrate(db: Database.Database): void {
  const current = num(db.pragma("user_version", { simple: true }));
  MIGRATIONS.forEach((sql, i) => {
    if (i < current) return;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    })();
  });
}

const PAYMENT_COLUMNS: Record<string, string> = {
  windowBlockHash: "window_block_hash",
  recipientId: "recipient_id",
  kind: "kind",
  amountSats: "amount_sats",
  method: "method",
  paymentHash: "payment_hash",
  invoice: "invoice",
  state: "state",
  attempts: "attempts",
  feeSats: "fee_sats",
  preimage: "preimage",
  channelId: "channel_id",
  reason: "reason",
  createdAt: "created_at",
  updatedAt: "updated_at",
};

/** Opens (or creates) the SQLite store at `path` (":memory:" for tests) in WAL mode. */
export function openSqliteRepository(path: string): CoreRepository {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL"); // money: a committed write survives power loss
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.defaultSafeIntegers(true);
  migrate(db);
  const cache = new Map<string, Database.Statement>();
  const q = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const all = (sql: string, ...params: unknown[]) => q(sql).all(...params) as Row[];
  const get = (sql: string, ...params: unknown[]) => q(sql).get(...params) as Row | undefined;
  const run = (sql: string, ...params: unknown[]) => q(sql).run(...params);
  const OPEN_CREDITS = `
    SELECT c.block_hash, w.seq, w.hold, c.recipient_id, c.kind, c.amount_sats,
           c.amount_sats - COALESCE((SELECT SUM(a.amount_sats) FROM allocations a
             WHERE a.block_hash = c.block_hash AND a.recipient_id = c.recipient_id), 0) AS open_sats
    FROM credits c JOIN windows w ON w.block_hash = c.block_hash`;

  return {
    transaction: (fn) => db.transaction(fn).immediate(),
    close: () => db.close(),

    insertNode: (n) =>
      run(
        "INSERT INTO nodes (node_id, name, visibility, lightning_pubkey, credential_hash, created_at) VALUES (?,?,?,?,?,?)",
        n.nodeId,
        n.name,
        n.visibility,
        n.lightningPubkey,
        n.credentialHash,
        n.createdAt,
      ),
    findNodeById: (id) => mapOpt(get("SELECT * FROM nodes WHERE node_id = ?", id), toNode),
    findNodeByName: (name) => mapOpt(get("SELECT * FROM nodes WHERE name = ?", name), toNode),
    findNodeByCredentialHash: (h) => mapOpt(get("SELECT * FROM nodes WHERE credential_hash = ?", h), toNode),
    listNodes: () => all("SELECT * FROM nodes ORDER BY created_at, node_id").map(toNode),
    setCredentialHash: (id, h) => run("UPDATE nodes SET credential_hash = ? WHERE node_id = ?", h, id),
    putTelemetry: (t) =>
      run(
        "INSERT INTO telemetry (node_id, body, reported_at) VALUES (?,?,?) ON CONFLICT(node_id) DO UPDATE SET body = excluded.body, reported_at = excluded.reported_at",
        t.nodeId,
        t.body,
        t.reportedAt,
      ),
    getTelemetry: (id) =>
      mapOpt(get("SELECT * FROM telemetry WHERE node_id = ?", id), (r) => ({
        nodeId: str(r.node_id),
        body: str(r.body),
        reportedAt: str(r.reported_at),
      })),

    deregisterNode: (d) => {
      run("DELETE FROM telemetry WHERE node_id = ?", d.nodeId);
      run("DELETE FROM nodes WHERE node_id = ?", d.nodeId);
      run(
        "INSERT INTO node_deregistrations (node_id, name, lightning_pubkey, registered_at, deregistered_at, deregistered_by) VALUES (?,?,?,?,?,?)",
        d.nodeId,
        d.name,
        d.lightningPubkey,
        d.registeredAt,
        d.deregisteredAt,
        d.deregisteredBy,
      );
    },
    findDeregistration: (id) =>
      mapOpt(get("SELECT * FROM node_deregistrations WHERE node_id = ?", id), (r) => ({
        nodeId: str(r.node_id),
        name: str(r.name),
        lightningPubkey: strOrNull(r.lightning_pubkey),
        registeredAt: str(r.registered_at),
        deregisteredAt: str(r.deregistered_at),
        deregisteredBy: str(r.deregistered_by),
      })),

    getOutboxCursor: () => {
      const r = get("SELECT value FROM meta WHERE key = 'outbox_cursor'");
      return r ? Number(r.value) : 0;
    },
    setOutboxCursor: (seq) =>
      run(
        "INSERT INTO meta (key, value) VALUES ('outbox_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        String(seq),
      ),

    insertWindow: (w, at) =>
      run(
        `INSERT INTO windows (outbox_seq, block_hash, height, previous_block_hash, subsidy_sats, coinbase_value_sats,
          winner_destination, winner_node_id, winner_worker, shares_json, found_at, phase, created_at, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,'Maturing',?,?)`,
        w.outboxSeq,
        w.blockHash,
        w.height,
        w.previousBlockHash,
        w.subsidySats,
        w.coinbaseValueSats,
        w.winnerDestination,
        w.winnerNodeId,
        w.winnerWorker,
        JSON.stringify(w.shares),
        w.foundAt,
        at,
        at,
      ),
    findWindow: (h) => mapOpt(get("SELECT * FROM windows WHERE block_hash = ?", h), toWindow),
    listWindows: (filter) => {
      const phases = filter?.phases ?? WINDOW_PHASES;
      const marks = phases.map(() => "?").join(",");
      return all(
        `SELECT * FROM windows WHERE phase IN (${marks}) ORDER BY seq LIMIT ?`,
        ...phases,
        filter?.limit ?? -1,
      ).map(toWindow);
    },
    countWindowsByPhase: () => {
      const out = Object.fromEntries(WINDOW_PHASES.map((p) => [p, 0])) as Record<WindowPhase, number>;
      for (const r of all("SELECT phase, COUNT(*) AS n FROM windows GROUP BY phase"))
        out[str(r.phase) as WindowPhase] = num(r.n);
      return out;
    },
    setPhase: (h, phase, at, reason) =>
      run(
        "UPDATE windows SET phase = ?, reason = COALESCE(?, reason), updated_at = ? WHERE block_hash = ?",
        phase,
        reason ?? null,
        at,
        h,
      ),
    setHold: (h, hold, at) =>
      run("UPDATE windows SET hold = ?, updated_at = ? WHERE block_hash = ?", hold ? 1 : 0, at, h),
    setCalculated: (h, f, at) =>
      run(
        `UPDATE windows SET phase = 'Calculated', carried_in_sats = ?, carried_forward_sats = ?, recipient_count = ?,
          payout_digest = ?, payout_list = ?, updated_at = ? WHERE block_hash = ? AND phase = 'Maturing'`,
        f.carriedInSats,
        f.carriedForwardSats,
        f.recipientCount,
        f.payoutDigest,
        f.payoutList,
        at,
        h,
      ),
    unrolledOrphansBefore: (seq) =>
      all(
        "SELECT * FROM windows WHERE phase IN ('Orphaned','Failed') AND rolled_into IS NULL AND seq < ? ORDER BY seq",
        seq,
      ).map(toWindow),
    setRolledInto: (hashes, into, at) => {
      for (const h of hashes)
        run("UPDATE windows SET rolled_into = ?, updated_at = ? WHERE block_hash = ?", into, at, h);
    },
    carryBefore: (seq) => {
      const r = get(
        "SELECT carried_forward_sats FROM windows WHERE seq < ? AND phase IN ('Calculated','Paying','Settled') ORDER BY seq DESC LIMIT 1",
        seq,
      );
      return r ? big(r.carried_forward_sats) : 0n;
    },

    insertCredits: (h, credits) => {
      for (const c of credits)
        run(
          "INSERT INTO credits (block_hash, recipient_id, kind, amount_sats) VALUES (?,?,?,?)",
          h,
          c.recipientId,
          c.kind,
          c.amountSats,
        );
    },
    openCredits: (filter) => {
      const where: string[] = ["w.phase IN ('Calculated','Paying','Settled')"];
      const params: unknown[] = [];
      if (filter?.recipientId !== undefined) {
        where.push("c.recipient_id = ?");
        params.push(filter.recipientId);
      }
      if (filter?.blockHash !== undefined) {
        where.push("c.block_hash = ?");
        params.push(filter.blockHash);
      }
      return all(
        `${OPEN_CREDITS} WHERE ${where.join(" AND ")} ORDER BY w.seq, c.recipient_id`,
        ...params,
      ).map(
        (r): OpenCredit => ({
          blockHash: str(r.block_hash),
          windowSeq: num(r.seq),
          hold: num(r.hold) === 1,
          recipientId: str(r.recipient_id),
          kind: str(r.kind) as RecipientKind,
          amountSats: big(r.amount_sats),
          openSats: big(r.open_sats),
        }),
      );
    },
    windowMoney: (h) => {
      const credited = get(
        "SELECT COALESCE(SUM(amount_sats),0) AS s FROM credits WHERE block_hash = ? AND kind != 'treasury'",
        h,
      );
      const alloc = get(
        `SELECT COALESCE(SUM(CASE WHEN p.state = 'succeeded' THEN a.amount_sats END),0) AS paid,
                COALESCE(SUM(CASE WHEN p.state = 'pending' THEN a.amount_sats END),0) AS inflight
         FROM allocations a JOIN payments p ON p.id = a.payment_id WHERE a.block_hash = ?`,
        h,
      );
      return {
        creditedSats: big(credited?.s),
        paidSats: big(alloc?.paid),
        inFlightSats: big(alloc?.inflight),
      };
    },
    ledgerBalances: () =>
      all(
        `SELECT c.recipient_id, c.kind, SUM(c.amount_sats) AS credited,
           COALESCE((SELECT SUM(p.amount_sats) FROM payments p WHERE p.recipient_id = c.recipient_id AND p.state = 'succeeded'),0) AS paid,
           COALESCE((SELECT SUM(p.amount_sats) FROM payments p WHERE p.recipient_id = c.recipient_id AND p.state = 'pending'),0) AS inflight
         FROM credits c JOIN windows w ON w.block_hash = c.block_hash
         WHERE w.phase IN ('Calculated','Paying','Settled')
         GROUP BY c.recipient_id, c.kind ORDER BY c.recipient_id`,
      ).map(
        (r): LedgerBalance => ({
          recipientId: str(r.recipient_id),
          kind: str(r.kind) as RecipientKind,
          creditedSats: big(r.credited),
          paidSats: big(r.paid),
          inFlightSats: big(r.inflight),
        }),
      ),

    insertPayment: (p, allocations) => {
      const info = run(
        `INSERT INTO payments (window_block_hash, recipient_id, kind, amount_sats, method, payment_hash, invoice, state,
          attempts, fee_sats, preimage, channel_id, reason, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
        p.windowBlockHash,
        p.recipientId,
        p.kind,
        p.amountSats,
        p.method,
        p.paymentHash,
        p.invoice,
        p.state,
        p.attempts,
        p.feeSats,
        p.preimage,
        p.channelId,
        p.reason,
        p.createdAt,
        p.updatedAt,
      );
      const id = Number(info.lastInsertRowid);
      for (const a of allocations)
        run(
          "INSERT INTO allocations (payment_id, block_hash, recipient_id, amount_sats) VALUES (?,?,?,?)",
          id,
          a.blockHash,
          p.recipientId,
          a.amountSats,
        );
      return id;
    },
    findPayment: (id) => mapOpt(get("SELECT * FROM payments WHERE id = ?", id), toPayment),
    findOpenPayment: (h, r) =>
      mapOpt(
        get(
          "SELECT * FROM payments WHERE window_block_hash = ? AND recipient_id = ? AND state != 'failed'",
          h,
          r,
        ),
        toPayment,
      ),
    listPayments: (filter) =>
      (filter?.state
        ? all("SELECT * FROM payments WHERE state = ? ORDER BY id", filter.state)
        : all("SELECT * FROM payments ORDER BY id")
      ).map(toPayment),
    updatePayment: (id, fields) => {
      const entries = Object.entries(fields).filter(([k]) => PAYMENT_COLUMNS[k] !== undefined);
      if (entries.length === 0) return;
      const sets = entries.map(([k]) => `${PAYMENT_COLUMNS[k]} = ?`).join(", ");
      db.prepare(`UPDATE payments SET ${sets} WHERE id = ?`).run(...entries.map(([, v]) => v), id);
    },
    allocationsOf: (id) =>
      all("SELECT block_hash, amount_sats FROM allocations WHERE payment_id = ? ORDER BY block_hash", id).map(
        (r): Allocation => ({ blockHash: str(r.block_hash), amountSats: big(r.amount_sats) }),
      ),
    deleteAllocations: (id) => run("DELETE FROM allocations WHERE payment_id = ?", id),
    insertAudit: (e) =>
      run(
        `INSERT INTO audit (at, event, payment_id, window_block_hash, recipient_id, node_id, payment_hash, invoice,
          amount_sats, fee_sats, channel_id, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
        e.at,
        e.event,
        e.paymentId,
        e.windowBlockHash,
        e.recipientId,
        e.nodeId,
        e.paymentHash,
        e.invoice,
        e.amountSats,
        e.feeSats,
        e.channelId,
        e.reason,
      ),
    listAudit: (filter) =>
      all(
        "SELECT * FROM audit WHERE id > ? AND (? IS NULL OR node_id = ?) ORDER BY id LIMIT ?",
        filter?.afterId ?? 0,
        filter?.nodeId ?? null,
        filter?.nodeId ?? null,
        filter?.limit ?? 1000,
      ).map(toAudit),
  };
}

function mapOpt<T>(row: Row | undefined, f: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : f(row);
}
