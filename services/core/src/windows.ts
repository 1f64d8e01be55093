/**
 * The window lifecycle: Maturing → Calculated → Paying → Settled, or Orphaned, or Failed.
 * Decisions are made here; every money write happens inside one repository transaction.
 */
import { type BitcoinRpc, type Network, subsidy } from "@hyperhash/bitcoin";
import { canonicalPayoutList, payoutDigest } from "./canonical.ts";
import { calculatePayout, type ShareTotal } from "./payout.ts";
import type { CoreRepository, NewWindow, WindowRecord } from "./store/repository.ts";

/** Coinbase maturity on public networks; regtest confirms at once (tests use fresh chains). */
export function defaultPayoutConfirmations(network: Network): number {
  return network === "regtest" ? 1 : 100;
}

/** What advancing the windows needs. */
export interface WindowContext {
  repo: CoreRepository;
  network: Network;
  payoutConfirmations: number;
  /** Recipients whose open balance is below this wait for later windows. */
  payoutThresholdSats: bigint;
  now: () => Date;
}

/** Records a block-found event as a Maturing window; a known block hash is not applied twice. */
export function applyBlockFound(ctx: WindowContext, window: NewWindow): "applied" | "duplicate" {
  if (ctx.repo.findWindow(window.blockHash)) return "duplicate";
  ctx.repo.insertWindow(window, ctx.now().toISOString());
  return "applied";
}

/** What one pass of `advanceWindows` changed, for logs and tests. */
export interface AdvanceReport {
  orphaned: string[];
  calculated: string[];
  failed: string[];
  settled: string[];
}

/**
 * Checks every Maturing window against the chain (getblockhash(height) ≠ blockHash →
 * Orphaned) and calculates those with enough confirmations, strictly in window order:
 * the carry of N and the roll of orphaned shares make window k depend on window k−1.
 */
export async function advanceWindows(ctx: WindowContext, rpc: BitcoinRpc): Promise<AdvanceReport> {
  const report: AdvanceReport = { orphaned: [], calculated: [], failed: [], settled: [] };
  const maturing = ctx.repo.listWindows({ phases: ["Maturing"] });
  if (maturing.length > 0) {
    const tip = await rpc.getBlockCount();
    let blocked = false; // an earlier window still maturing: later ones may not be calculated
    for (const w of maturing) {
      // A chain shorter than the block (a deep reorg) says nothing yet: keep waiting.
      if (w.height > tip) {
        blocked = true;
        continue;
      }
      const onChain = await rpc.getBlockHash(w.height);
      if (onChain !== w.blockHash) {
        if (markOrphaned(ctx, w.blockHash)) report.orphaned.push(w.blockHash);
        continue;
      }
      if (blocked || tip - w.height + 1 < ctx.payoutConfirmations) {
        blocked = true;
        continue;
      }
      const outcome = calculateWindow(ctx, w.blockHash);
      if (outcome === "calculated") report.calculated.push(w.blockHash);
      else if (outcome === "failed") report.failed.push(w.blockHash);
    }
  }
  report.settled = settleWindows(ctx);
  return report;
}

function markOrphaned(ctx: WindowContext, blockHash: string): boolean {
  return ctx.repo.transaction(() => {
    if (ctx.repo.findWindow(blockHash)?.phase !== "Maturing") return false;
    ctx.repo.setPhase(blockHash, "Orphaned", ctx.now().toISOString(), "block left the main chain");
    return true;
  });
}

function sharesOf(windows: readonly WindowRecord[]): ShareTotal[] {
  return windows.flatMap((w) =>
    w.shares.map((s) => ({ destination: s.destination, nodeId: s.nodeId, work: BigInt(s.work) })),
  );
}

/**
 * Calculates one matured window in one transaction: its shares plus those of Orphaned and
 * Failed windows before it, the carried node-network sats, the canonical list and digest,
 * the ledger credits. Inconsistent block data (S ≠ subsidy(height), S + F < S) fails the
 * window: Core cannot say what its coinbase paid, so it credits nothing of it, and its
 * shares roll into the next calculated window like an orphan's (README "Window phases").
 */
export function calculateWindow(ctx: WindowContext, blockHash: string): "calculated" | "failed" | "skipped" {
  return ctx.repo.transaction(() => {
    const w = ctx.repo.findWindow(blockHash);
    if (w?.phase !== "Maturing") return "skipped";
    const at = ctx.now().toISOString();
    const expected = subsidy(w.height, ctx.network);
    if (w.subsidySats !== expected || w.coinbaseValueSats < w.subsidySats) {
      const reason =
        w.subsidySats !== expected
          ? `subsidy ${w.subsidySats} ≠ subsidy(${w.height}, ${ctx.network}) = ${expected}`
          : "coinbase value below the subsidy";
      ctx.repo.setPhase(blockHash, "Failed", at, reason);
      return "failed";
    }
    const orphans = ctx.repo.unrolledOrphansBefore(w.seq);
    const payout = calculatePayout({
      subsidySats: w.subsidySats,
      coinbaseValueSats: w.coinbaseValueSats,
      shares: sharesOf([w, ...orphans]),
      winnerDestination: w.winnerDestination,
      carriedNodeNetworkSats: ctx.repo.carryBefore(w.seq),
    });
    const list = canonicalPayoutList(w, payout);
    ctx.repo.setCalculated(
      blockHash,
      {
        carriedInSats: payout.carriedInSats,
        carriedForwardSats: payout.carriedForwardSats,
        recipientCount: payout.recipients.length,
        payoutDigest: payoutDigest(list),
        payoutList: list,
      },
      at,
    );
    ctx.repo.insertCredits(blockHash, payout.recipients);
    ctx.repo.setRolledInto(
      orphans.map((o) => o.blockHash),
      blockHash,
      at,
    );
    return "calculated";
  });
}

/** Σ open sats per recipient over every credit (the payout threshold applies to the sum). */
export function openBalances(repo: CoreRepository): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const c of repo.openCredits()) {
    if (c.kind === "treasury") continue;
    out.set(c.recipientId, (out.get(c.recipientId) ?? 0n) + c.openSats);
  }
  return out;
}

/**
 * Calculated/Paying windows with nothing in flight and nothing due become Settled. What
 * waits below the threshold is the recipient's ledger balance, no longer the window's.
 */
export function settleWindows(ctx: WindowContext): string[] {
  return ctx.repo.transaction(() => {
    const settled: string[] = [];
    const balances = openBalances(ctx.repo);
    for (const w of ctx.repo.listWindows({ phases: ["Calculated", "Paying"] })) {
      if (ctx.repo.windowMoney(w.blockHash).inFlightSats > 0n) continue;
      const due = ctx.repo
        .openCredits({ blockHash: w.blockHash })
        .some(
          (c) =>
            c.kind !== "treasury" &&
            c.openSats > 0n &&
            (balances.get(c.recipientId) ?? 0n) >= ctx.payoutThresholdSats,
        );
      if (due) continue;
      ctx.repo.setPhase(w.blockHash, "Settled", ctx.now().toISOString());
      settled.push(w.blockHash);
    }
    return settled;
  });
}
