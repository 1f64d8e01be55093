import type { ChannelLiquidity } from "@hyperhash/node-agent";
import type { Logger } from "@hyperhash/telemetry";
import { feeLimitSats, largestOutbound } from "./checks.ts";
import type { AttemptResult, CoreClient } from "./core-client.ts";
import type { PaymentLookup, SettledPayment, TreasuryLnd } from "./lnd-payer.ts";
import type { LocalPayment, PaymentStore } from "./store.ts";

/** Why a due payment is not being paid right now. */
export interface Wait {
  reason:
    | "InsufficientLiquidity"
    | "NoNodeAgent"
    | "NodePubkeyUnknown"
    | "AgentRefused"
    | "InvalidInvoice"
    | "BelowOnchainThreshold"
    | "WindowOnHold"
    | "PaymentInFlight";
  detail: string;
}

/** Counters the payer reports to metrics. */
export interface PayerObserver {
  paid(method: LocalPayment["method"], sats: bigint, feeSats: bigint): void;
  failedAttempt(method: LocalPayment["method"]): void;
}

/** What driving a payment needs. */
export interface DriveDeps {
  store: PaymentStore;
  core: CoreClient;
  lnd: TreasuryLnd;
  channels: () => Promise<ChannelLiquidity[]>;
  feeLimits: { baseSats: bigint; ppm: bigint };
  /** Called right after lnd reports a fresh payment settled, before anything is written (HH_FAULT). */
  afterPayment?: () => void;
  observer?: PayerObserver;
  logger: Logger;
}

/** Liquidity check before paying: one active channel must carry amount + fee limit. */
export async function liquidityWait(deps: DriveDeps, amountSats: bigint): Promise<Wait | undefined> {
  const need = amountSats + feeLimitSats(amountSats, deps.feeLimits);
  const have = largestOutbound(await deps.channels());
  return have < need
    ? {
        reason: "InsufficientLiquidity",
        detail: `treasury outbound ${have} sats < ${need} (amount + fee limit)`,
      }
    : undefined;
}

const settledFields = (paid: SettledPayment) => ({
  state: "succeeded" as const,
  feeSats: paid.feeSats,
  channelId: paid.channelId ?? null,
  preimage: paid.preimage,
  reason: null,
});

/**
 * Drives one Lightning payment (invoice or keysend) as far as it can go now, one durable
 * transition at a time, and returns why it stopped when it waits. Safe to call again at any
 * state, after any crash: `sending` is resolved from lnd by payment hash, never re-sent blindly.
 */
export async function driveLightningPayment(deps: DriveDeps, start: LocalPayment): Promise<Wait | undefined> {
  let p = start;
  for (let guard = 0; guard < 8; guard++) {
    const next = await step(deps, p);
    if ("wait" in next) return next.wait;
    if (!next.payment) return undefined;
    p = next.payment;
  }
  return undefined;
}

type Step = { payment?: LocalPayment } | { wait: Wait };

async function step(deps: DriveDeps, p: LocalPayment): Promise<Step> {
  switch (p.state) {
    case "prepared":
      return announce(deps, p);
    case "announced":
      return send(deps, p);
    case "sending":
      return applyLookup(deps, p, await deps.lnd.lookupPayment(p.paymentHash!), undefined);
    case "succeeded":
    case "failed":
      return report(deps, p);
    default:
      return {};
  }
}

/** Records the intent at Core (idempotent per key); refusals of a never-sent payment retire it. */
export async function announce(deps: DriveDeps, p: LocalPayment): Promise<Step> {
  const answer = await deps.core.recordIntent({
    windowBlockHash: p.windowBlockHash,
    recipientId: p.recipientId,
    amountSats: p.amountSats,
    method: p.method,
    ...(p.paymentHash ? { paymentHash: p.paymentHash } : {}),
    ...(p.invoice ? { invoice: p.invoice } : {}),
  });
  if (answer.ok) {
    const cp = answer.value;
    if (cp.state === "pending")
      return { payment: deps.store.update(p.id, { state: "announced", corePaymentId: cp.id }) };
    if (cp.state === "succeeded")
      return { payment: deps.store.update(p.id, { state: "done", corePaymentId: cp.id }) };
    return {
      payment: deps.store.update(p.id, { state: "abandoned", corePaymentId: cp.id, reason: cp.reason }),
    };
  }
  if (answer.code === "window-on-hold") return { wait: { reason: "WindowOnHold", detail: answer.message } };
  if (answer.status >= 500 || answer.status === 401 || answer.status === 403)
    throw new Error(`core refused the intent (${answer.status} ${answer.code}): ${answer.message}`);
  // Never sent to lnd, so retiring it is safe; the recipient comes back as due if still owed.
  deps.logger.warn("core refused a payment intent; retiring the unsent payment", {
    windowBlockHash: p.windowBlockHash,
    recipientId: p.recipientId,
    code: answer.code,
  });
  return {
    payment: deps.store.update(p.id, { state: "abandoned", reason: `intent refused: ${answer.code}` }),
  };
}

