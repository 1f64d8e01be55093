import Database from "better-sqlite3";

/** How a payment is made. */
export type PayoutMethod = "invoice" | "keysend" | "onchain";

/**
 * Local life of one payment (ARCHITECTURE.md "From block to payment", 5):
 * prepared (invoice / preimage stored) → announced (intent recorded at Core) → sending (written
 * just before lnd is called) → succeeded | failed (lnd's verdict, not yet reported) → done
 * (reported) | announced again (a failed attempt Core will retry) | abandoned (Core returned the
 * amount to the ledger; the (window, recipient) key is free again).
 */
export type LocalState = "prepared" | "announced" | "sending" | "succeeded" | "failed" | "done" | "abandoned";

/** One payment as the treasury stores it. Sats are bigint. */
export interface LocalPayment {
  id: number;
  windowBlockHash: string;
  recipientId: string;
  kind: "node" | "miner";
  method: PayoutMethod;
  amountSats: bigint;
  /** Node / miner pubkey, or the miner's address. */
  destination: string;
  paymentHash: string | null;
  invoice: string | null;
  preimage: string | null;
  batchId: string | null;
  corePaymentId: string | null;
  state: LocalState;
  attempts: number;
  feeSats: bigint | null;
  channelId: string | null;
  txid: string | null;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An on-chain batch: one labelled transaction to many miners. */
export interface LocalBatch {
  id: string;
  label: string;
  state: "prepared" | "sending" | "broadcast" | "failed";
  txid: string | null;
}

export type NewPayment = Pick<
  LocalPayment,
  | "windowBlockHash"
  | "recipientId"
  | "kind"
  | "method"
  | "amountSats"
  | "destination"
  | "paymentHash"
  | "invoice"
  | "preimage"
>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  window_block_hash TEXT NOT NULL,
  recipient_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('node','miner')),
  method TEXT NOT NULL CHECK (method IN ('invoice','keysend','onchain')),
  amount_sats TEXT NOT NULL,
  destination TEXT NOT NULL,
  payment_hash TEXT,
  invoice TEXT,
  preimage TEXT,
  batch_id TEXT,
  core_payment_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('prepared','announced','sending','succeeded','failed','done','abandoned')),
  attempts INTEGER NOT NULL DEFAULT 0,
  fee_sats TEXT,
  channel_id TEXT,
  txid TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Exactly once: one live payment per (window, recipient); an abandoned one frees the key.
