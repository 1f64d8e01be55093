/**
 * From a node's getblocktemplate to the Template Distribution messages (sv2-spec §7.2, §7.3).
 * Pure: no RPC, no clock.
 *
 * What SRI's pool needs and nodes do not always give (SV2-NOTES "Interoperating with SRI"):
 * the witness commitment output is always in `coinbase_tx_outputs`, computed here from the
 * template's wtxids (btcd omits `default_witness_commitment` without witness transactions,
 * yet SRI pools give every coinbase a witness), and `coinbase_prefix` is the BIP34 push alone.
 */
import {
  type BlockTemplate,
  bip34HeightPush,
  coinbaseLockConvention,
  coinbaseMerklePath,
  fromHex,
  hashFromDisplayHex,
  hashToDisplayHex,
  parseTransaction,
  serializeOutputs,
  serializeTransaction,
  type TxOutput,
  targetToU256LE,
  txid,
  witnessCommitment,
  witnessCommitmentOutput,
  wtxid,
} from "@hyperhash/bitcoin";
import type { MessageOf } from "@hyperhash/sv2";

/** BIP141 consensus limits, used when the node does not state its own. */
export const MAX_BLOCK_WEIGHT = 4_000_000;
/** BIP141 consensus sigop-cost limit. */
export const MAX_BLOCK_SIGOPS_COST = 80_000;
/** Coinbase transaction version the templates name (BIP68 needs ≥ 2 for the convention). */
export const COINBASE_TX_VERSION = 2;

/** One non-coinbase transaction of a template. */
export interface TemplateTx {
  /** Serialized transaction, with witness where it has one (as blocks carry it). */
  readonly data: Uint8Array;
  /** Internal-order txid (merkle leaves). */
  readonly txid: Uint8Array;
  /** Display-order txid hex, as RPC names transactions. */
  readonly txidHex: string;
  /** Internal-order wtxid (witness commitment leaves). */
  readonly wtxid: Uint8Array;
  /** BIP141 weight. */
  readonly weight: number;
  /** Sigop cost as the node reported it (or an upper-bound estimate). */
  readonly sigopCost: number;
  /** Fee in sats; null when the node did not say (such a transaction is never dropped). */
  readonly fee: bigint | null;
  /** Display txids of parents earlier in the same template (a child may not outlive them). */
  readonly parents: readonly string[];
}

/** A node template, parsed and checked once, shared by every client variant. */
export interface BlockCandidate {
  /** Display-order hash of the block this template builds on. */
  readonly prevHash: string;
  readonly height: number;
  /** Header nVersion as u32. */
  readonly version: number;
  readonly nBits: number;
  readonly target: bigint;
  /** ≥ the node's mintime (MTP + 1): header_timestamp of SetNewPrevHash. */
  readonly headerTimestamp: number;
  /** Subsidy + fees of `transactions` in sats (getblocktemplate `coinbasevalue`). */
  readonly coinbaseValue: bigint;
  readonly transactions: readonly TemplateTx[];
  readonly weightLimit: number;
  readonly sigopLimit: number;
}

/** Parses one template transaction; `earlier` holds the display txids already in the block. */
export function templateTx(
  dataHex: string,
  fee: number | bigint | null | undefined,
  sigopCost: number,
  earlier: ReadonlySet<string>,
): TemplateTx {
  const data = fromHex(dataHex);
  const tx = parseTransaction(data);
  const id = txid(tx);
  const txidHex = hashToDisplayHex(id);
  const stripped = serializeTransaction(tx, { witness: false }).length;
  const parents = new Set<string>();
  for (const input of tx.inputs) {
    const parent = hashToDisplayHex(input.prevTxid);
    if (earlier.has(parent)) parents.add(parent);
  }
  return {
    data,
    txid: id,
    txidHex,
    wtxid: wtxid(tx),
    weight: stripped * 3 + data.length,
    sigopCost,
    fee: fee === null || fee === undefined ? null : BigInt(fee),
    parents: [...parents],
  };
}

/** Builds the candidate from getblocktemplate; throws on transactions that do not parse. */
export function candidateFromTemplate(template: BlockTemplate): BlockCandidate {
  const seen = new Set<string>();
  const transactions = template.transactions.map((t) => {
    const parsed = templateTx(t.data, t.fee, t.sigops ?? 0, seen);
    seen.add(parsed.txidHex);
    return parsed;
  });
  return {
    prevHash: template.previousblockhash.toLowerCase(),
    height: template.height,
    version: template.version >>> 0,
    nBits: Number.parseInt(template.bits, 16),
    target: BigInt(`0x${template.target}`),
    headerTimestamp: Math.max(template.curtime, template.mintime),
    coinbaseValue: BigInt(template.coinbasevalue),
    transactions,
    weightLimit: template.weightlimit ?? MAX_BLOCK_WEIGHT,
    sigopLimit: template.sigoplimit ?? MAX_BLOCK_SIGOPS_COST,
  };
}

/** CoinbaseOutputConstraints of one client (sv2-spec §7.1). */
export interface CoinbaseConstraints {
  readonly maxAdditionalSize: number;
  readonly maxAdditionalSigops: number;
}

/**
 * Weight the block keeps for the header, the transaction count and a coinbase at its
 * largest before the pool's outputs: 100-byte scriptSig (consensus cap), the commitment
 * output, witness with the 32-byte reserved value.
 */
