import { type ChannelLiquidity, outboundSats } from "@hyperhash/node-agent";
import { zeroLabels } from "@hyperhash/telemetry";
import { Counter, Gauge, type Registry } from "prom-client";
import type { PayerObserver, Wait } from "./payer.ts";
import type { LocalPayment } from "./store.ts";

/** The treasury's metrics: channel inventory, routing fees, payouts, pending invoices, waits. */
export interface TreasuryMetrics extends PayerObserver {
  observeChannels(channels: ChannelLiquidity[]): void;
  observeRoutingFees(sats: bigint): void;
  observeBalance(kind: "channel" | "onchain", sats: bigint): void;
  observeOpenPayments(open: LocalPayment[]): void;
  observeWaits(waits: ReadonlyMap<string, Wait>): void;
}

/** Registers the treasury metrics on `registry`. */
export function createTreasuryMetrics(registry: Registry): TreasuryMetrics {
  const registers = [registry];
  const channels = new Gauge({
    name: "hyperhash_treasury_channels",
    help: "Treasury lnd channels by status",
    labelNames: ["status"],
    registers,
  });
  const channelSats = new Gauge({
    name: "hyperhash_treasury_channel_balance_sats",
    help: "Treasury channel balances summed by side (local = outbound, remote = the peers' side)",
    labelNames: ["side"],
    registers,
  });
  const spendable = new Gauge({
    name: "hyperhash_treasury_largest_outbound_sats",
    help: "Largest amount one active treasury channel can send now (local balance less reserve)",
    registers,
  });
  const balance = new Gauge({
    name: "hyperhash_treasury_lightning_balance_sats",
    help: "The treasury lnd's balance by kind: channel (local balances) and onchain (confirmed wallet)",
    labelNames: ["kind"],
    registers,
  });
  const fees = new Gauge({
    name: "hyperhash_treasury_routing_fees_sats",
    help: "Routing fees the treasury lnd earned over its forwarding history (getForwards), sats",
    registers,
  });
  const payouts = new Counter({
    name: "hyperhash_treasury_payouts_total",
    help: "Payout attempts by method and result",
    labelNames: ["method", "result"],
    registers,
  });
  const payoutSats = new Counter({
    name: "hyperhash_treasury_payouts_sats_total",
    help: "Sats paid out by method",
    labelNames: ["method"],
    registers,
  });
  const payoutFees = new Counter({
    name: "hyperhash_treasury_payout_fees_sats_total",
    help: "Routing fees the treasury paid on payouts, sats",
    registers,
  });
  const pendingInvoices = new Gauge({
    name: "hyperhash_treasury_pending_invoices",
    help: "Node invoices stored and not yet settled and reported",
    registers,
  });
  const openPayments = new Gauge({
    name: "hyperhash_treasury_open_payments",
    help: "Payments stored and not yet closed, by local state",
    labelNames: ["state"],
    registers,
  });
  const waiting = new Gauge({
    name: "hyperhash_treasury_waiting_payments",
    help: "Due payments waiting, by reason (InsufficientLiquidity, ...)",
    labelNames: ["reason"],
    registers,
  });
  const methods = ["invoice", "keysend", "onchain"] as const;
  const states = ["prepared", "announced", "sending", "succeeded", "failed", "done", "abandoned"] as const;
  const reasons = [
    "InsufficientLiquidity",
    "NoNodeAgent",
    "NodePubkeyUnknown",
    "AgentRefused",
    "InvalidInvoice",
    "BelowOnchainThreshold",
    "WindowOnHold",
    "PaymentInFlight",
  ] as const satisfies readonly Wait["reason"][];
  // Every bounded label value at zero, so rates and panels have series before the first event.
  zeroLabels(
    payouts,
    methods.flatMap((method) => [
      { method, result: "succeeded" },
      { method, result: "failed" },
    ]),
  );
  zeroLabels(
    payoutSats,
    methods.map((method) => ({ method })),
  );
  zeroLabels(
    openPayments,
    states.map((state) => ({ state })),
  );
  zeroLabels(
    waiting,
    reasons.map((reason) => ({ reason })),
  );
  return {
    paid(method, sats, feeSats) {
      payouts.inc({ method, result: "succeeded" });
      payoutSats.inc({ method }, Number(sats));
      payoutFees.inc(Number(feeSats));
    },
    failedAttempt: (method) => payouts.inc({ method, result: "failed" }),
    observeChannels(list) {
      const active = list.filter((c) => c.active);
      channels.set({ status: "active" }, active.length);
      channels.set({ status: "inactive" }, list.length - active.length);
      channelSats.set({ side: "local" }, Number(list.reduce((s, c) => s + c.localBalanceSats, 0n)));
      channelSats.set({ side: "remote" }, Number(list.reduce((s, c) => s + c.remoteBalanceSats, 0n)));
      let best = 0n;
      for (const c of active) if (outboundSats(c) > best) best = outboundSats(c);
      spendable.set(Number(best));
    },
    observeRoutingFees: (sats) => fees.set(Number(sats)),
    observeBalance: (kind, sats) => balance.set({ kind }, Number(sats)),
    observeOpenPayments(open) {
      pendingInvoices.set(open.filter((p) => p.method === "invoice").length);
      openPayments.reset();
      zeroLabels(
        openPayments,
        states.map((state) => ({ state })),
      );
      for (const p of open) openPayments.inc({ state: p.state });
    },
    observeWaits(waits) {
      waiting.reset();
      zeroLabels(
        waiting,
        reasons.map((reason) => ({ reason })),
      );
      for (const w of waits.values()) waiting.inc({ reason: w.reason });
    },
  };
}
