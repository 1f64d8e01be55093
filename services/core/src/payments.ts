/**
 * The treasury-facing ledger: what is due, payment intents written before paying, and
 * their results. Exactly once: one live payment per (window, recipient); a payment covers
 * the recipient's open credits of non-held windows up to and including its window.
 */
import { accepted, type Outcome, refused } from "./outcome.ts";
import type { RecipientKind } from "./payout.ts";
import type { AuditEntry, OpenCredit, PaymentMethod, PaymentRecord } from "./store/repository.ts";
import { settleWindows, type WindowContext } from "./windows.ts";

/** Payments settings. */
export interface PaymentContext extends WindowContext {
  /** Failed attempts after which the amount returns to the recipient's balance. */
  maxPaymentAttempts: number;
}

/** One recipient the treasury should pay now. */
export interface DuePayment {
  recipientId: string;
  kind: RecipientKind;
  /** Miners: the payout destination (address or Lightning pubkey). */
  destination: string | null;
  /** Nodes: the node id. */
  nodeId: string | null;
  /** The key window of the payment to record: the newest window with an open credit. */
  windowBlockHash: string;
  amountSats: bigint;
}

const payable = (c: OpenCredit) => c.kind !== "treasury" && !c.hold && c.openSats > 0n;

/** Recipients whose open balance over non-held windows is at least the payout threshold. */
export function duePayments(ctx: PaymentContext): DuePayment[] {
  const byRecipient = new Map<string, OpenCredit[]>();
  for (const c of ctx.repo.openCredits()) {
    if (!payable(c)) continue;
    const list = byRecipient.get(c.recipientId) ?? [];
    list.push(c);
    byRecipient.set(c.recipientId, list);
  }
  const due: DuePayment[] = [];
  for (const [recipientId, credits] of byRecipient) {
    const amount = credits.reduce((s, c) => s + c.openSats, 0n);
    if (amount < ctx.payoutThresholdSats) continue;
    const newest = credits.reduce((a, b) => (b.windowSeq > a.windowSeq ? b : a));
    const kind = newest.kind;
    due.push({
      recipientId,
      kind,
      destination: kind === "miner" ? recipientId.slice("miner:".length) : null,
      nodeId: kind === "node" ? recipientId.slice("node:".length) : null,
      windowBlockHash: newest.blockHash,
      amountSats: amount,
    });
  }
  return due.sort((a, b) => (a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0));
}

/** A payment intent as the treasury posts it. */
export interface PaymentIntent {
  windowBlockHash: string;
  recipientId: string;
  amountSats: bigint;
  method: PaymentMethod;
  paymentHash?: string | undefined;
  invoice?: string | undefined;
}

const nodeIdOf = (p: { kind: RecipientKind; recipientId: string }) =>
  p.kind === "node" ? p.recipientId.slice("node:".length) : null;

function audit(p: PaymentRecord, event: AuditEntry["event"], at: string): Omit<AuditEntry, "id"> {
  return {
    at,
    event,
    paymentId: p.id,
    windowBlockHash: p.windowBlockHash,
    recipientId: p.recipientId,
    nodeId: nodeIdOf(p),
    paymentHash: p.paymentHash,
    invoice: p.invoice,
    amountSats: p.amountSats,
    feeSats: p.feeSats,
    channelId: p.channelId,
    reason: p.reason,
  };
}

function sameIntent(p: PaymentRecord, i: PaymentIntent): boolean {
  return (
    p.amountSats === i.amountSats &&
    p.method === i.method &&
    (i.paymentHash === undefined || i.paymentHash === p.paymentHash) &&
    (i.invoice === undefined || i.invoice === p.invoice)
  );
}

/**
 * Records a payment intent BEFORE the treasury pays. Replaying the same intent returns the
 * stored payment (with its stored invoice / hash) instead of creating another.
 */