CREATE UNIQUE INDEX IF NOT EXISTS payments_key ON payments(window_block_hash, recipient_id) WHERE state != 'abandoned';
-- A payment hash is paid at most once by lnd; it must never be reused for another payment.
CREATE UNIQUE INDEX IF NOT EXISTS payments_hash ON payments(payment_hash) WHERE payment_hash IS NOT NULL AND state != 'abandoned';
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('prepared','sending','broadcast','failed')),
  txid TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`;

type Row = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toPayment(r: Row): LocalPayment {
  return {
    id: Number(r.id),
    windowBlockHash: String(r.window_block_hash),
    recipientId: String(r.recipient_id),
    kind: r.kind as LocalPayment["kind"],
    method: r.method as PayoutMethod,
    amountSats: BigInt(String(r.amount_sats)),
    destination: String(r.destination),
    paymentHash: s(r.payment_hash),
    invoice: s(r.invoice),
    preimage: s(r.preimage),
    batchId: s(r.batch_id),
    corePaymentId: s(r.core_payment_id),
    state: r.state as LocalState,
    attempts: Number(r.attempts),
    feeSats: r.fee_sats === null ? null : BigInt(String(r.fee_sats)),
    channelId: s(r.channel_id),
    txid: s(r.txid),
    reason: s(r.reason),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

/** Fields a transition may change. */
export type PaymentUpdate = Partial<
  Pick<
    LocalPayment,
    | "state"
    | "attempts"
    | "feeSats"
    | "channelId"
    | "txid"
    | "reason"
    | "corePaymentId"
    | "batchId"
    | "preimage"
  >
>;

const COLUMNS: Record<keyof PaymentUpdate, string> = {
  state: "state",
  attempts: "attempts",
  feeSats: "fee_sats",
  channelId: "channel_id",
  txid: "txid",
  reason: "reason",
  corePaymentId: "core_payment_id",
  batchId: "batch_id",
  preimage: "preimage",
};

/** The treasury's durable record of payments (SQLite, WAL, synchronous FULL). */
export interface PaymentStore {
  insert(p: NewPayment): LocalPayment;
  /** The live (not abandoned) payment of (window, recipient). */
  findLive(windowBlockHash: string, recipientId: string): LocalPayment | undefined;
  get(id: number): LocalPayment;
  /** Payments still to drive: not done and not abandoned. */
  listOpen(): LocalPayment[];
  list(): LocalPayment[];
  update(id: number, fields: PaymentUpdate): LocalPayment;
  insertBatch(batch: LocalBatch, paymentIds: number[]): void;
  getBatch(id: string): LocalBatch | undefined;
  listOpenBatches(): LocalBatch[];
  updateBatch(id: string, fields: Partial<Pick<LocalBatch, "state" | "txid">>): void;
  close(): void;
}

/** Opens (creating) the store at `path`; `:memory:` for tests. */
export function openPaymentStore(path: string, now: () => Date = () => new Date()): PaymentStore {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // FULL: a payment row must be on disk before lnd is asked to pay it.
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  const at = () => now().toISOString();
  const get = (id: number) => {
    const r = db.prepare("SELECT * FROM payments WHERE id = ?").get(id) as Row | undefined;
    if (!r) throw new Error(`no payment ${id}`);
    return toPayment(r);
  };
  return {
    insert(p) {
      const t = at();
      const info = db
        .prepare(
          `INSERT INTO payments (window_block_hash, recipient_id, kind, method, amount_sats, destination, payment_hash,
            invoice, preimage, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,'prepared',?,?)`,
        )
        .run(
          p.windowBlockHash,
          p.recipientId,
          p.kind,
          p.method,
          p.amountSats.toString(),
          p.destination,
          p.paymentHash,
          p.invoice,
          p.preimage,
          t,
          t,
        );
      return get(Number(info.lastInsertRowid));
    },
    findLive(w, r) {
      const row = db
        .prepare(
          "SELECT * FROM payments WHERE window_block_hash = ? AND recipient_id = ? AND state != 'abandoned'",
        )
        .get(w, r) as Row | undefined;
      return row ? toPayment(row) : undefined;
    },
    get,
    listOpen: () =>
      (
        db
          .prepare("SELECT * FROM payments WHERE state NOT IN ('done','abandoned') ORDER BY id")
          .all() as Row[]
      ).map(toPayment),
    list: () => (db.prepare("SELECT * FROM payments ORDER BY id").all() as Row[]).map(toPayment),
    update(id, fields) {
      const sets: string[] = ["updated_at = ?"];
      const params: unknown[] = [at()];
      for (const [k, v] of Object.entries(fields)) {
        sets.push(`${COLUMNS[k as keyof PaymentUpdate]} = ?`);
        params.push(typeof v === "bigint" ? v.toString() : v);
      }
      db.prepare(`UPDATE payments SET ${sets.join(", ")} WHERE id = ?`).run(...params, id);
      return get(id);
    },
    insertBatch(batch, paymentIds) {
      db.transaction(() => {
        const t = at();
        db.prepare(
          "INSERT INTO batches (id, label, state, txid, created_at, updated_at) VALUES (?,?,?,?,?,?)",
        ).run(batch.id, batch.label, batch.state, batch.txid, t, t);
        const assign = db.prepare(
          "UPDATE payments SET batch_id = ?, updated_at = ? WHERE id = ? AND batch_id IS NULL",
        );
        for (const id of paymentIds)
          if (assign.run(batch.id, t, id).changes !== 1) throw new Error(`payment ${id} already batched`);
      })();
    },
    getBatch: (id) =>
      db.prepare("SELECT id, label, state, txid FROM batches WHERE id = ?").get(id) as LocalBatch | undefined,
    listOpenBatches: () =>
      db
        .prepare(
          "SELECT id, label, state, txid FROM batches WHERE state IN ('prepared','sending') ORDER BY created_at",
        )
        .all() as LocalBatch[],
    updateBatch(id, fields) {
      const sets: string[] = ["updated_at = ?"];
      const params: unknown[] = [at()];
      if (fields.state) {
        sets.push("state = ?");
        params.push(fields.state);
      }
      if (fields.txid !== undefined) {
        sets.push("txid = ?");
        params.push(fields.txid);
      }
      db.prepare(`UPDATE batches SET ${sets.join(", ")} WHERE id = ?`).run(...params, id);
    },
    close: () => db.close(),
  };
}
