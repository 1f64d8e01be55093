import type { ChannelLiquidity } from "@hyperhash/node-agent";
import { createLogger } from "@hyperhash/telemetry";
import type { AttemptResult, CoreAnswer, CoreClient, CorePayment } from "../../src/core-client.ts";
import type { PaymentLookup, SettledPayment, TreasuryLnd } from "../../src/lnd-payer.ts";
import type { DriveDeps } from "../../src/payer.ts";
import { openPaymentStore } from "../../src/store.ts";

export const PUBKEY = `02${"11".repeat(32)}`;
export const WINDOW = "aa".repeat(32);

/** A Core stand-in for unit tests of the payer: keeps payments in a map, fails after `maxAttempts`. */
export function fakeCore(maxAttempts = 3) {
  const payments = new Map<string, CorePayment & { key: string }>();
  const results: Array<{ id: string; result: AttemptResult }> = [];
  let next = 1;
  const core: CoreClient = {
    listDue: async () => [],
    async recordIntent(intent) {
      const key = `${intent.windowBlockHash}/${intent.recipientId}`;
      const live = [...payments.values()].find((p) => p.key === key && p.state !== "failed");
      if (live) return { ok: true, value: live };
      const p = {
        id: String(next++),
        key,
        state: "pending" as const,
        attempts: 0,
        amountSats: intent.amountSats,
        reason: null,
      };
      payments.set(p.id, p);
      return { ok: true, value: p };
    },
    async reportResult(id, result): Promise<CoreAnswer<CorePayment>> {
      results.push({ id, result });
      const p = payments.get(id)!;
      if (p.state !== "pending") return { ok: false, status: 409, code: "payment-final", message: p.state };
      p.attempts++;
      if (result.state === "succeeded") p.state = "succeeded";
      else {
        p.reason = result.reason;
        if (p.attempts >= maxAttempts) p.state = "failed";
      }
      return { ok: true, value: { ...p } };
    },
    nodePubkey: async () => ({ ok: true, value: null }),
    nodeAgent: async () => ({ ok: true, value: null }),
  };
  return { core, payments, results };
}

/** An lnd stand-in: `lookups` answers getPayment per hash; `pay` decides each send. */
export function fakeLnd(
  behaviour: { pay?: () => Promise<SettledPayment>; lookups?: Map<string, PaymentLookup> } = {},
) {
  const sends: string[] = [];
  const lookups = behaviour.lookups ?? new Map<string, PaymentLookup>();
  const settle = (hash: string, sats: bigint): SettledPayment => ({
    paymentHash: hash,
    preimage: "cc".repeat(32),
    sats,
    feeSats: 1n,
    channelId: "1x1x1",
  });
  const lnd: TreasuryLnd = {
    decodeRequest: async () => {
      throw new Error("not used");
    },
    payRequest: async () => {
      throw new Error("not used");
    },
    async keysend({ paymentHash, sats }) {
      sends.push(paymentHash);
      const paid = behaviour.pay ? await behaviour.pay() : settle(paymentHash, sats);
      lookups.set(paymentHash, { state: "succeeded", payment: paid });
      return paid;
    },
    lookupPayment: async (hash) => lookups.get(hash) ?? { state: "unknown" },
    sendToAddresses: async () => "dd".repeat(32),
    findLabelledTx: async () => undefined,
  };
  return { lnd, sends, lookups, settle };
}

export const channel = (outbound: bigint): ChannelLiquidity => ({
  id: "1x1x1",
  peerPubkey: PUBKEY,
  capacitySats: outbound + 100_000n,
  localBalanceSats: outbound + 10_000n,
  remoteBalanceSats: 90_000n,
  localReserveSats: 10_000n,
  remoteReserveSats: 10_000n,
  active: true,
});

/** Drive deps over an in-memory store. */
export function driveDeps(core: CoreClient, lnd: TreasuryLnd, outbound = 10_000_000n): DriveDeps {
  return {
    store: openPaymentStore(":memory:"),
    core,
    lnd,
    channels: async () => [channel(outbound)],
    feeLimits: { baseSats: 10n, ppm: 5000n },
    logger: createLogger({ service: "test", level: "error" }),
  };
}
