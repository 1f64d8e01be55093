/**
 * The storage contract of Core. Synchronous, because the embedded default (better-sqlite3)
 * is; every money write runs inside `transaction`, so a service composes reads and writes
 * of one decision atomically. A PostgreSQL adapter (HA) would need an async variant.
 */
import type { WindowPhase } from "@hyperhash/contracts";
import type { RecipientKind } from "../payout.ts";

/** Window phases (ARCHITECTURE.md "PayoutWindow"), from the one contract. */
export { WINDOW_PHASES, type WindowPhase } from "@hyperhash/contracts";

/** Share totals of one (destination, node) pair as the pool reported them. */
export interface StoredShare {
  destination: string;
  nodeId: string | null;
  work: string;
  count: number;
}

/** A window as stored. Sats are bigint; totals are null until Calculated. */
export interface WindowRecord {
  seq: number;
  outboxSeq: number;
  blockHash: string;
  height: number;
  previousBlockHash: string | null;
  subsidySats: bigint;
  coinbaseValueSats: bigint;
  winnerDestination: string;
  winnerNodeId: string | null;
  winnerWorker: string;
  shares: StoredShare[];
  foundAt: string;
  phase: WindowPhase;
  hold: boolean;
  reason: string | null;
  carriedInSats: bigint | null;
  carriedForwardSats: bigint | null;
  recipientCount: number | null;
  payoutDigest: string | null;
  payoutList: string | null;
  /** Orphaned and Failed windows: the window whose calculation took their shares. */
  rolledInto: string | null;
  updatedAt: string;
}

/** A new window from the pool's outbox. */
export type NewWindow = Omit<
  WindowRecord,
  | "seq"
  | "phase"
  | "hold"
  | "reason"
  | "carriedInSats"
  | "carriedForwardSats"
  | "recipientCount"
  | "payoutDigest"
  | "payoutList"
  | "rolledInto"
  | "updatedAt"
>;

/** The frozen result written when a window is Calculated. */
export interface CalculatedFields {
  carriedInSats: bigint;
  carriedForwardSats: bigint;
  recipientCount: number;
  payoutDigest: string;
  payoutList: string;
}

/** One credit of the ledger, with what of it is not yet covered by a payment. */
export interface OpenCredit {
  blockHash: string;
  windowSeq: number;
  hold: boolean;
  recipientId: string;
  kind: RecipientKind;
  amountSats: bigint;
  openSats: bigint;
}

export type PaymentMethod = "invoice" | "keysend" | "onchain";
export type PaymentState = "pending" | "succeeded" | "failed";

/** A payment: written before it is attempted, keyed by (window, recipient) while not failed. */
export interface PaymentRecord {
  id: number;
  windowBlockHash: string;
  recipientId: string;
  kind: RecipientKind;
  amountSats: bigint;
  method: PaymentMethod;
  paymentHash: string | null;
  invoice: string | null;
  state: PaymentState;
  attempts: number;
  feeSats: bigint | null;
  preimage: string | null;
  channelId: string | null;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Which part of which window's credit a payment covers. */
export interface Allocation {
  blockHash: string;
  amountSats: bigint;
}

/** One line of the audit log. */
export interface AuditEntry {
  id: number;
  at: string;
  event: "intent" | "attempt-failed" | "succeeded" | "failed";
  paymentId: number;
  windowBlockHash: string;
  recipientId: string;
  nodeId: string | null;
  paymentHash: string | null;
  invoice: string | null;
  amountSats: bigint;
  feeSats: bigint | null;
  channelId: string | null;
  reason: string | null;
}

/** Money of one window: credits (not the treasury's), paid and in-flight allocations. */
export interface WindowMoney {
  creditedSats: bigint;
  paidSats: bigint;
  inFlightSats: bigint;
}

/** Per-recipient ledger totals. */
export interface LedgerBalance {
  recipientId: string;
  kind: RecipientKind;
  creditedSats: bigint;
  paidSats: bigint;
  inFlightSats: bigint;
}

export type NodeVisibility = "public" | "private";

/** A registered HyperNode. */
export interface NodeRecord {
  nodeId: string;
  name: string;
  visibility: NodeVisibility;
  lightningPubkey: string | null;
  credentialHash: string;
  createdAt: string;
}

/** The audit record of a deregistered node (the node row itself is gone). */
export interface NodeDeregistration {
  nodeId: string;
  name: string;
  lightningPubkey: string | null;
  registeredAt: string;
  deregisteredAt: string;
  /** The principal that asked (e.g. `admin`). */
  deregisteredBy: string;
}

/** The latest telemetry of a node (the normalised body as JSON text). */
export interface TelemetryRecord {
  nodeId: string;
  body: string;
  reportedAt: string;
}

/** Everything Core stores. */
export interface CoreRepository {
  transaction<T>(fn: () => T): T;
  close(): void;

  insertNode(node: NodeRecord): void;
  findNodeById(nodeId: string): NodeRecord | undefined;
  findNodeByName(name: string): NodeRecord | undefined;
  findNodeByCredentialHash(hash: string): NodeRecord | undefined;
  listNodes(): NodeRecord[];
  setCredentialHash(nodeId: string, hash: string): void;
  putTelemetry(record: TelemetryRecord): void;
  getTelemetry(nodeId: string): TelemetryRecord | undefined;
  /** Removes the node and its telemetry and records the deregistration, in one statement set. */
  deregisterNode(record: NodeDeregistration): void;
  findDeregistration(nodeId: string): NodeDeregistration | undefined;

  getOutboxCursor(): number;
  setOutboxCursor(seq: number): void;

  insertWindow(window: NewWindow, at: string): void;
  findWindow(blockHash: string): WindowRecord | undefined;
  listWindows(filter?: { phases?: readonly WindowPhase[]; limit?: number }): WindowRecord[];
  countWindowsByPhase(): Record<WindowPhase, number>;
  setPhase(blockHash: string, phase: WindowPhase, at: string, reason?: string | null): void;
  setHold(blockHash: string, hold: boolean, at: string): void;
  setCalculated(blockHash: string, fields: CalculatedFields, at: string): void;
  /**
   * Orphaned and Failed windows before `seq` whose shares have not rolled into a later window
   * yet (neither can pay its own shares, so the next calculated window does).
   */
  unrolledOrphansBefore(seq: number): WindowRecord[];
  setRolledInto(blockHashes: readonly string[], into: string, at: string): void;
  /** carried_forward of the latest Calculated/Paying/Settled window before `seq`, or 0. */
  carryBefore(seq: number): bigint;

  insertCredits(
    blockHash: string,
    credits: readonly { recipientId: string; kind: RecipientKind; amountSats: bigint }[],
  ): void;
  openCredits(filter?: { recipientId?: string; blockHash?: string }): OpenCredit[];
  windowMoney(blockHash: string): WindowMoney;
  ledgerBalances(): LedgerBalance[];

  insertPayment(payment: Omit<PaymentRecord, "id">, allocations: readonly Allocation[]): number;
  findPayment(id: number): PaymentRecord | undefined;
  findOpenPayment(windowBlockHash: string, recipientId: string): PaymentRecord | undefined;
  listPayments(filter?: { state?: PaymentState }): PaymentRecord[];
  updatePayment(id: number, fields: Partial<Omit<PaymentRecord, "id">>): void;
  allocationsOf(paymentId: number): Allocation[];
  deleteAllocations(paymentId: number): void;
  insertAudit(entry: Omit<AuditEntry, "id">): void;
  listAudit(filter?: { afterId?: number; limit?: number; nodeId?: string }): AuditEntry[];
}
