import type { DuePayment } from "./core-client.ts";
import { runOnchainPayouts } from "./onchain.ts";
import { driveLightningPayment, type Wait } from "./payer.ts";
import { type PrepareDeps, prepareDuePayment } from "./prepare.ts";

/** What one round did. */
export interface RoundReport {
  due: number;
  /** Recipient id → why it waits. */
  waits: Map<string, Wait>;
  errors: number;
}

/** Runs `work` over `items`, at most `limit` at a time; errors go to `onError`, never abort the rest. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  onError: (item: T, err: unknown) => void,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item).catch((err) => onError(item, err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * One payout round: first every stored Lightning payment still open is driven on (a restart
 * resumes here, resolving in-flight ones from lnd by hash), then Core's due list is turned into
 * new stored payments and paid, then the on-chain batch. Different recipients run concurrently;
 * one recipient's payment is only ever driven by one lane.
 */
export async function runPayoutRound(deps: PrepareDeps, concurrency: number): Promise<RoundReport> {
  const waits = new Map<string, Wait>();
  let errors = 0;
  const onError = (what: { recipientId: string }, err: unknown) => {
    errors++;
    deps.logger.error("payout step failed; retried next round", { recipientId: what.recipientId, err });
  };

  const open = deps.store.listOpen().filter((p) => p.method !== "onchain");
  await forEachLimit(
    open,
    concurrency,
    async (p) => {
      const wait = await driveLightningPayment(deps, p);
      if (wait) waits.set(p.recipientId, wait);
    },
    onError,
  );

  const due = await deps.core.listDue();
  const fresh = due.filter((d: DuePayment) => {
    const live = deps.store.findLive(d.windowBlockHash, d.recipientId);
    if (live?.state === "done")
      deps.logger.warn("core lists a payment the treasury closed as due", { recipientId: d.recipientId });
    return !live && !waits.has(d.recipientId);
  });
  await forEachLimit(
    fresh,
    concurrency,
    async (d) => {
      const prepared = await prepareDuePayment(deps, d);
      if (!prepared.ok) {
        waits.set(d.recipientId, prepared.wait);
        return;
      }
      if (prepared.payment.method === "onchain") return;
      const wait = await driveLightningPayment(deps, prepared.payment);
      if (wait) waits.set(d.recipientId, wait);
    },
    onError,
  );

  await runOnchainPayouts(deps, waits).catch((err) => onError({ recipientId: "onchain-batch" }, err));
  return { due: due.length, waits, errors };
}
