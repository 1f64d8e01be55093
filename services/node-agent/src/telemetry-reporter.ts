import type { telemetryBody } from "@hyperhash/contracts";
import type { LightningWallet } from "@hyperhash/lightning";
import type { Logger } from "@hyperhash/telemetry";
import type { z } from "zod";
import type { ChannelLiquidity, LndReads } from "./lnd-reads.ts";

/** Core's telemetry body as the agent sends it: the contract's `telemetryBody` (@hyperhash/contracts). */
export type TelemetryBody = z.input<typeof telemetryBody>;
/** The Lightning part of a node's telemetry, as Core takes it (sats as decimal strings). */
export type LightningTelemetry = TelemetryBody["lightning"];

/** One reading of the node's lnd. */
export interface LightningSnapshot {
  pubkey: string;
  syncedToChain: boolean;
  channels: ChannelLiquidity[];
  onchainBalanceSats: bigint;
  routingFeesSats: bigint;
}

/** Reads lnd once: wallet info, channels, on-chain balance, forwarding fees. */
export async function readLightningSnapshot(
  wallet: Pick<LightningWallet, "getInfo" | "getChainBalance">,
  reads: Pick<LndReads, "listChannelLiquidity" | "getRoutingFeesSats">,
): Promise<LightningSnapshot> {
  const [info, channels, onchainBalanceSats, routingFeesSats] = await Promise.all([
    wallet.getInfo(),
    reads.listChannelLiquidity(),
    wallet.getChainBalance(),
    reads.getRoutingFeesSats(),
  ]);
  return {
    pubkey: info.pubkey,
    syncedToChain: info.syncedToChain,
    channels,
    onchainBalanceSats,
    routingFeesSats,
  };
}

/** Where the treasury asks this agent for payout invoices, and the token it must present. */
export interface AgentEndpointReport {
  url: string;
  token: string;
}

/** Maps a snapshot (and the agent's endpoint, when known) to Core's telemetry body. Pure. */
export function toTelemetryBody(s: LightningSnapshot, agent?: AgentEndpointReport): TelemetryBody {
  return {
    ...(agent ? { agent: { url: agent.url, token: agent.token } } : {}),
    lightning: {
      pubkey: s.pubkey,
      syncedToChain: s.syncedToChain,
      channels: s.channels.map((c) => ({
        id: c.id,
        peerPubkey: c.peerPubkey,
        capacitySats: c.capacitySats.toString(),
        localBalanceSats: c.localBalanceSats.toString(),
        remoteBalanceSats: c.remoteBalanceSats.toString(),
        active: c.active,
      })),
      onchainBalanceSats: s.onchainBalanceSats.toString(),
      routingFeesSats: s.routingFeesSats.toString(),
    },
  };
}

/** Where and as whom the reporter posts. */
export interface TelemetryTarget {
  coreUrl: string;
  nodeId: string;
  credential: string;
  /** Reported with every telemetry body so Core can tell the treasury (see core-api.ts). */
  agent?: AgentEndpointReport;
}

/** The result of one report, as a value. */
export type ReportResult = { ok: true } | { ok: false; error: string };

/** Options of startTelemetryReporter. */
export interface TelemetryReporterOptions {
  target: TelemetryTarget;
  intervalMs: number;
  snapshot: () => Promise<LightningSnapshot>;
  logger: Logger;
  onReport?: (result: ReportResult, snapshot?: LightningSnapshot) => void;
  fetch?: typeof fetch;
}

/**
 * Posts Lightning telemetry to Core now and then every `intervalMs` (the next report is
 * scheduled when the previous one finishes, so reports never overlap). Failures are logged and
 * retried at the next tick: telemetry is a heartbeat, not a queue.
 */
export function startTelemetryReporter(options: TelemetryReporterOptions): {
  reportNow(): Promise<ReportResult>;
  stop(): void;
} {
  const doFetch = options.fetch ?? fetch;
  const url = new URL(
    `/api/v1/nodes/${encodeURIComponent(options.target.nodeId)}/telemetry`,
    options.target.coreUrl,
  );
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<ReportResult> | undefined;

  const report = async (): Promise<ReportResult> => {
    let snapshot: LightningSnapshot | undefined;
    let result: ReportResult;
    try {
      snapshot = await options.snapshot();
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${options.target.credential}` },
        body: JSON.stringify(toTelemetryBody(snapshot, options.target.agent)),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      result = res.ok
        ? { ok: true }
        : { ok: false, error: `core answered ${res.status}: ${text.slice(0, 200)}` };
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (!result.ok) options.logger.warn("telemetry report failed", { error: result.error });
    options.onReport?.(result, snapshot);
    return result;
  };

  const reportNow = () => {
    running ??= report().finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = () => {
    if (stopped) return;
    void reportNow().finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  tick();
  return {
    reportNow,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
