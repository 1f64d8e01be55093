/**
 * Coinbase helpers (BIP34, BIP141 commitment, SRI tag and limits), header assembly with
 * version rolling (BIP320), and block serialization for submitblock.
 */
import test from "ava";
import { merkleRootMatches, parseBlock, serializeBlock } from "../../src/block.ts";
import { fromHex, toHex } from "../../src/bytes.ts";
import {
  bip34HeightPush,
  buildCoinbase,
  CoinbaseError,
  type CoinbaseSpec,
  coinbaseJobParts,
  coinbaseLockConvention,
  parseBip34Height,
  poolMinerTag,
  withCoinbaseWitness,
  witnessCommitment,
  witnessCommitmentOutput,
} from "../../src/coinbase.ts";
import { hashFromDisplayHex } from "../../src/hash.ts";
import {
  assembleExtendedJob,
  checkShareVersion,
  extendedJobHeader,
  headerHashHex,
  parseHeader,
  rollVersion,
  serializeHeader,
} from "../../src/header.ts";
import { coinbaseMerklePath, merkleRoot } from "../../src/merkle.ts";
import {
  parseTransaction,
  serializeOutputs,
  serializeTransaction,
  txid,
  wtxid,
} from "../../src/transaction.ts";
import { GENESIS_COINBASE_HEX, GENESIS_HEADER } from "./mainnet-fixtures.ts";

test("BIP34 height push matches Bitcoin Core's CScript() << height", (t) => {
  const cases: [number, string][] = [
    [0, "00"],
    [1, "51"],
    [16, "60"],
    [17, "0111"],
    [127, "017f"],
    [128, "028000"],
    [159, "029f00"],
    [255, "02ff00"],
    [256, "020001"],
    [840_000, "0340d10c"],
    [8_388_608, "0400008000"],
  ];
  for (const [height, hex] of cases) {
    t.is(toHex(bip34HeightPush(height)), hex, `height ${height}`);
    t.is(parseBip34Height(fromHex(`${hex}00`)), height);
  }
  t.is(parseBip34Height(fromHex("029f0000")), 159);
  t.is(parseBip34Height(fromHex("5200")), 2);
  t.throws(() => parseBip34Height(fromHex("4c")), { instanceOf: CoinbaseError });
  t.throws(() => parseBip34Height(fromHex("0281")), { instanceOf: CoinbaseError });
});

test("BIP54-draft convention: nLockTime = height − 1, nSequence not final", (t) => {
  t.deepEqual(coinbaseLockConvention(159), { lockTime: 158, sequence: 0xfffffffe });
  t.deepEqual(coinbaseLockConvention(0), { lockTime: 0, sequence: 0xfffffffe });
});

test("witness commitment of an empty block is the one in the SRI vectors' template output", (t) => {
  const commitment = witnessCommitment([]);
  t.is(toHex(commitment), "e2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9");
  t.is(
    toHex(serializeOutputs([witnessCommitmentOutput(commitment)])),
    "0000000000000000266a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9",
  );
});

test("pool/miner tag is Sv2/<pool>/<miner>/ and capped at 61 bytes", (t) => {
  t.is(new TextDecoder().decode(poolMinerTag()), "Sv2///");
  t.is(new TextDecoder().decode(poolMinerTag("hyperhash", "node1")), "Sv2/hyperhash/node1/");
  t.is(poolMinerTag("a".repeat(55)).length, 61);
  t.throws(() => poolMinerTag("a".repeat(56)), { instanceOf: CoinbaseError });
});

const spec = (over: Partial<CoinbaseSpec["template"]> = {}, rewardValue = 5_000_000_000n): CoinbaseSpec => ({
  template: {
    coinbaseTxVersion: 2,
    coinbasePrefix: bip34HeightPush(159),
    coinbaseTxInputSequence: 0xfffffffe,
    coinbaseTxValueRemaining: 5_000_000_000n,
    coinbaseTxOutputsCount: 1,
    coinbaseTxOutputs: serializeOutputs([witnessCommitmentOutput(witnessCommitment([]))]),
    coinbaseTxLocktime: 158,
    ...over,
  },
  rewardOutputs: [
    { value: rewardValue, scriptPubKey: fromHex("0014ebe1b7dcc293ccaa0ee743a86f89df8258c208fc") },
  ],
  tag: poolMinerTag("hyperhash"),
});

