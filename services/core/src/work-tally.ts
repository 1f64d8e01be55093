/**
 * The weights of one window (ARCHITECTURE.md "Economics of one payout window"): w(m), the work
 * of each miner's accepted shares, and w(n), the work of the shares that came through each
 * HyperNode — exact sums of bigint work, in one pass over the share totals.
 */
import type { ShareTotal } from "./payout.ts";

/** Recipient weights of miners and nodes (positive only), keyed by recipient id, with their sums. */
export interface WindowWeights {
  minerWeights: Map<string, bigint>;
  nodeWeights: Map<string, bigint>;
  minerTotal: bigint;
  nodeTotal: bigint;
}

/** 2^63: a lane's unit of wrap, and the bound of the work a lane takes. */
const TOP_BIT = 1n << 63n;
const INITIAL_SLOTS = 4096;

/**
 * Exact per-destination sums without a heap bigint per share. A lane is `lo` (a BigUint64Array
 * element, kept below 2^63) plus `wraps` × 2^63: after each addition of a work w < 2^63 the sum
 * is below 2^64 (no overflow is possible), and a set top bit is moved into `wraps`. The sum is
 * exactly wraps·2^63 + lo; wraps ≤ the number of shares < 2^53, so a Float64Array counts it
 * exactly. V8 (Node 20) compiles `BigInt.asUintN(64, a + b)` on typed-array elements to a
 * machine add, but boxes a heap bigint for any comparison of such a value: the top bit is
 * therefore read, and cleared, as a Number through a Uint32Array over the same bytes. A share
 * then costs no allocation, where a heap-bigint sum per share and its garbage were about half
 * the benchmark's time (an engine without that optimisation computes the same sums, slower).
 * Work of 2^63 or more (share difficulty ≥ 2^31) takes the exact bigint path instead, and
 * negative work is refused there.
 */
interface Lanes {
  lo: BigUint64Array;
  /** `lo`'s bytes as 32-bit words: the high word of slot j is `words[2j + HIGH_WORD]`. */
  words: Uint32Array;
  wraps: Float64Array;
}

/** Where the high 32 bits of a 64-bit element sit in its two words (byte order of the platform). */
const HIGH_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
const TOP_BIT_OF_WORD = 0x8000_0000;

function lanes(n: number): Lanes {
  const lo = new BigUint64Array(n);
  return { lo, words: new Uint32Array(lo.buffer), wraps: new Float64Array(n) };
}

function grown(l: Lanes, n: number): Lanes {
  const g = lanes(n);
  g.lo.set(l.lo);
  g.wraps.set(l.wraps);
  return g;
}

/** wraps·2^63 + lo of slot `j`. */
function laneSum(l: Lanes, j: number): bigint {
  const lo = l.lo[j] as bigint;
  const wraps = l.wraps[j] as number;
  return wraps === 0 ? lo : BigInt(wraps) * TOP_BIT + lo;
}

/** Whether `w` is in [0, 2^63): a 64-bit value with the top bit clear. */
const isNarrow = (w: bigint): boolean =>
  BigInt.asUintN(64, w) === w && BigInt.asUintN(64, w & TOP_BIT) === 0n;

const addTo = (m: Map<string, bigint>, key: string, w: bigint) => m.set(key, (m.get(key) ?? 0n) + w);

/** Per-destination sums: slot j is `destinations[j]`. */
interface Tally {
  slotOf: Record<string, number | undefined>;
  destinations: string[];
  /** The first node each destination came through (null: none yet). */
  firstNode: (string | null)[];
  /** All work of the destination. */
  total: Lanes;
  /** Its work through firstNode. */
  viaFirst: Lanes;
  /** Work of 2^63 or more, by slot. */
  wideTotal: Map<number, bigint>;
  /** Node id → work that is in no viaFirst lane. */
  byOtherNode: Map<string, bigint>;
}

function newSlot(tally: Tally, destination: string): number {
  const j = tally.destinations.length;
  if (j === tally.total.lo.length) {
    tally.total = grown(tally.total, 2 * j);
    tally.viaFirst = grown(tally.viaFirst, 2 * j);
  }
  tally.slotOf[destination] = j;
  tally.destinations.push(destination);
  tally.firstNode.push(null);
  return j;
}

/** The exact path: work of 2^63 or more. */
function addWide(tally: Tally, j: number, nodeId: string | null, w: bigint): void {
  tally.wideTotal.set(j, (tally.wideTotal.get(j) ?? 0n) + w);
  if (nodeId !== null) addTo(tally.byOtherNode, nodeId, w);
}

