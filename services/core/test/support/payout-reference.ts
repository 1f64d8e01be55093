/**
 * ARCHITECTURE.md "Economics of one payout window", stated as plainly as bigint code allows:
 * the oracle calculatePayout's fast paths (64-bit lanes, partial selection of remainders,
 * native sorts) are checked against. No lane, no approximation, no shortcut.
 */
import type { Payout, PayoutInput, PayoutRecipient, RecipientKind } from "../../src/payout.ts";

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** floor(A·w/W) each; the A − Σ floor sats left one each to the largest A·w mod W, ties by id bytes. */
function split(amount: bigint, weights: Map<string, bigint>): Map<string, bigint> {
  let total = 0n;
  for (const w of weights.values()) total += w;
  const parts = [...weights].map(([id, w]) => ({
    id,
    share: (amount * w) / total,
    rest: (amount * w) % total,
  }));
  let left = amount - parts.reduce((sum, p) => sum + p.share, 0n);
  parts.sort((p, q) => (p.rest === q.rest ? byBytes(p.id, q.id) : p.rest > q.rest ? -1 : 1));
  for (const p of parts) {
    if (left === 0n) break;
    p.share += 1n;
    left -= 1n;
  }
  return new Map(parts.map((p) => [p.id, p.share]));
}

/** The payout of one window, by the design's text. */
export function referencePayout(input: PayoutInput): Payout {
  const S = input.subsidySats;
  const F = input.coinbaseValueSats - S;
  const P = S / 100n;
  const T = P / 2n;
  const N = P - T;
  const minerWork = new Map<string, bigint>();
  const nodeWork = new Map<string, bigint>();
  const add = (m: Map<string, bigint>, id: string, w: bigint) => m.set(id, (m.get(id) ?? 0n) + w);
  for (const s of input.shares) {
    if (s.work < 0n) throw new RangeError("share work is negative");
    if (s.work === 0n) continue;
    add(minerWork, `miner:${s.destination}`, s.work);
    if (s.nodeId !== null) add(nodeWork, `node:${s.nodeId}`, s.work);
  }
  const amounts = new Map<string, { kind: RecipientKind; amount: bigint }>();
  const credit = (id: string, kind: RecipientKind, amount: bigint) => {
    const e = amounts.get(id) ?? { kind, amount: 0n };
    e.amount += amount;
    amounts.set(id, e);
  };
  const winner = `miner:${input.winnerDestination}`;
  if (minerWork.size === 0) credit(winner, "miner", S - P);
  else for (const [id, a] of split(S - P, minerWork)) credit(id, "miner", a);
  credit(winner, "miner", F);
  credit("treasury", "treasury", T);
  const nodePool = N + input.carriedNodeNetworkSats;
  if (nodeWork.size > 0) for (const [id, a] of split(nodePool, nodeWork)) credit(id, "node", a);
  const recipients: PayoutRecipient[] = [...amounts]
    .filter(([, e]) => e.amount > 0n)
    .map(([recipientId, e]) => ({ recipientId, kind: e.kind, amountSats: e.amount }))
    .sort((a, b) => byBytes(a.recipientId, b.recipientId));
  return {
    subsidySats: S,
    feesSats: F,
    poolFeeSats: P,
    treasurySats: T,
    nodeNetworkSats: N,
    carriedInSats: input.carriedNodeNetworkSats,
    carriedForwardSats: nodeWork.size > 0 ? 0n : nodePool,
    recipients,
  };
}