test("coinbase refuses rewards above the value remaining, long scriptSigs and bad template outputs", (t) => {
  t.throws(() => buildCoinbase(spec({}, 5_000_000_001n), new Uint8Array(8)), { instanceOf: CoinbaseError });
  t.throws(() => buildCoinbase(spec(), new Uint8Array(33)), { instanceOf: CoinbaseError });
  // A 61-byte tag fits after a short BIP34 push, but a template prefix with extra bytes breaks 100.
  const longTag = {
    ...spec({ coinbasePrefix: fromHex("0400008000aabbcc") }),
    tag: poolMinerTag("p".repeat(40), "m".repeat(15)),
  };
  t.throws(() => buildCoinbase(longTag, new Uint8Array(32)), { message: /scriptSig/ });
  t.throws(() => buildCoinbase(spec({ coinbaseTxOutputsCount: 2 }), new Uint8Array(8)), {
    instanceOf: CoinbaseError,
  });
});

test("extended job: prefix ‖ extranonce ‖ suffix is the stripped coinbase; adding the witness gives the block coinbase", (t) => {
  const s = spec();
  const extranonce = fromHex(`00000001${"aa".repeat(16)}`);
  const parts = coinbaseJobParts(s, extranonce.length);
  const assembled = assembleExtendedJob(parts.coinbaseTxPrefix, extranonce, parts.coinbaseTxSuffix, []);
  const built = buildCoinbase(s, extranonce);
  t.is(toHex(assembled.coinbase), toHex(serializeTransaction(built, { witness: false })));
  t.deepEqual(assembled.coinbaseTxid, txid(built));
  const restored = withCoinbaseWitness(parseTransaction(assembled.coinbase));
  t.is(toHex(serializeTransaction(restored)), toHex(serializeTransaction(built)));
});

test("version rolling: (job & ~mask) | (bits & mask); SRI's share check", (t) => {
  t.is(rollVersion(0x20000000, 0x1fffe000), 0x3fffe000);
  t.is(rollVersion(0x20000000, 0xffffffff), 0x3fffe000);
  t.is(rollVersion(0x20000004, 0x00002000), 0x20002004);
  t.is(checkShareVersion(0x20000000, 0x201fffe0, true), "ok");
  t.is(checkShareVersion(0x20000000, 0x20000001, true), "invalid-non-rollable-version-bit");
  t.is(checkShareVersion(0x20000000, 0x20000020, false), "version-rolling-not-allowed");
  t.is(checkShareVersion(0x20000000, 0x20000000, false), "ok");
});

test("mainnet genesis: header hash, and the whole block re-serializes to 285 bytes", (t) => {
  const coinbase = parseTransaction(fromHex(GENESIS_COINBASE_HEX));
  const header = {
    ...GENESIS_HEADER,
    prevHash: new Uint8Array(32),
    merkleRoot: merkleRoot([txid(coinbase)]),
  };
  t.is(headerHashHex(header), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  t.deepEqual(parseHeader(serializeHeader(header)), header);
  const block = serializeBlock(header, coinbase);
  t.is(block.length, 285);
  const parsed = parseBlock(block);
  t.true(merkleRootMatches(parsed));
  t.is(toHex(serializeBlock(parsed.header, parsed.transactions[0]!)), toHex(block));
});

test("a block with a witness coinbase and template transactions round-trips for submitblock", (t) => {
  const other = parseTransaction(fromHex(GENESIS_COINBASE_HEX));
  const s = spec({
    coinbaseTxOutputs: serializeOutputs([witnessCommitmentOutput(witnessCommitment([wtxid(other)]))]),
  });
  const extranonce = new Uint8Array(20).fill(7);
  const parts = coinbaseJobParts(s, extranonce.length);
  const path = coinbaseMerklePath([txid(other)]);
  const header = extendedJobHeader(
    { prevHash: hashFromDisplayHex("00".repeat(32)), nBits: 0x207fffff },
    { coinbaseTxPrefix: parts.coinbaseTxPrefix, coinbaseTxSuffix: parts.coinbaseTxSuffix, merklePath: path },
    extranonce,
    { version: 0x20000000, ntime: 1_700_000_000, nonce: 1 },
  );
  const coinbase = buildCoinbase(s, extranonce);
  const block = serializeBlock(header, coinbase, [serializeTransaction(other)]);
  const parsed = parseBlock(block);
  t.true(merkleRootMatches(parsed));
  t.is(parsed.transactions.length, 2);
  t.is(parsed.transactions[0]!.inputs[0]!.witness.length, 1);
});
