/**
 * The exact payout calculation of one window (ARCHITECTURE.md "Economics of one payout
 * window"). Pure: bigint in, bigint out, no clock, no I/O.
 */

/** Pool fee P = floor(S / POOL_FEE_DIVISOR): 1 %. A constant of the design, not a setting. */
export const POOL_FEE_DIVISOR = 100n;
/** Treasury T = floor(P / TREASURY_DIVISOR); the node network gets N = P − T. */
export const TREASURY_DIVISOR = 2n;
/** The single recipient id of the Core Treasury. */
export const TREASURY_RECIPIENT_ID = "treasury";

/** Who receives a part of a window. */
export type RecipientKind = "miner" | "node" | "treasury";

/** A miner's recipient id: `miner:<payout destination>` (all workers of one destination are one recipient). */
export const minerRecipientId = (destination: string): string => `miner:${destination}`;
/** A HyperNode's recipient id: `node:<node id>`. */
export const nodeRecipientId = (nodeId: string): string => `node:${nodeId}`;

/** The work of accepted shares of one (destination, node) pair in a window. */
export interface ShareTotal {
  destination: string;
  /** The HyperNode the shares came through, or null for a miner connected directly. */
  nodeId: string | null;
  /** Σ work(target) of the accepted shares. */
  work: bigint;
}

/** What the calculation needs of one window. */
export interface PayoutInput {
  /** S = subsidy(height, network). */
  subsidySats: bigint;
  /** S + F, the template's `coinbase_tx_value_remaining`. */
  coinbaseValueSats: bigint;
  shares: readonly ShareTotal[];
  /** The payout destination of the miner who submitted the block-solving share. */
  winnerDestination: string;
  /** Node-network sats carried from earlier windows that had no HyperNode shares. */
  carriedNodeNetworkSats: bigint;
}

/** One line of the payout list. */
export interface PayoutRecipient {
  recipientId: string;
  kind: RecipientKind;
  amountSats: bigint;
}

/** The frozen result: totals and the recipients with a positive amount, in canonical order. */
export interface Payout {
  subsidySats: bigint;
  feesSats: bigint;
  poolFeeSats: bigint;
  treasurySats: bigint;
  /** N of this window (P − T), before the carry. */
  nodeNetworkSats: bigint;
  carriedInSats: bigint;
  /** N + carried-in when no share came through a HyperNode, else 0. */
  carriedForwardSats: bigint;
  /** Sorted by recipient id in ascending UTF-8 byte order; zero amounts are left out. */
  recipients: PayoutRecipient[];
}

/**
 * Compares two strings by their UTF-8 bytes (which is code point order). JavaScript's `<`
 * compares UTF-16 code units, which disagrees for code points above U+FFFF versus
 * U+E000–U+FFFF; the remap below fixes exactly that case without encoding.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return remapCodeUnit(x) - remapCodeUnit(y);
  }
  return a.length - b.length;
}

function remapCodeUnit(c: number): number {
  if (c >= 0xd800 && c < 0xe000) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}

/**
 * Splits `amount` over `weights` (sum W > 0): each gets floor(A·w/W); the A − Σ floor sats
 * left go one each to the largest remainders (A·w mod W), ties by id in ascending byte order.
 */
export function splitByWeight(amount: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  if (amount < 0n) throw new RangeError("split: amount is negative");
  let total = 0n;
  for (const w of weights.values()) {
    if (w < 0n) throw new RangeError("split: weight is negative");
    total += w;
  }
  if (total === 0n) throw new RangeError("split: weights sum to zero");
  const parts: { id: string; share: bigint; remainder: bigint }[] = [];
  let assigned = 0n;
  for (const [id, w] of weights) {
    const product = amount * w;
    const share = product / total;
    assigned += share;
    parts.push({ id, share, remainder: product % total });
  }
  const left = Number(amount - assigned); // < number of parts, so a small integer
  if (left > 0) {
    parts.sort((p, q) =>
      p.remainder === q.remainder ? compareUtf8(p.id, q.id) : p.remainder > q.remainder ? -1 : 1,
    );
    for (let i = 0; i < left; i++) (parts[i] as { share: bigint }).share += 1n;
  }
  return new Map(parts.map((p) => [p.id, p.share]));
}

function checkInput(input: PayoutInput): void {
  if (input.subsidySats < 0n) throw new RangeError("subsidy is negative");
  if (input.coinbaseValueSats < input.subsidySats)
    throw new RangeError("coinbase value is below the subsidy");
  if (input.carriedNodeNetworkSats < 0n) throw new RangeError("carried node-network sats are negative");
  if (input.winnerDestination.length === 0) throw new RangeError("winner destination is empty");
  for (const s of input.shares) if (s.work < 0n) throw new RangeError("share work is negative");
}

/**
 * The payout of one window. Parts (plus the carry forward) add up to S + F + carried-in
 * exactly. If no miner weight exists at all, the miners' part goes to the winner, the only
 * miner the window knows.
 */
export function calculatePayout(input: PayoutInput): Payout {
  checkInput(input);
  const S = input.subsidySats;
  const F = input.coinbaseValueSats - S;
  const P = S / POOL_FEE_DIVISOR;
  const T = P / TREASURY_DIVISOR;
  const N = P - T;
  const winnerId = minerRecipientId(input.winnerDestination);

  const minerWeights = new Map<string, bigint>();
  const nodeWeights = new Map<string, bigint>();
  let minerTotal = 0n;
  let nodeTotal = 0n;
  for (const s of input.shares) {
    if (s.work === 0n) continue;
    const m = minerRecipientId(s.destination);
    minerWeights.set(m, (minerWeights.get(m) ?? 0n) + s.work);
    minerTotal += s.work;
    if (s.nodeId !== null) {
      const n = nodeRecipientId(s.nodeId);
      nodeWeights.set(n, (nodeWeights.get(n) ?? 0n) + s.work);
      nodeTotal += s.work;
    }
  }

  const amounts = new Map<string, { kind: RecipientKind; amount: bigint }>();
  const credit = (id: string, kind: RecipientKind, amount: bigint) => {
    const entry = amounts.get(id);
    if (entry) entry.amount += amount;
    else amounts.set(id, { kind, amount });
  };
  const minersPart = S - P;
  if (minerTotal === 0n) credit(winnerId, "miner", minersPart);
  else for (const [id, a] of splitByWeight(minersPart, minerWeights)) credit(id, "miner", a);
  credit(winnerId, "miner", F);
  credit(TREASURY_RECIPIENT_ID, "treasury", T);

  const nodePool = N + input.carriedNodeNetworkSats;
  let carriedForwardSats = 0n;
  if (nodeTotal === 0n) carriedForwardSats = nodePool;
  else for (const [id, a] of splitByWeight(nodePool, nodeWeights)) credit(id, "node", a);

  const recipients = [...amounts]
    .filter(([, e]) => e.amount > 0n)
    .map(([recipientId, e]) => ({ recipientId, kind: e.kind, amountSats: e.amount }))
    .sort((a, b) => compareUtf8(a.recipientId, b.recipientId));
  return {
    subsidySats: S,
    feesSats: F,
    poolFeeSats: P,
    treasurySats: T,
    nodeNetworkSats: N,
    carriedInSats: input.carriedNodeNetworkSats,
    carriedForwardSats,
    recipients,
  };
}
