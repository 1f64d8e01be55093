/** Pure mappers from stored records to API bodies (sats as decimal strings). */
import { parseCanonicalRecipients } from "../canonical.ts";
import { POOL_FEE_DIVISOR, TREASURY_DIVISOR } from "../payout.ts";
import type {
  AuditEntry,
  LedgerBalance,
  NodeRecord,
  PaymentRecord,
  TelemetryRecord,
  WindowMoney,
  WindowRecord,
} from "../store/repository.ts";

const s = (v: bigint) => v.toString();
const sOrNull = (v: bigint | null) => (v === null ? null : v.toString());

/** The PayoutWindow summary (never the full list). P, T, N follow from S, so they show while Maturing. */
export function presentWindow(w: WindowRecord, money: WindowMoney) {
  const P = w.subsidySats / POOL_FEE_DIVISOR;
  const T = P / TREASURY_DIVISOR;
  return {
    phase: w.phase,
    blockHash: w.blockHash,
    height: w.height,
    foundAt: w.foundAt,
    S: s(w.subsidySats),
    F: s(w.coinbaseValueSats - w.subsidySats),
    P: s(P),
    T: s(T),
    N: s(P - T),
    carriedInSats: sOrNull(w.carriedInSats),
    carriedForwardSats: sOrNull(w.carriedForwardSats),
    recipientCount: w.recipientCount,
    paidSats: s(money.paidSats),
    inFlightSats: s(money.inFlightSats),
    pendingSats: s(money.creditedSats - money.paidSats),
    payoutDigest: w.payoutDigest,
    hold: w.hold,
    reason: w.reason,
    rolledInto: w.rolledInto,
  };
}

/** The canonical list of a Calculated window, its digest and the parsed recipients. */
export function presentPayouts(w: WindowRecord & { payoutList: string; payoutDigest: string }) {
  return {
    blockHash: w.blockHash,
    payoutDigest: w.payoutDigest,
    canonical: w.payoutList,
    recipients: parseCanonicalRecipients(w.payoutList).map((r) => ({ ...r, amountSats: s(r.amountSats) })),
  };
}

export function presentNode(n: NodeRecord, telemetry: TelemetryRecord | undefined) {
  return {
    nodeId: n.nodeId,
    name: n.name,
    visibility: n.visibility,
    lightningPubkey: n.lightningPubkey,
    telemetry: telemetry ? { ...publicTelemetry(telemetry.body), reportedAt: telemetry.reportedAt } : null,
  };
}

/** Stored telemetry without the agent's token: only the treasury reads that (presentNodeAgent). */
function publicTelemetry(body: string): Record<string, unknown> {
  const { agent, ...rest } = JSON.parse(body) as { agent?: { url: string } };
  return agent ? { ...rest, agent: { url: agent.url } } : rest;
}

/** The node's agent endpoint from its last telemetry, or undefined when it reported none. */
export function presentNodeAgent(nodeId: string, telemetry: TelemetryRecord | undefined) {
  if (!telemetry) return undefined;
  const { agent } = JSON.parse(telemetry.body) as { agent?: { url: string; token: string } };
  return agent ? { nodeId, url: agent.url, token: agent.token, reportedAt: telemetry.reportedAt } : undefined;
}

/** A payment without its preimage (a proof of payment stays in the store and the audit trail). */
export function presentPayment(p: PaymentRecord) {
  return {
    id: p.id,
    windowBlockHash: p.windowBlockHash,
    recipientId: p.recipientId,
    kind: p.kind,
    amountSats: s(p.amountSats),
    method: p.method,
    paymentHash: p.paymentHash,
    invoice: p.invoice,
    state: p.state,
    attempts: p.attempts,
    feeSats: sOrNull(p.feeSats),
    channelId: p.channelId,
    reason: p.reason,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export function presentBalance(b: LedgerBalance) {
  return {
    recipientId: b.recipientId,
    kind: b.kind,
    creditedSats: s(b.creditedSats),
    paidSats: s(b.paidSats),
    inFlightSats: s(b.inFlightSats),
    balanceSats: s(b.creditedSats - b.paidSats - b.inFlightSats),
  };
}

export function presentAudit(e: AuditEntry) {
  return { ...e, amountSats: s(e.amountSats), feeSats: sOrNull(e.feeSats) };
}

/** Telemetry as stored: the validated body with sats as decimal strings. */
export function normaliseTelemetry(body: {
  lightning: {
    pubkey: string;
    syncedToChain: boolean;
    channels: {
      id: string;
      peerPubkey: string;
      capacitySats: bigint;
      localBalanceSats: bigint;
      remoteBalanceSats: bigint;
      active: boolean;
    }[];
    onchainBalanceSats: bigint;
    routingFeesSats: bigint;
  };
  agent?: { url: string; token: string } | undefined;
}) {
  const l = body.lightning;
  return {
    ...(body.agent ? { agent: { url: body.agent.url, token: body.agent.token } } : {}),
    lightning: {
      pubkey: l.pubkey,
      syncedToChain: l.syncedToChain,
      channels: l.channels.map((c) => ({
        id: c.id,
        peerPubkey: c.peerPubkey,
        capacitySats: s(c.capacitySats),
        localBalanceSats: s(c.localBalanceSats),
        remoteBalanceSats: s(c.remoteBalanceSats),
        active: c.active,
      })),
      onchainBalanceSats: s(l.onchainBalanceSats),
      routingFeesSats: s(l.routingFeesSats),
    },
  };
}