export function recordPaymentIntent(ctx: PaymentContext, intent: PaymentIntent): Outcome<PaymentRecord> {
  return ctx.repo.transaction((): Outcome<PaymentRecord> => {
    const existing = ctx.repo.findOpenPayment(intent.windowBlockHash, intent.recipientId);
    if (existing) {
      if (sameIntent(existing, intent)) return accepted(existing, 200);
      return refused(409, "payment-conflict", "another payment holds this (window, recipient) key", {
        paymentId: existing.id,
      });
    }
    const window = ctx.repo.findWindow(intent.windowBlockHash);
    if (!window) return refused(404, "unknown-window", "no window with this block hash");
    if (!["Calculated", "Paying", "Settled"].includes(window.phase))
      return refused(409, "window-not-payable", `window is ${window.phase}`);
    if (window.hold) return refused(409, "window-on-hold", "the window is on hold");
    const credits = ctx.repo
      .openCredits({ recipientId: intent.recipientId })
      .filter((c) => payable(c) && c.windowSeq <= window.seq);
    if (!credits.some((c) => c.blockHash === window.blockHash))
      return refused(409, "nothing-due", "the recipient has no open credit in this window");
    const dueSats = credits.reduce((s, c) => s + c.openSats, 0n);
    if (intent.amountSats !== dueSats)
      return refused(409, "amount-mismatch", "the amount must equal the open balance up to this window", {
        dueSats: dueSats.toString(),
      });
    if (dueSats < ctx.payoutThresholdSats)
      return refused(409, "below-threshold", "the balance is below the payout threshold", {
        dueSats: dueSats.toString(),
      });
    const at = ctx.now().toISOString();
    const record: Omit<PaymentRecord, "id"> = {
      windowBlockHash: intent.windowBlockHash,
      recipientId: intent.recipientId,
      kind: credits[0]!.kind,
      amountSats: dueSats,
      method: intent.method,
      paymentHash: intent.paymentHash ?? null,
      invoice: intent.invoice ?? null,
      state: "pending",
      attempts: 0,
      feeSats: null,
      preimage: null,
      channelId: null,
      reason: null,
      createdAt: at,
      updatedAt: at,
    };
    const id = ctx.repo.insertPayment(
      record,
      credits.map((c) => ({ blockHash: c.blockHash, amountSats: c.openSats })),
    );
    const payment = { ...record, id };
    ctx.repo.insertAudit(audit(payment, "intent", at));
    for (const c of credits) {
      if (ctx.repo.findWindow(c.blockHash)?.phase === "Calculated")
        ctx.repo.setPhase(c.blockHash, "Paying", at);
    }
    return accepted(payment, 201);
  });
}

/** What the treasury reports after an attempt. */
export interface PaymentResult {
  state: "succeeded" | "failed";
  feeSats?: bigint | undefined;
  preimage?: string | undefined;
  channelId?: string | undefined;
  reason?: string | undefined;
}

/**
 * Applies an attempt's result. Success is final; a failure is retried by the treasury
 * until `maxPaymentAttempts`, then the amount returns to the ledger with the reason.
 */
export function recordPaymentResult(
  ctx: PaymentContext,
  id: number,
  result: PaymentResult,
): Outcome<PaymentRecord> {
  const outcome = ctx.repo.transaction((): Outcome<PaymentRecord> => {
    const p = ctx.repo.findPayment(id);
    if (!p) return refused(404, "unknown-payment", "no payment with this id");
    if (p.state !== "pending") {
      if (p.state === "succeeded" && result.state === "succeeded") return accepted(p, 200);
      return refused(409, "payment-final", `the payment is already ${p.state}`);
    }
    const at = ctx.now().toISOString();
    const attempts = p.attempts + 1;
    let next: PaymentRecord;
    if (result.state === "succeeded") {
      next = {
        ...p,
        state: "succeeded",
        attempts,
        feeSats: result.feeSats ?? null,
        preimage: result.preimage ?? null,
        channelId: result.channelId ?? null,
        reason: null,
        updatedAt: at,
      };
    } else {
      const final = attempts >= ctx.maxPaymentAttempts;
      next = {
        ...p,
        state: final ? "failed" : "pending",
        attempts,
        channelId: result.channelId ?? p.channelId,
        reason: result.reason ?? "unspecified",
        updatedAt: at,
      };
      if (final) ctx.repo.deleteAllocations(p.id);
    }
    const { id: _id, ...fields } = next;
    ctx.repo.updatePayment(p.id, fields);
    const event =
      next.state === "succeeded" ? "succeeded" : next.state === "failed" ? "failed" : "attempt-failed";
    ctx.repo.insertAudit(audit(next, event, at));
    return accepted(next, 200);
  });
  if (outcome.ok) settleWindows(ctx);
  return outcome;
}
