/**
 * Coinbase construction as SRI's JobFactory does it, so jobs and shares hash the same
 * on both sides of an SV2 connection:
 *
 *   scriptSig = template.coinbase_prefix ‖ push("Sv2/<pool>/<miner>/") ‖ push(full extranonce)
 *   outputs   = pool reward outputs, then the template's outputs
 *   witness   = one item of 32 zero bytes (the witness reserved value)
 *
 * Extended jobs get the non-witness serialization split around the extranonce
 * (`coinbase_tx_prefix` / `coinbase_tx_suffix`, also SV1's coinb1/coinb2).
 */
import { concat, fromHex, toHex } from "./bytes.ts";
import { sha256d } from "./hash.ts";
import { merkleRoot } from "./merkle.ts";
import { parseOutputs, serializeTransaction, type Transaction, type TxOutput } from "./transaction.ts";

/** Error for a coinbase that cannot be built (limits or value checks); the job must not be sent. */
export class CoinbaseError extends Error {
  override readonly name = "CoinbaseError";
}

/** Longest full extranonce SV2 allows. */
export const MAX_EXTRANONCE_SIZE = 32;
/** Longest pool/miner tag SRI accepts (100 − 5 BIP34 − 1 push − 33 extranonce push). */
export const MAX_POOL_MINER_TAG_SIZE = 61;
/** Consensus bounds of a coinbase scriptSig. */
export const COINBASE_SCRIPT_SIG_MIN = 2;
/** Consensus bounds of a coinbase scriptSig. */
export const COINBASE_SCRIPT_SIG_MAX = 100;
/** nSequence of the BIP54-draft convention SRI follows: anything but final, so nLockTime is enforced. */
export const COINBASE_SEQUENCE_CONVENTION = 0xffff_fffe;
/** The witness reserved value SRI always puts in the coinbase witness. */
export const WITNESS_RESERVED_VALUE: Uint8Array = new Uint8Array(32);

/** The coinbase fields of an SV2 NewTemplate. */
export interface CoinbaseTemplate {
  /** `coinbase_tx_version`. */
  readonly coinbaseTxVersion: number;
  /** `coinbase_prefix`: the start of the scriptSig (the BIP34 height push). */
  readonly coinbasePrefix: Uint8Array;
  /** `coinbase_tx_input_sequence`. */
  readonly coinbaseTxInputSequence: number;
  /** `coinbase_tx_value_remaining`: subsidy + fees, in satoshis. */
  readonly coinbaseTxValueRemaining: bigint;
  /** `coinbase_tx_outputs_count`. */
  readonly coinbaseTxOutputsCount: number;
  /** `coinbase_tx_outputs`: serialized outputs, no count prefix (carries the witness commitment). */
  readonly coinbaseTxOutputs: Uint8Array;
  /** `coinbase_tx_locktime`. */
  readonly coinbaseTxLocktime: number;
}

/** What a coinbase is built from. */
export interface CoinbaseSpec {
  /** The template's coinbase fields. */
  readonly template: CoinbaseTemplate;
  /** Pool payout outputs, placed before the template's; their sum may not exceed the value remaining. */
  readonly rewardOutputs: readonly TxOutput[];
  /** The tag bytes pushed after the prefix, normally `poolMinerTag(pool, miner)`. */
  readonly tag: Uint8Array;
}

/** `Sv2/<pool>/<miner>/` as SRI writes it; missing tags keep their delimiters (`Sv2///`). */
export function poolMinerTag(poolTag = "", minerTag = ""): Uint8Array {
  const tag = new TextEncoder().encode(`Sv2/${poolTag}/${minerTag}/`);
  if (tag.length > MAX_POOL_MINER_TAG_SIZE) {
    throw new CoinbaseError(`pool/miner tag is ${tag.length} bytes, at most ${MAX_POOL_MINER_TAG_SIZE}`);
  }
  return tag;
}

