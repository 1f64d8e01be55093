/**
 * Minimal Bitcoin transaction model: serialize and parse with or without the BIP144
 * witness encoding, txid and wtxid. Enough for coinbases and for carrying template
 * transactions into a block; signing lives in @scure/btc-signer, not here.
 */
import { ByteReader, concat, DecodeError, encodeCompactSize, u32le, u64le } from "./bytes.ts";
import { sha256d } from "./hash.ts";

/** One transaction input. */
export interface TxInput {
  /** Previous txid, internal byte order (32 zero bytes for a coinbase). */
  readonly prevTxid: Uint8Array;
  /** Previous output index (0xffffffff for a coinbase). */
  readonly prevIndex: number;
  /** Unlocking script (for a coinbase: BIP34 height, tag, extranonce). */
  readonly scriptSig: Uint8Array;
  /** nSequence. */
  readonly sequence: number;
  /** Witness stack items; empty when the input has no witness. */
  readonly witness: readonly Uint8Array[];
}

/** One transaction output. */
export interface TxOutput {
  /** Amount in satoshis. */
  readonly value: bigint;
  /** Locking script. */
  readonly scriptPubKey: Uint8Array;
}

/** A transaction. */
export interface Transaction {
  /** nVersion, as the u32 that is serialized (SRI treats it as i32 with the same bytes). */
  readonly version: number;
  /** Inputs in order. */
  readonly inputs: readonly TxInput[];
  /** Outputs in order. */
  readonly outputs: readonly TxOutput[];
  /** nLockTime. */
  readonly lockTime: number;
}

/** True when any input carries witness data (and so BIP144 serialization applies). */
export function hasWitness(tx: Transaction): boolean {
  return tx.inputs.some((input) => input.witness.length > 0);
}

/** Serializes one output: value (u64 LE) ‖ CompactSize script length ‖ script. */
export function serializeOutput(output: TxOutput): Uint8Array {
  return concat(u64le(output.value), encodeCompactSize(output.scriptPubKey.length), output.scriptPubKey);
}

/** Serializes outputs back to back with no count prefix (SV2 `coinbase_tx_outputs` layout). */
export function serializeOutputs(outputs: readonly TxOutput[]): Uint8Array {
  return concat(...outputs.map(serializeOutput));
}

function serializeInput(input: TxInput): Uint8Array {
  if (input.prevTxid.length !== 32) throw new RangeError("prevTxid must be 32 bytes");
  return concat(
    input.prevTxid,
    u32le(input.prevIndex),
    encodeCompactSize(input.scriptSig.length),
    input.scriptSig,
    u32le(input.sequence),
  );
}

function serializeWitness(items: readonly Uint8Array[]): Uint8Array {
  return concat(
    encodeCompactSize(items.length),
    ...items.flatMap((item) => [encodeCompactSize(item.length), item]),
  );
}

/**
 * Serializes `tx`. With `witness: true` (the default) and at least one witness, the
 * BIP144 form (marker 0x00, flag 0x01, witnesses before nLockTime) is produced, as
 * Bitcoin Core does; otherwise the legacy form that txids hash.
 */
export function serializeTransaction(tx: Transaction, options: { witness?: boolean } = {}): Uint8Array {
  const withWitness = (options.witness ?? true) && hasWitness(tx);
  return concat(
    u32le(tx.version),
    withWitness ? Uint8Array.of(0x00, 0x01) : new Uint8Array(0),
    encodeCompactSize(tx.inputs.length),
    ...tx.inputs.map(serializeInput),
    encodeCompactSize(tx.outputs.length),
    ...tx.outputs.map(serializeOutput),
    ...(withWitness ? tx.inputs.map((input) => serializeWitness(input.witness)) : []),
    u32le(tx.lockTime),
  );
}

/** txid: dSHA256 of the non-witness serialization, internal byte order. */
export function txid(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, { witness: false }));
}

/** wtxid: dSHA256 of the witness serialization, internal byte order (equals txid without witness). */
export function wtxid(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, { witness: true }));
}

/** Reads one output from `reader`. */
export function readOutput(reader: ByteReader): TxOutput {
  const value = reader.u64le();
  return { value, scriptPubKey: reader.varBytes() };
}

/**
 * Parses exactly `count` outputs laid back to back (SV2 `coinbase_tx_outputs`); trailing
 * bytes are refused because they would mean the count and the bytes disagree.
 */
export function parseOutputs(bytes: Uint8Array, count: number): TxOutput[] {
  const reader = new ByteReader(bytes);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < count; i++) outputs.push(readOutput(reader));
  if (reader.remaining !== 0) throw new DecodeError(`${reader.remaining} bytes after ${count} outputs`);
  return outputs;
}

function readInput(reader: ByteReader): TxInput {
  const prevTxid = reader.take(32);
  const prevIndex = reader.u32le();
  const scriptSig = reader.varBytes();
  return { prevTxid, prevIndex, scriptSig, sequence: reader.u32le(), witness: [] };
}

/**
 * Reads one transaction from `reader`, accepting both serializations as Bitcoin Core
 * does: a zero input count is the BIP144 marker, the flag must be 1, and a witness
 * section whose stacks are all empty is refused ("superfluous witness record").
 */
export function readTransaction(reader: ByteReader): Transaction {
  const version = reader.u32le();
  let segwit = false;
  if (reader.peek() === 0x00) {
    reader.u8();
    const flag = reader.u8();
    if (flag !== 0x01) throw new DecodeError(`unknown transaction flag ${flag}`);
    segwit = true;
  }
  // Counts are bounded by the bytes left, so a hostile count cannot allocate without limit.
  const inputCount = reader.compactSize(reader.remaining);
  let inputs = Array.from({ length: inputCount }, () => readInput(reader));
  const outputCount = reader.compactSize(reader.remaining);
  const outputs = Array.from({ length: outputCount }, () => readOutput(reader));
  if (segwit) {
    inputs = inputs.map((input) => {
      const items = reader.compactSize(reader.remaining);
      return { ...input, witness: Array.from({ length: items }, () => reader.varBytes()) };
    });
    if (!inputs.some((input) => input.witness.length > 0))
      throw new DecodeError("superfluous witness record");
  }
  return { version, inputs, outputs, lockTime: reader.u32le() };
}

/** Parses a whole transaction; trailing bytes are an error (consensus `deserialize` semantics). */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const reader = new ByteReader(bytes);
  const tx = readTransaction(reader);
  if (reader.remaining !== 0) throw new DecodeError(`${reader.remaining} trailing bytes after transaction`);
  return tx;
}
