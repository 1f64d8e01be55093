/**
 * The end-to-end tests' view of the whole network: the same composition `npm start` runs
 * (`startHyperhashNetwork` on `startDevnet`), plus typed reads of Core, the pool's outbox and
 * the lnds. Nothing here is a stand-in.
 */
import {
  auditResponse,
  type BlockFoundEvent,
  blockFoundEvent,
  ledgerResponse,
  listWindowsResponse,
  outboxPage,
  payoutsResponse,
  windowSummary,
} from "@hyperhash/contracts";
import { type Devnet, type Lnd, startDevnet, waitFor } from "@hyperhash/devnet";
import {
  type HyperhashNetwork,
  type HyperhashNetworkOptions,
  startHyperhashNetwork,
} from "@hyperhash/devnet/services";
import { lnServiceHandle } from "@hyperhash/lightning";
import * as ln from "ln-service";
import type { z } from "zod";

/** A devnet (no control plane) and the network on it; `stop` stops both, also after a failed start. */
export async function startE2eNetwork(
  nodes: number,
  options: HyperhashNetworkOptions = {},
): Promise<{ devnet: Devnet; network: HyperhashNetwork; stop(): Promise<void> }> {
  const devnet = await startDevnet({ nodes, controlPlane: false, channelSats: 16_000_000n });
  try {
    const network = await startHyperhashNetwork(devnet, { logLevel: "info", ...options });
    return {
      devnet,
      network,
      stop: async () => {
        await network.stop();
        await devnet.stop();
      },
    };
  } catch (err) {
    await devnet.stop();
    throw err;
  }
}

/** A window summary as Core serves it (Core's own response schema, `@hyperhash/contracts`). */
export type WindowSummary = z.output<typeof windowSummary>;
/**
 * A block-found event of the pool's outbox, parsed as Core parses it (the contract's
 * `blockFoundEvent`: sats as bigint, destinations canonical).
 */
export type OutboxEvent = BlockFoundEvent;

/** Typed reads of Core (admin) and the pool. */
export function reads(network: HyperhashNetwork) {
  return {
    windows: async () =>
      listWindowsResponse.parse(await network.admin("GET", "/api/v1/windows?limit=1000")).windows,
    window: async (hash: string) =>
      windowSummary.parse(await network.admin("GET", `/api/v1/windows/${hash}`)),
    payouts: async (hash: string) =>
      payoutsResponse.parse(await network.admin("GET", `/api/v1/windows/${hash}/payouts`)),
    audit: async () => auditResponse.parse(await network.admin("GET", "/api/v1/audit?limit=1000")).entries,
    ledger: async () => ledgerResponse.parse(await network.admin("GET", "/api/v1/ledger")).balances,
    outbox: async () =>
      outboxPage
        .parse(
          await (
            await fetch(`${network.poolUrl}/api/v1/outbox?after=0&limit=1000`, {
              headers: { authorization: `Bearer ${network.poolApiToken}` },
            })
          ).json(),
        )
        .events.filter((e) => e.type === "block-found")
        .map((e) => blockFoundEvent("regtest").parse(e)),
  };
}

const lndHandle = (lnd: Lnd) =>
  lnServiceHandle({ socket: lnd.grpcSocket, certPem: lnd.certPem, macaroonHex: lnd.macaroonHex });

/** Settled Lightning payments an lnd sent. */
export async function sentPayments(lnd: Lnd) {
  const { payments } = (await ln.getPayments({ lnd: lndHandle(lnd) })) as {
    payments: Array<{ id: string; destination: string; tokens: number; fee: number; is_confirmed: boolean }>;
  };
  return payments.filter((p) => p.is_confirmed);
}

/** Invoices an lnd issued. */
export async function invoicesOf(lnd: Lnd) {
  const { invoices } = (await ln.getInvoices({ lnd: lndHandle(lnd) })) as {
    invoices: Array<{
      id: string;
      description: string;
      is_confirmed: boolean;
      received: number;
      tokens: number;
    }>;
  };
  return invoices;
}

/** Labelled on-chain payout batches the treasury lnd broadcast (txids). */
export async function payoutBatchTxids(lnd: Lnd): Promise<string[]> {
  const { transactions } = (await ln.getChainTransactions({ lnd: lndHandle(lnd) })) as {
    transactions: Array<{ id: string; description?: string }>;
  };
  return transactions
    .filter((tx) => tx.description?.startsWith("hyperhash-payout-batch:"))
    .map((tx) => tx.id);
}

/** Stops the miners and waits until every window is Settled (nothing matures or is in flight). */
export async function quiesce(network: HyperhashNetwork, timeoutMs: number): Promise<WindowSummary[]> {
  await network.miners.stop();
  const r = reads(network);
  const blocks = await network.poolBlocks();
  return waitFor(
    async () => {
      const windows = await r.windows();
      const known = blocks.every((b) => windows.some((w) => w.blockHash === b.blockHash));
      const done = windows.every((w) => ["Settled", "Orphaned", "Failed"].includes(w.phase));
      return known && done ? windows : undefined;
    },
    { what: "every window to be Settled once the miners stopped", timeoutMs, intervalMs: 500 },
  );
}