/**
 * The BIP34 height push as Bitcoin Core writes `CScript() << height`: OP_0 for 0,
 * OP_1..OP_16 for 1..16, else a minimal little-endian script number.
 */
export function bip34HeightPush(height: number): Uint8Array {
  if (!Number.isSafeInteger(height) || height < 0)
    throw new RangeError(`height ${height} is not a block height`);
  if (height === 0) return Uint8Array.of(0x00);
  if (height <= 16) return Uint8Array.of(0x50 + height);
  const bytes: number[] = [];
  for (let n = height; n > 0; n = Math.floor(n / 256)) bytes.push(n % 256);
  // A set top bit would read as negative; script numbers then need a 0x00 sign byte.
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** The block height a coinbase scriptSig (or a template `coinbase_prefix`) commits to by BIP34. */
export function parseBip34Height(scriptSig: Uint8Array): number {
  const op = scriptSig[0];
  if (op === undefined) throw new CoinbaseError("empty scriptSig has no BIP34 height");
  if (op === 0x00) return 0;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 0x01 || op > 0x08 || scriptSig.length < 1 + op)
    throw new CoinbaseError(`no BIP34 height push (0x${op.toString(16)})`);
  const bytes = scriptSig.subarray(1, 1 + op);
  if ((bytes[op - 1]! & 0x80) !== 0) throw new CoinbaseError("negative BIP34 height");
  let height = 0;
  for (let i = op - 1; i >= 0; i--) height = height * 256 + bytes[i]!;
  if (!Number.isSafeInteger(height)) throw new CoinbaseError("BIP34 height out of range");
  return height;
}

/** nLockTime and nSequence of the BIP54-draft convention for a coinbase at `height`. */
export function coinbaseLockConvention(height: number): { lockTime: number; sequence: number } {
  return { lockTime: Math.max(0, height - 1), sequence: COINBASE_SEQUENCE_CONVENTION };
}

/** The witness merkle root over wtxids, the coinbase's counted as 32 zero bytes (BIP141). */
export function witnessMerkleRoot(otherWtxids: readonly Uint8Array[]): Uint8Array {
  return merkleRoot([new Uint8Array(32), ...otherWtxids]);
}

/** The witness commitment: dSHA256(witness merkle root ‖ witness reserved value). */
export function witnessCommitment(
  otherWtxids: readonly Uint8Array[],
  reservedValue: Uint8Array = WITNESS_RESERVED_VALUE,
): Uint8Array {
  return sha256d(concat(witnessMerkleRoot(otherWtxids), reservedValue));
}

/** The zero-value `OP_RETURN aa21a9ed‖commitment` output a block with witnesses must carry. */
export function witnessCommitmentOutput(commitment: Uint8Array): TxOutput {
  if (commitment.length !== 32) throw new RangeError("witness commitment must be 32 bytes");
  return { value: 0n, scriptPubKey: concat(fromHex("6a24aa21a9ed"), commitment) };
}

function scriptSigFor(spec: CoinbaseSpec, extranonce: Uint8Array): Uint8Array {
  const { tag } = spec;
  if (tag.length < 1 || tag.length > MAX_POOL_MINER_TAG_SIZE) {
    throw new CoinbaseError(`tag is ${tag.length} bytes, must be 1..${MAX_POOL_MINER_TAG_SIZE}`);
  }
  if (extranonce.length > MAX_EXTRANONCE_SIZE) {
    throw new CoinbaseError(`extranonce is ${extranonce.length} bytes, at most ${MAX_EXTRANONCE_SIZE}`);
  }
  // Lengths up to 75 are their own push opcode, which both pushes here always are.
  const scriptSig = concat(
    spec.template.coinbasePrefix,
    Uint8Array.of(tag.length),
    tag,
    Uint8Array.of(extranonce.length),
    extranonce,
  );
  if (scriptSig.length < COINBASE_SCRIPT_SIG_MIN || scriptSig.length > COINBASE_SCRIPT_SIG_MAX) {
    throw new CoinbaseError(`coinbase scriptSig would be ${scriptSig.length} bytes (consensus: 2..100)`);
  }
  return scriptSig;
}

