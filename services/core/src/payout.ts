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
  const approx: number[] = new Array(ids.length);
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
  if (left > 0) {
    const compareIds = byteOrderComparator(ids);
    const order = Array.from(ids.keys()).sort((p, q) => {
      const x = approx[p] as number;
      const y = approx[q] as number;
      if (x !== y) return y - x;
      const rp = remainders[p] as bigint;
      const rq = remainders[q] as bigint;
      if (rp !== rq) return rp > rq ? -1 : 1;
      return compareIds(ids[p] as string, ids[q] as string);
    });
    for (let k = 0; k < left; k++) {
      const j = order[k] as number;
      shares[j] = (shares[j] as bigint) + 1n;
    }
  }
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

/**
 * The work of one destination: the part that came directly and the parts through nodes.
 * A destination almost always comes through one way only, so the first node is kept in
 * fields and only a destination seen through several nodes gets a map.
 */
interface DestinationWork {
  direct: bigint;
  nodeId: string | null;
  viaNode: bigint;
  otherNodes: Map<string, bigint> | null;
}

/** Adds `work` that came through `nodeId` to `d`. */
function addNodeWork(d: DestinationWork, nodeId: string, work: bigint): void {
  if (d.nodeId === nodeId) d.viaNode += work;
  else if (d.nodeId === null) {
    d.nodeId = nodeId;
    d.viaNode = work;
  } else {
    d.otherNodes ??= new Map();
    d.otherNodes.set(nodeId, (d.otherNodes.get(nodeId) ?? 0n) + work);
  }
}

/** Recipient weights of miners and nodes, with their totals, from the per-destination sums. */
function weightsOf(byDestination: Readonly<Record<string, DestinationWork>>) {
  const minerWeights = new Map<string, bigint>();
  const nodeWeights = new Map<string, bigint>();
  let minerTotal = 0n;
  let nodeTotal = 0n;
  const addNode = (nodeId: string, w: bigint) => {
    if (w === 0n) return;
    const id = nodeRecipientId(nodeId);
    nodeWeights.set(id, (nodeWeights.get(id) ?? 0n) + w);
    nodeTotal += w;
  };
  for (const destination in byDestination) {
    const d = byDestination[destination] as DestinationWork;
    let w = d.direct;
    if (d.nodeId !== null) {
      addNode(d.nodeId, d.viaNode);
      w += d.viaNode;
    }
    if (d.otherNodes !== null)
      for (const [nodeId, v] of d.otherNodes) {
        addNode(nodeId, v);
        w += v;
      }
    if (w === 0n) continue;
    minerWeights.set(minerRecipientId(destination), w);
    minerTotal += w;
  }
  return { minerWeights, nodeWeights, minerTotal, nodeTotal };
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

  // Hot loop (1 M entries in the benchmark): one lookup and one bigint addition per share,
  // keyed by the raw destination (no string is built per share; grouping by destination is
  // grouping by `miner:<destination>`). Recipient ids and totals are made per recipient after.
  // A null-prototype object, not a Map: V8 looks string keys up in it faster (measured), and
  // without a prototype no destination can name an inherited property.
  const byDestination: Record<string, DestinationWork | undefined> = Object.create(null);
  const shares = input.shares;
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i] as ShareTotal;
    const w = s.work;
    if (w <= 0n) {
      if (w < 0n) throw new RangeError("share work is negative");
      continue;
    }
    let d = byDestination[s.destination];
    if (d === undefined) {
      d = { direct: 0n, nodeId: null, viaNode: 0n, otherNodes: null };
      byDestination[s.destination] = d;
    }
    if (s.nodeId === null) d.direct += w;
    else addNodeWork(d, s.nodeId, w);
  }
  const { minerWeights, nodeWeights, minerTotal, nodeTotal } = weightsOf(
    byDestination as Record<string, DestinationWork>,
  );

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

  const compareIds = byteOrderComparator(amounts.keys());
  const recipients = [...amounts]
    .filter(([, e]) => e.amount > 0n)
    .map(([recipientId, e]) => ({ recipientId, kind: e.kind, amountSats: e.amount }))
    .sort((a, b) => compareIds(a.recipientId, b.recipientId));
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