export const RESERVED_BLOCK_WEIGHT =
  80 * 4 + 5 * 4 + (4 + 1 + 32 + 4 + 1 + 100 + 4 + 3 + 47 + 4) * 4 + (2 + 1 + 1 + 32);

/** The transaction set a client's constraints allow, and what it pays. */
export interface FittedTransactions {
  readonly transactions: readonly TemplateTx[];
  readonly coinbaseValue: bigint;
  /** Transactions left out to make room (0 when the node's set fits). */
  readonly dropped: number;
  /** False when the set does not fit and could not be cut (a fee was unknown). */
  readonly fits: boolean;
}

/**
 * Applies a client's constraints: the pool's added outputs count as non-witness bytes
 * (4 weight units each) and its sigops come off the block's budget. Transactions are kept
 * in the node's order while they fit; one that does not fit is dropped with every
 * descendant, and its fee leaves `coinbase_tx_value_remaining`.
 */
export function fitToConstraints(candidate: BlockCandidate, c: CoinbaseConstraints): FittedTransactions {
  let weightLeft = candidate.weightLimit - RESERVED_BLOCK_WEIGHT - c.maxAdditionalSize * 4;
  let sigopsLeft = candidate.sigopLimit - c.maxAdditionalSigops;
  const kept: TemplateTx[] = [];
  const keptIds = new Set<string>();
  let value = candidate.coinbaseValue;
  let dropped = 0;
  for (const tx of candidate.transactions) {
    const parentsKept = tx.parents.every((p) => keptIds.has(p));
    if (parentsKept && tx.weight <= weightLeft && tx.sigopCost <= sigopsLeft) {
      kept.push(tx);
      keptIds.add(tx.txidHex);
      weightLeft -= tx.weight;
      sigopsLeft -= tx.sigopCost;
      continue;
    }
    if (tx.fee === null) {
      return {
        transactions: candidate.transactions,
        coinbaseValue: candidate.coinbaseValue,
        dropped: 0,
        fits: false,
      };
    }
    value -= tx.fee;
    dropped++;
  }
  return { transactions: kept, coinbaseValue: value, dropped, fits: true };
}

/** One template as a client sees it: a candidate cut to that client's constraints, with its id. */
export interface TemplateVariant {
  readonly id: bigint;
  readonly candidate: BlockCandidate;
  readonly transactions: readonly TemplateTx[];
  /** `coinbase_tx_value_remaining`: subsidy + fees of `transactions`, minus what the outputs carry (0). */
  readonly coinbaseValue: bigint;
  /** The outputs the coinbase must carry: the witness commitment, value 0. */
  readonly coinbaseOutputs: readonly TxOutput[];
  /** Coinbase merkle path over `transactions`. */
  readonly merklePath: readonly Uint8Array[];
}

/** Builds a variant: merkle path and witness commitment over the fitted transaction set. */
export function templateVariant(
  id: bigint,
  candidate: BlockCandidate,
  fitted: FittedTransactions,
): TemplateVariant {
  const commitment = witnessCommitment(fitted.transactions.map((t) => t.wtxid));
  return {
    id,
    candidate,
    transactions: fitted.transactions,
    coinbaseValue: fitted.coinbaseValue,
    coinbaseOutputs: [witnessCommitmentOutput(commitment)],
    merklePath: coinbaseMerklePath(fitted.transactions.map((t) => t.txid)),
  };
}

/** §7.2 NewTemplate for a variant; `future` for a template that waits for its SetNewPrevHash. */
export function newTemplateMessage(v: TemplateVariant, future: boolean): MessageOf<"NewTemplate"> {
  const { height } = v.candidate;
  const lock = coinbaseLockConvention(height);
  const carried = v.coinbaseOutputs.reduce((sum, o) => sum + o.value, 0n);
  return {
    type: "NewTemplate",
    templateId: v.id,
    futureTemplate: future,
    version: v.candidate.version,
    coinbaseTxVersion: COINBASE_TX_VERSION,
    coinbasePrefix: bip34HeightPush(height),
    coinbaseTxInputSequence: lock.sequence,
    coinbaseTxValueRemaining: v.coinbaseValue - carried,
    coinbaseTxOutputsCount: v.coinbaseOutputs.length,
    coinbaseTxOutputs: serializeOutputs(v.coinbaseOutputs),
    coinbaseTxLocktime: lock.lockTime,
    merklePath: [...v.merklePath],
  };
}

/** §7.3 SetNewPrevHash (TDP) naming the variant's id; target as U256 LE. */
export function setNewPrevHashMessage(v: TemplateVariant): MessageOf<"SetNewPrevHashTdp"> {
  return {
    type: "SetNewPrevHashTdp",
    templateId: v.id,
    prevHash: hashFromDisplayHex(v.candidate.prevHash),
    headerTimestamp: v.candidate.headerTimestamp,
    nBits: v.candidate.nBits,
    target: targetToU256LE(v.candidate.target),
  };
}

/** Sum of the fees of a transaction set (unknown fees count 0). */
export function totalFees(transactions: readonly TemplateTx[]): bigint {
  return transactions.reduce((sum, t) => sum + (t.fee ?? 0n), 0n);
}