/**
 * The coinbase transaction (with its 32-zero-byte witness) for `spec` and a full
 * extranonce (channel prefix ‖ miner part). Throws `CoinbaseError` if the reward outputs
 * exceed the value remaining, the scriptSig breaks consensus limits, or the template
 * outputs do not parse as `coinbase_tx_outputs_count` outputs.
 */
export function buildCoinbase(spec: CoinbaseSpec, extranonce: Uint8Array): Transaction {
  const { template } = spec;
  let rewardSum = 0n;
  for (const output of spec.rewardOutputs) {
    if (output.value < 0n) throw new CoinbaseError("negative reward output");
    rewardSum += output.value;
  }
  if (rewardSum > template.coinbaseTxValueRemaining) {
    throw new CoinbaseError(
      `reward outputs pay ${rewardSum} sat, template leaves ${template.coinbaseTxValueRemaining}`,
    );
  }
  let templateOutputs: TxOutput[];
  try {
    templateOutputs = parseOutputs(template.coinbaseTxOutputs, template.coinbaseTxOutputsCount);
  } catch (err) {
    throw new CoinbaseError(`template coinbase outputs: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    version: template.coinbaseTxVersion,
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        prevIndex: 0xffff_ffff,
        scriptSig: scriptSigFor(spec, extranonce),
        sequence: template.coinbaseTxInputSequence,
        witness: [WITNESS_RESERVED_VALUE],
      },
    ],
    outputs: [...spec.rewardOutputs, ...templateOutputs],
    lockTime: template.coinbaseTxLocktime,
  };
}

/** The extended-job view of a coinbase: non-witness bytes before and after the full extranonce. */
export interface CoinbaseJobParts {
  /** `coinbase_tx_prefix` (SV1 coinb1): version through the extranonce push opcode. */
  readonly coinbaseTxPrefix: Uint8Array;
  /** `coinbase_tx_suffix` (SV1 coinb2): nSequence through nLockTime. */
  readonly coinbaseTxSuffix: Uint8Array;
}

/**
 * Splits the BIP141-stripped serialization around a `fullExtranonceSize`-byte extranonce,
 * as NewExtendedMiningJob carries it. The scriptSig is at most 100 bytes, so its length
 * prefix is always one byte and the extranonce sits right before nSequence.
 */
export function coinbaseJobParts(spec: CoinbaseSpec, fullExtranonceSize: number): CoinbaseJobParts {
  if (!Number.isInteger(fullExtranonceSize) || fullExtranonceSize < 0) {
    throw new CoinbaseError(`bad extranonce size ${fullExtranonceSize}`);
  }
  const placeholder = new Uint8Array(fullExtranonceSize);
  const tx = buildCoinbase(spec, placeholder);
  const bytes = serializeTransaction(tx, { witness: false });
  const scriptSig = tx.inputs[0]!.scriptSig;
  const scriptEnd = 4 + 1 + 32 + 4 + 1 + scriptSig.length;
  const extranonceStart = scriptEnd - fullExtranonceSize;
  return { coinbaseTxPrefix: bytes.slice(0, extranonceStart), coinbaseTxSuffix: bytes.slice(scriptEnd) };
}

/** Gives an (e.g. reassembled, stripped) coinbase the witness reserved value, as SubmitSolution and blocks need. */
export function withCoinbaseWitness(
  coinbase: Transaction,
  reservedValue = WITNESS_RESERVED_VALUE,
): Transaction {
  const [first, ...rest] = coinbase.inputs;
  if (!first || rest.length > 0) throw new CoinbaseError("a coinbase has exactly one input");
  return { ...coinbase, inputs: [{ ...first, witness: [reservedValue] }] };
}

/** Hex of the template outputs as SV2 carries them (no count), for logs and fixtures. */
export function templateOutputsHex(template: CoinbaseTemplate): string {
  return toHex(template.coinbaseTxOutputs);
}
