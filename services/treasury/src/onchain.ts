import { randomBytes } from "node:crypto";
import { announce, type DriveDeps, report, type Wait } from "./payer.ts";
import type { LocalBatch, LocalPayment } from "./store.ts";

/** The label lnd stores with a batch transaction; a restart finds the transaction by it. */
export const batchLabel = (batchId: string) => `hyperhash-payout-batch:${batchId}`;

const members = (deps: DriveDeps, batchId: string) =>
  deps.store.listOpen().filter((p) => p.method === "onchain" && p.batchId === batchId);

/**
 * Pays miners with address destinations in one labelled transaction per round. Each member is
 * written (and its intent recorded) before the batch is broadcast; a batch found `sending` after
 * a restart is resolved by its label in lnd's wallet: broadcast → succeeded, absent → sent again.
 */
export async function runOnchainPayouts(deps: DriveDeps, waits: Map<string, Wait>): Promise<void> {
  for (const batch of deps.store.listOpenBatches()) await driveBatch(deps, batch, waits);
  const loose = deps.store
    .listOpen()
    .filter(
      (p) =>
        p.method === "onchain" && p.batchId === null && (p.state === "prepared" || p.state === "announced"),
    );
  if (loose.length > 0) {
    const id = randomBytes(16).toString("hex");
    const batch: LocalBatch = { id, label: batchLabel(id), state: "prepared", txid: null };
    deps.store.insertBatch(
      batch,
      loose.map((p) => p.id),
    );
    await driveBatch(deps, batch, waits);
  }
  for (const p of deps.store.listOpen()) {
    if (p.method === "onchain" && (p.state === "succeeded" || p.state === "failed")) await report(deps, p);
  }
}

async function driveBatch(deps: DriveDeps, batch: LocalBatch, waits: Map<string, Wait>): Promise<void> {
  if (batch.state === "sending") {
    const txid = await deps.lnd.findLabelledTx(batch.label);
    if (txid) return settle(deps, batch, members(deps, batch.id), txid);
    // Never broadcast: back to prepared and send the same batch again.
    for (const p of members(deps, batch.id))
      if (p.state === "sending") deps.store.update(p.id, { state: "announced" });
    deps.store.updateBatch(batch.id, { state: "prepared" });
  }
  for (const p of members(deps, batch.id)) {
    if (p.state !== "prepared") continue;
    const step = await announce(deps, p);
    if ("wait" in step) waits.set(p.recipientId, step.wait);
  }
  const live = members(deps, batch.id).filter((p) => p.state === "announced");
  for (const p of members(deps, batch.id))
    if (p.state !== "announced") deps.store.update(p.id, { batchId: null });
  if (live.length === 0) {
    deps.store.updateBatch(batch.id, { state: "failed" });
    return;
  }
  // Batch first: a crash between the two writes leaves a `sending` batch, resolved by its label.
  deps.store.updateBatch(batch.id, { state: "sending" });
  for (const p of live) deps.store.update(p.id, { state: "sending", attempts: p.attempts + 1 });
  let txid: string | undefined;
  let error: string | undefined;
  try {
    txid = await deps.lnd.sendToAddresses(
      live.map((p) => ({ address: p.destination, sats: p.amountSats })),
      batch.label,
    );
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    txid = await deps.lnd.findLabelledTx(batch.label);
  }
  if (txid) {
    deps.afterPayment?.();
    return settle(deps, batch, live, txid);
  }
  for (const p of live) {
    deps.observer?.failedAttempt("onchain");
    deps.store.update(p.id, {
      state: "failed",
      reason: (error ?? "not broadcast").slice(0, 400),
      batchId: null,
    });
  }
  deps.store.updateBatch(batch.id, { state: "failed" });
}

function settle(deps: DriveDeps, batch: LocalBatch, paid: LocalPayment[], txid: string): void {
  for (const p of paid) {
    deps.observer?.paid("onchain", p.amountSats, 0n);
    deps.store.update(p.id, { state: "succeeded", txid, reason: null });
  }
  deps.store.updateBatch(batch.id, { state: "broadcast", txid });
  deps.logger.info("on-chain payout batch broadcast", { batchId: batch.id, txid, outputs: paid.length });
}
