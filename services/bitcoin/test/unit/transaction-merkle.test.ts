/** Transactions (legacy and BIP144 serialization, txid/wtxid) and merkle trees/paths (BIP141, SV2 merkle_path). */
import test from "ava";
import fc from "fast-check";
import { concat, DecodeError, fromHex, toHex } from "../../src/bytes.ts";
import { hashToDisplayHex, sha256d } from "../../src/hash.ts";
import { coinbaseMerklePath, merkleRoot, merkleRootFromPath } from "../../src/merkle.ts";
import {
  hasWitness,
  parseOutputs,
  parseTransaction,
  serializeOutputs,
  serializeTransaction,
  type Transaction,
  txid,
  wtxid,
} from "../../src/transaction.ts";
import { GENESIS_COINBASE_HEX } from "./mainnet-fixtures.ts";

test("genesis coinbase parses, re-serializes identically and has the known txid", (t) => {
  const tx = parseTransaction(fromHex(GENESIS_COINBASE_HEX));
  t.is(tx.inputs.length, 1);
  t.is(tx.outputs[0]?.value, 5_000_000_000n);
  t.is(toHex(serializeTransaction(tx)), GENESIS_COINBASE_HEX);
  t.is(hashToDisplayHex(txid(tx)), "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  t.deepEqual(wtxid(tx), txid(tx));
});

test("a witness coinbase: txid hashes the stripped form, wtxid the BIP144 form", (t) => {
  const stripped = parseTransaction(fromHex(GENESIS_COINBASE_HEX));
  const withWitness: Transaction = {
    ...stripped,
    inputs: [{ ...stripped.inputs[0]!, witness: [new Uint8Array(32)] }],
  };
  const bytes = serializeTransaction(withWitness);
  t.is(toHex(bytes.subarray(4, 6)), "0001");
  t.deepEqual(txid(withWitness), txid(stripped));
  t.notDeepEqual(wtxid(withWitness), txid(withWitness));
  t.deepEqual(parseTransaction(bytes), withWitness);
  t.deepEqual(serializeTransaction(withWitness, { witness: false }), serializeTransaction(stripped));
});

test("parse refuses trailing bytes, truncation, unknown flags and superfluous witness records", (t) => {
  const good = fromHex(GENESIS_COINBASE_HEX);
  t.throws(() => parseTransaction(concat(good, Uint8Array.of(0))), { instanceOf: DecodeError });
  t.throws(() => parseTransaction(good.subarray(0, good.length - 1)), { instanceOf: DecodeError });
  const flag2 = concat(good.subarray(0, 4), Uint8Array.of(0, 2), good.subarray(4));
  t.throws(() => parseTransaction(flag2), { instanceOf: DecodeError });
  const tx = parseTransaction(good);
  const emptyWitness = concat(
    good.subarray(0, 4),
    Uint8Array.of(0, 1),
    serializeTransaction(tx).subarray(4, good.length - 4),
    Uint8Array.of(0),
    good.subarray(good.length - 4),
  );
  t.throws(() => parseTransaction(emptyWitness), { message: /superfluous/ });
});

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const arbTx: fc.Arbitrary<Transaction> = fc.record({
  version: fc.nat({ max: 0xffffffff }),
  inputs: fc.array(
    fc.record({
      prevTxid: bytes32,
      prevIndex: fc.nat({ max: 0xffffffff }),
      scriptSig: fc.uint8Array({ maxLength: 300 }),
      sequence: fc.nat({ max: 0xffffffff }),
      witness: fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  outputs: fc.array(
    fc.record({
      value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
      scriptPubKey: fc.uint8Array({ maxLength: 300 }),
    }),
    { maxLength: 4 },
  ),
  lockTime: fc.nat({ max: 0xffffffff }),
});

test("property: serialize → parse round-trips, with and without witness", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(arbTx, (tx) => {
        const parsed = parseTransaction(serializeTransaction(tx));
        const stripped = parseTransaction(serializeTransaction(tx, { witness: false }));
        const noWitness = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
        return (
          toHex(serializeTransaction(parsed)) === toHex(serializeTransaction(tx)) &&
          hasWitness(parsed) === hasWitness(tx) &&
          toHex(serializeTransaction(stripped)) === toHex(serializeTransaction(noWitness)) &&
          toHex(txid(parsed)) === toHex(txid(tx))
        );
      }),
    ),
  );
});

test("property: template outputs round-trip without a count prefix", (t) => {
  fc.assert(
    fc.property(arbTx, (tx) => {
      const parsed = parseOutputs(serializeOutputs(tx.outputs), tx.outputs.length);
      return toHex(serializeOutputs(parsed)) === toHex(serializeOutputs(tx.outputs));
    }),
  );
  t.throws(() => parseOutputs(fromHex("00"), 0), { instanceOf: DecodeError });
});

test("merkle root: single leaf is itself, odd levels duplicate the last node", (t) => {
  const a = sha256d(Uint8Array.of(1));
  const b = sha256d(Uint8Array.of(2));
  const c = sha256d(Uint8Array.of(3));
  t.deepEqual(merkleRoot([a]), a);
  t.deepEqual(merkleRoot([a, b]), sha256d(concat(a, b)));
  const ab = sha256d(concat(a, b));
  const cc = sha256d(concat(c, c));
  t.deepEqual(merkleRoot([a, b, c]), sha256d(concat(ab, cc)));
  t.deepEqual(coinbaseMerklePath([]), []);
  t.deepEqual(coinbaseMerklePath([b, c]), [b, cc]);
  t.throws(() => merkleRoot([]));
});

test("merkle root of mainnet block 100,000 (4 transactions)", (t) => {
  const txids = [
    "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
  ].map((h) => fromHex(h).reverse());
  t.is(
    hashToDisplayHex(merkleRoot(txids)),
    "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
  );
  t.is(
    hashToDisplayHex(merkleRootFromPath(txids[0]!, coinbaseMerklePath(txids.slice(1)))),
    "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
  );
});

test("property: root from the coinbase path equals the root of the full list", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(bytes32, fc.array(bytes32, { maxLength: 40 }), (coinbase, others) => {
        const path = coinbaseMerklePath(others);
        return toHex(merkleRootFromPath(coinbase, path)) === toHex(merkleRoot([coinbase, ...others]));
      }),
    ),
  );
});
