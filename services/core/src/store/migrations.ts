/**
 * Schema migrations, in code and in order. `user_version` records how many have run; each
 * runs in its own transaction. Sats are INTEGER (max money 2.1e15 fits int64, and the
 * connection reads integers as bigint); share work is TEXT (it exceeds 64 bits).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE nodes (
    node_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    visibility TEXT NOT NULL CHECK (visibility IN ('public','private')),
    lightning_pubkey TEXT,
    credential_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE telemetry (
    node_id TEXT PRIMARY KEY REFERENCES nodes(node_id),
    body TEXT NOT NULL,
    reported_at TEXT NOT NULL
  );
  CREATE TABLE windows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_seq INTEGER NOT NULL,
    block_hash TEXT NOT NULL UNIQUE,
    height INTEGER NOT NULL,
    previous_block_hash TEXT,
    subsidy_sats INTEGER NOT NULL CHECK (subsidy_sats >= 0),
    coinbase_value_sats INTEGER NOT NULL CHECK (coinbase_value_sats >= 0),
    winner_destination TEXT NOT NULL,
    winner_node_id TEXT,
    winner_worker TEXT NOT NULL,
    shares_json TEXT NOT NULL,
    found_at TEXT NOT NULL,
    phase TEXT NOT NULL,
    hold INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    carried_in_sats INTEGER,
    carried_forward_sats INTEGER,
    recipient_count INTEGER,
    payout_digest TEXT,
    payout_list TEXT,
    rolled_into TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX windows_phase ON windows(phase, seq);
  CREATE TABLE credits (
    block_hash TEXT NOT NULL REFERENCES windows(block_hash),
    recipient_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('miner','node','treasury')),
    amount_sats INTEGER NOT NULL CHECK (amount_sats > 0),
    PRIMARY KEY (block_hash, recipient_id)
  );
  CREATE INDEX credits_recipient ON credits(recipient_id);
  CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window_block_hash TEXT NOT NULL REFERENCES windows(block_hash),
    recipient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_sats INTEGER NOT NULL CHECK (amount_sats > 0),
    method TEXT NOT NULL CHECK (method IN ('invoice','keysend','onchain')),
    payment_hash TEXT,
    invoice TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending','succeeded','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    fee_sats INTEGER CHECK (fee_sats IS NULL OR fee_sats >= 0),
    preimage TEXT,
    channel_id TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  -- Exactly once: one live payment per (window, recipient); a finally failed one frees the key.
  CREATE UNIQUE INDEX payments_key ON payments(window_block_hash, recipient_id) WHERE state != 'failed';
  CREATE TABLE allocations (
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    block_hash TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    amount_sats INTEGER NOT NULL CHECK (amount_sats > 0),
    PRIMARY KEY (payment_id, block_hash)
  );
  CREATE INDEX allocations_credit ON allocations(block_hash, recipient_id);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    payment_id INTEGER NOT NULL,
    window_block_hash TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    node_id TEXT,
    payment_hash TEXT,
    invoice TEXT,
    amount_sats INTEGER NOT NULL,
    fee_sats INTEGER,
    channel_id TEXT,
    reason TEXT
  );
  `,
  // 2: node deregistration (issue 20). The node row goes (its credential stops working, its
  // name may be registered again); this record stays, the audit of who removed it and when.
  `
  CREATE TABLE node_deregistrations (
    node_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lightning_pubkey TEXT,
    registered_at TEXT NOT NULL,
    deregistered_at TEXT NOT NULL,
    deregistered_by TEXT NOT NULL
  );
  `,
];
