import { zeroLabels } from "@hyperhash/telemetry";
import { Counter, Gauge, type Registry } from "prom-client";
import { largestInbound } from "./lnd-reads.ts";
import type { LightningSnapshot, ReportResult } from "./telemetry-reporter.ts";

/** The node agent's metrics (seed list: node Lightning balance, routing fees, channel count and status). */
export interface AgentMetrics {
  observeSnapshot(s: LightningSnapshot, treasuryPubkey: string): void;
  observeReport(r: ReportResult): void;
  observeInvoice(outcome: "created" | "reused" | "refused"): void;
}

/** Registers the agent's metrics on `registry`. */
export function createAgentMetrics(registry: Registry): AgentMetrics {
  const balance = new Gauge({
    name: "hyperhash_node_agent_lightning_balance_sats",
    help: "The node's Lightning balance in sats: onchain (confirmed wallet), channel_local and channel_remote (sums over its channels)",
    labelNames: ["kind"],
    registers: [registry],
  });
  const inbound = new Gauge({
    name: "hyperhash_node_agent_treasury_inbound_sats",
    help: "Largest inbound capacity (peer balance less reserve) on one active treasury channel",
    registers: [registry],
  });
  const fees = new Gauge({
    name: "hyperhash_node_agent_routing_fees_sats",
    help: "Routing fees the node earned over its forwarding history (lnd getForwards), sats",
    registers: [registry],
  });
  const channels = new Gauge({
    name: "hyperhash_node_agent_channels",
    help: "Open channels of the node's lnd by status",
    labelNames: ["status"],
    registers: [registry],
  });
  const invoices = new Counter({
    name: "hyperhash_node_agent_invoices_total",
    help: "Payout invoice requests by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const reports = new Counter({
    name: "hyperhash_node_agent_telemetry_reports_total",
    help: "Telemetry reports to Core by result",
    labelNames: ["result"],
    registers: [registry],
  });
  // Every bounded label value at zero, so rates and panels have series before the first event.
  zeroLabels(
    invoices,
    ["created", "reused", "refused"].map((outcome) => ({ outcome })),
  );
  zeroLabels(reports, [{ result: "ok" }, { result: "error" }]);
  return {
    observeSnapshot(s, treasuryPubkey) {
      const local = s.channels.reduce((sum, c) => sum + c.localBalanceSats, 0n);
      const remote = s.channels.reduce((sum, c) => sum + c.remoteBalanceSats, 0n);
      balance.set({ kind: "channel_local" }, Number(local));
      balance.set({ kind: "channel_remote" }, Number(remote));
      balance.set({ kind: "onchain" }, Number(s.onchainBalanceSats));
      fees.set(Number(s.routingFeesSats));
      const active = s.channels.filter((c) => c.active).length;
      channels.set({ status: "active" }, active);
      channels.set({ status: "inactive" }, s.channels.length - active);
      inbound.set(Number(largestInbound(s.channels, treasuryPubkey)));
    },
    observeReport: (r) => reports.inc({ result: r.ok ? "ok" : "error" }),
    observeInvoice: (outcome) => invoices.inc({ outcome }),
  };
}