async function send(deps: DriveDeps, p: LocalPayment): Promise<Step> {
  const wait = await liquidityWait(deps, p.amountSats);
  if (wait) return { wait };
  const maxFeeSats = feeLimitSats(p.amountSats, deps.feeLimits);
  // Written (fsync) before lnd hears of it: a crash from here on is resolved by payment hash.
  const sending = deps.store.update(p.id, { state: "sending", attempts: p.attempts + 1 });
  let paid: SettledPayment;
  try {
    paid =
      p.method === "invoice"
        ? await deps.lnd.payRequest({ request: p.invoice!, maxFeeSats })
        : await deps.lnd.keysend({
            destination: p.destination,
            preimage: p.preimage!,
            paymentHash: p.paymentHash!,
            sats: p.amountSats,
            maxFeeSats,
          });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return applyLookup(deps, sending, await deps.lnd.lookupPayment(p.paymentHash!), message.slice(0, 400));
  }
  deps.afterPayment?.();
  deps.observer?.paid(p.method, p.amountSats, paid.feeSats);
  return { payment: deps.store.update(p.id, settledFields(paid)) };
}

/**
 * Applies lnd's verdict on a payment in `sending`. `sendError` is set when this process just
 * tried and lnd's call failed; undefined when resolving after a restart.
 */
async function applyLookup(
  deps: DriveDeps,
  p: LocalPayment,
  looked: PaymentLookup,
  sendError: string | undefined,
): Promise<Step> {
  switch (looked.state) {
    case "succeeded":
      if (sendError !== undefined) deps.afterPayment?.();
      deps.observer?.paid(p.method, p.amountSats, looked.payment.feeSats);
      return { payment: deps.store.update(p.id, settledFields(looked.payment)) };
    case "failed":
      deps.observer?.failedAttempt(p.method);
      return { payment: deps.store.update(p.id, { state: "failed", reason: sendError ?? looked.reason }) };
    case "pending":
      return { wait: { reason: "PaymentInFlight", detail: `lnd reports ${p.paymentHash} in flight` } };
    case "unknown":
      // lnd never registered the hash: nothing is in flight. After our own failed call that is a
      // failed attempt; after a restart it means the send never reached lnd, so send it now.
      if (sendError !== undefined) {
        deps.observer?.failedAttempt(p.method);
        return { payment: deps.store.update(p.id, { state: "failed", reason: sendError }) };
      }
      return { payment: deps.store.update(p.id, { state: "announced" }) };
  }
}

/** Reports lnd's verdict to Core; a failure Core keeps pending is retried at the next round. */
export async function report(deps: DriveDeps, p: LocalPayment): Promise<Step> {
  const result: AttemptResult =
    p.state === "succeeded"
      ? {
          state: "succeeded",
          ...(p.feeSats !== null ? { feeSats: p.feeSats } : {}),
          ...(p.preimage ? { preimage: p.preimage } : {}),
          ...(p.channelId ? { channelId: p.channelId } : {}),
        }
      : { state: "failed", reason: p.reason ?? "failed", ...(p.channelId ? { channelId: p.channelId } : {}) };
  const answer = await deps.core.reportResult(p.corePaymentId!, result);
  if (!answer.ok) {
    if (answer.code !== "payment-final")
      throw new Error(`core refused the result (${answer.status} ${answer.code}): ${answer.message}`);
    // Core closed the payment already (an earlier report landed before a crash).
    if (p.state === "succeeded") {
      deps.logger.error("core holds a final state that disagrees with lnd's success", {
        paymentHash: p.paymentHash,
      });
      return { payment: deps.store.update(p.id, { state: "done", reason: "core-disagrees" }) };
    }
    return { payment: deps.store.update(p.id, { state: "abandoned" }) };
  }
  if (p.state === "succeeded") return { payment: deps.store.update(p.id, { state: "done" }) };
  if (answer.value.state === "failed") {
    deps.logger.warn("payment failed for good; the amount is back in the ledger", {
      recipientId: p.recipientId,
      reason: answer.value.reason,
    });
    return { payment: deps.store.update(p.id, { state: "abandoned", reason: answer.value.reason }) };
  }
  // Retried at the next round (not in this loop), so a failing route is not hammered.
  deps.store.update(p.id, { state: "announced" });
  return {};
}
