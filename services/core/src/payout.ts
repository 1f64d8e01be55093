/**
 * The exact payout calculation of one window (ARCHITECTURE.md "Economics of one payout
 * window"). Pure: bigint in, bigint out, no clock, no I/O.
 */
import { tallyWeights } from "./work-tally.ts";

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

/** Native comparison: UTF-16 code-unit order, which is byte order below U+D800. */
const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** A code unit at or above the surrogates (U+D800), where UTF-16 order leaves byte order. */
const AT_OR_ABOVE_SURROGATES = /[\ud800-\uffff]/;

/**
 * The byte-order comparator for a set of ids: the native one when no id has a code unit at
 * or above U+D800 (UTF-16 order is then UTF-8 byte order), else {@link compareUtf8}. One
 * check per id instead of a JavaScript loop per comparison (10 k recipients sort ~140 k times).
 */
export function byteOrderComparator(ids: Iterable<string>): (a: string, b: string) => number {
  for (const id of ids) if (AT_OR_ABOVE_SURROGATES.test(id)) return compareUtf8;
  return compareCodeUnits;
}

/**
 * The indices of the `count` largest remainders, ties by id in ascending byte order: the first
 * `count` of the order (approximation desc, remainder desc, id asc) without sorting all of it.
 * The count-th largest approximation x comes from a native sort of the Float64Array; every
 * index above x is in, and only the indices at x are ordered exactly (usually one).
 */
function largestRemainders(
  ids: readonly string[],
  remainders: readonly bigint[],
  approx: Float64Array,
  count: number,
): number[] {
  const x = approx.slice().sort()[approx.length - count] as number;
  const chosen: number[] = [];
  const atX: number[] = [];
  for (let j = 0; j < approx.length; j++) {
    const a = approx[j] as number;
    if (a > x) chosen.push(j);
    else if (a === x) atX.push(j);
  }
  // Fewer than `count` are above x (x is the count-th largest): the rest come from those at x.
  const compareIds = byteOrderComparator(atX.map((j) => ids[j] as string));
  atX.sort((p, q) => {
    const rp = remainders[p] as bigint;
    const rq = remainders[q] as bigint;
    if (rp !== rq) return rp > rq ? -1 : 1;
    return compareIds(ids[p] as string, ids[q] as string);
  });
  for (let k = 0; chosen.length < count; k++) chosen.push(atX[k] as number);
  return chosen;
}

/**
 * Sorts distinct ids in ascending byte order, in place: with the engine's own string order
 * (UTF-16 code units, no comparator called per comparison) when that is byte order.
 */
function sortByteOrder(ids: string[]): string[] {
  const compare = byteOrderComparator(ids);
  return compare === compareUtf8 ? ids.sort(compareUtf8) : ids.sort();
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
  const ids = [...weights.keys()];
  const shares: bigint[] = new Array(ids.length);
  const remainders: bigint[] = new Array(ids.length);
  // Number(r) is monotonic in r, so it orders remainders exactly wherever it differs; only
  // equal approximations fall back to the bigint comparison.
  const approx = new Float64Array(ids.length);
  let assigned = 0n;
  let i = 0;
  for (const w of weights.values()) {
    const product = amount * w;
    const share = product / total;
    const remainder = product - share * total;
    shares[i] = share;
    remainders[i] = remainder;
    approx[i] = Number(remainder);
    assigned += share;
    i++;
  }
  const left = Number(amount - assigned); // < number of parts, so a small integer
  if (left > 0)
    for (const j of largestRemainders(ids, remainders, approx, left)) shares[j] = (shares[j] as bigint) + 1n;
  const out = new Map<string, bigint>();
  for (let k = 0; k < ids.length; k++) out.set(ids[k] as string, shares[k] as bigint);
  return out;
}

function checkInput(input: PayoutInput): void {
  if (input.subsidySats < 0n) throw new RangeError("subsidy is negative");
  if (input.coinbaseValueSats < input.subsidySats)
    throw new RangeError("coinbase value is below the subsidy");
  if (input.carriedNodeNetworkSats < 0n) throw new RangeError("carried node-network sats are negative");
  if (input.winnerDestination.length === 0) throw new RangeError("winner destination is empty");
}

/** What each recipient is credited, by recipient id. */
type Amounts = Map<string, { kind: RecipientKind; amount: bigint }>;

// A module function, not a closure per call: V8 would deoptimise calculatePayout at every
// window for a new closure where it had inlined the last one.
function credit(amounts: Amounts, id: string, kind: RecipientKind, amount: bigint): void {
  const entry = amounts.get(id);
  if (entry) entry.amount += amount;
  else amounts.set(id, { kind, amount });
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

  const { minerWeights, nodeWeights, minerTotal, nodeTotal } = tallyWeights(
    input.shares,
    minerRecipientId,
    nodeRecipientId,
  );

  const amounts: Amounts = new Map();
  const minersPart = S - P;
  if (minerTotal === 0n) credit(amounts, winnerId, "miner", minersPart);
  else for (const [id, a] of splitByWeight(minersPart, minerWeights)) credit(amounts, id, "miner", a);
  credit(amounts, winnerId, "miner", F);
  credit(amounts, TREASURY_RECIPIENT_ID, "treasury", T);

  const nodePool = N + input.carriedNodeNetworkSats;
  let carriedForwardSats = 0n;
  if (nodeTotal === 0n) carriedForwardSats = nodePool;
  else for (const [id, a] of splitByWeight(nodePool, nodeWeights)) credit(amounts, id, "node", a);

  const ids: string[] = [];
  for (const [id, e] of amounts) if (e.amount > 0n) ids.push(id);
  sortByteOrder(ids);
  const recipients = ids.map((recipientId): PayoutRecipient => {
    const e = amounts.get(recipientId) as { kind: RecipientKind; amount: bigint };
    return { recipientId, kind: e.kind, amountSats: e.amount };
  });
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