/**
 * The one pass over the shares (1 M in the benchmark): a lookup and 64-bit adds
 * per share. Only the loop lives here so that V8 optimises it alone; rare paths are calls.
 */
function accumulate(shares: readonly ShareTotal[], tally: Tally): void {
  const slotOf = tally.slotOf;
  const firstNode = tally.firstNode;
  let total = tally.total;
  let viaFirst = tally.viaFirst;
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i] as ShareTotal;
    const w = s.work;
    if (w === 0n) continue;
    const narrow = isNarrow(w);
    if (!narrow && w < 0n) throw new RangeError("share work is negative");
    let j = slotOf[s.destination];
    if (j === undefined) {
      j = newSlot(tally, s.destination);
      total = tally.total;
      viaFirst = tally.viaFirst;
    }
    const node = s.nodeId;
    if (!narrow) {
      addWide(tally, j, node, w);
      continue;
    }
    // Written out, not a function of a lane: V8 keeps the 64-bit values in registers only
    // within one function (a call would box them into heap bigints).
    total.lo[j] = BigInt.asUintN(64, (total.lo[j] as bigint) + w);
    const k = 2 * j + HIGH_WORD;
    const high = total.words[k] as number;
    if (high >= TOP_BIT_OF_WORD) {
      total.words[k] = high - TOP_BIT_OF_WORD;
      total.wraps[j] = (total.wraps[j] as number) + 1;
    }
    if (node === null) continue;
    const first = firstNode[j];
    if (first === node || first === null) {
      firstNode[j] = node;
      viaFirst.lo[j] = BigInt.asUintN(64, (viaFirst.lo[j] as bigint) + w);
      const via = viaFirst.words[k] as number;
      if (via >= TOP_BIT_OF_WORD) {
        viaFirst.words[k] = via - TOP_BIT_OF_WORD;
        viaFirst.wraps[j] = (viaFirst.wraps[j] as number) + 1;
      }
    } else addTo(tally.byOtherNode, node, w);
  }
}

/**
 * w(m) and w(n) of a window; `recipientOfMiner` / `recipientOfNode` name the recipients.
 * A destination almost always comes through one way only, so each destination keeps the first
 * node it came through in its slot (a string comparison per share, no second lookup); shares
 * of a destination through any other node, and work of 2^63 or more, are summed in bigint maps.
 */
export function tallyWeights(
  shares: readonly ShareTotal[],
  recipientOfMiner: (destination: string) => string,
  recipientOfNode: (nodeId: string) => string,
): WindowWeights {
  const capacity = Math.max(1, Math.min(shares.length, INITIAL_SLOTS));
  const tally: Tally = {
    // A null-prototype object, not a Map: V8 looks string keys up in it faster (measured), and
    // without a prototype no destination can name an inherited property.
    slotOf: Object.create(null),
    destinations: [],
    firstNode: [],
    total: lanes(capacity),
    viaFirst: lanes(capacity),
    wideTotal: new Map(),
    byOtherNode: new Map(),
  };
  accumulate(shares, tally);
  return weightsOf(tally, recipientOfMiner, recipientOfNode);
}

function weightsOf(
  tally: Tally,
  recipientOfMiner: (destination: string) => string,
  recipientOfNode: (nodeId: string) => string,
): WindowWeights {
  const { destinations, firstNode, total, viaFirst, wideTotal } = tally;
  const minerWeights = new Map<string, bigint>();
  const nodeWork = new Map<string, bigint>(); // node id → work
  let minerTotal = 0n;
  for (let j = 0; j < destinations.length; j++) {
    const w = laneSum(total, j) + (wideTotal.get(j) ?? 0n);
    const node = firstNode[j];
    if (node != null) addTo(nodeWork, node, laneSum(viaFirst, j));
    minerWeights.set(recipientOfMiner(destinations[j] as string), w);
    minerTotal += w;
  }
  if (tally.byOtherNode.size > 0) for (const [node, w] of tally.byOtherNode) addTo(nodeWork, node, w);
  const nodeWeights = new Map<string, bigint>();
  let nodeTotal = 0n;
  for (const [node, w] of nodeWork) {
    if (w === 0n) continue;
    nodeWeights.set(recipientOfNode(node), w);
    nodeTotal += w;
  }
  return { minerWeights, nodeWeights, minerTotal, nodeTotal };
}
