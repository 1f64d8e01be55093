import {
  bip34HeightPush,
  buildCoinbase,
  hashFromDisplayHex,
  merkleRootMatches,
  parseBlock,
  parseOutputs,
  poolMinerTag,
  serializeTransaction,
  targetFromU256LE,
  txid,
  witnessCommitment,
  witnessCommitmentOutput,
  wtxid,
} from "@hyperhash/bitcoin";
import { decodeMessage, encodeMessage } from "@hyperhash/sv2";
import test from "ava";
import {
  assembleSolutionBlock,
  candidateFromTemplate,
  createTemplateBook,
  fitToConstraints,
  MAX_BLOCK_WEIGHT,
  newTemplateMessage,
  RESERVED_BLOCK_WEIGHT,
  setNewPrevHashMessage,
  templateVariant,
} from "../../src/index.ts";
import { nodeTemplate, parentAndChild } from "./fixtures.ts";

const { parent, child } = parentAndChild();
const template = nodeTemplate([
  { tx: parent, fee: 10_000 },
  { tx: child, fee: 3_000 },
]);
const SMALL = { maxAdditionalSize: 100, maxAdditionalSigops: 400 };

test("candidate: txids, wtxids, weights and in-template parents come from the transaction bytes", (t) => {
  const c = candidateFromTemplate(template);
  t.is(c.transactions.length, 2);
  t.deepEqual(c.transactions[0]!.txid, txid(parent));
  t.deepEqual(c.transactions[1]!.wtxid, wtxid(child));
  t.deepEqual(c.transactions[1]!.parents, [c.transactions[0]!.txidHex], "the child names its parent");
  const stripped = serializeTransaction(parent, { witness: false }).length;
  t.is(c.transactions[0]!.weight, stripped * 3 + serializeTransaction(parent).length);
  t.is(c.headerTimestamp, template.mintime, "header_timestamp is raised to mintime (MTP + 1)");
  t.is(c.coinbaseValue, 312_513_000n);
});

test("§7.2 NewTemplate: BIP34-only prefix, witness commitment over the wtxids, value = subsidy + fees", (t) => {
  const c = candidateFromTemplate(template);
  const v = templateVariant(7n, c, fitToConstraints(c, SMALL));
  const m = newTemplateMessage(v, true);
  t.deepEqual(m.coinbasePrefix, bip34HeightPush(500));
  t.is(m.coinbaseTxLocktime, 499, "BIP54-draft convention: height − 1");
  t.is(m.coinbaseTxInputSequence, 0xffff_fffe);
  t.is(m.coinbaseTxValueRemaining, 312_513_000n);
  const outputs = parseOutputs(m.coinbaseTxOutputs, m.coinbaseTxOutputsCount);
  t.deepEqual(outputs, [witnessCommitmentOutput(witnessCommitment([wtxid(parent), wtxid(child)]))]);
  t.is(m.merklePath.length, 2);
  const decoded = decodeMessage(encodeMessage(m));
  t.deepEqual(decoded, m, "round-trips through the SV2 codec");
});

test("§7.3 SetNewPrevHash: prev hash in header byte order, target U256 LE, id of the variant", (t) => {
  const c = candidateFromTemplate(template);
  const v = templateVariant(9n, c, fitToConstraints(c, SMALL));
  const m = setNewPrevHashMessage(v);
  t.is(m.templateId, 9n);
  t.deepEqual(m.prevHash, hashFromDisplayHex(template.previousblockhash));
  t.is(m.nBits, 0x207fffff);
  t.is(targetFromU256LE(m.target), BigInt(`0x${template.target}`));
});

test("§7.1 constraints: a pool that needs the whole block gets no transactions and loses their fees", (t) => {
  const c = candidateFromTemplate(template);
  const huge = {
    maxAdditionalSize: Math.floor((MAX_BLOCK_WEIGHT - RESERVED_BLOCK_WEIGHT) / 4),
    maxAdditionalSigops: 0,
  };
  const fitted = fitToConstraints(c, huge);
  t.is(fitted.transactions.length, 0);
  t.is(fitted.dropped, 2);
  t.is(fitted.coinbaseValue, 312_500_000n);
});

test("§7.1 constraints: a dropped parent takes its child along (sigops budget)", (t) => {
  const c = candidateFromTemplate(
    nodeTemplate([
      { tx: parent, fee: 10_000, sigops: 79_000 },
      { tx: child, fee: 3_000, sigops: 1 },
    ]),
  );
  const fitted = fitToConstraints(c, { maxAdditionalSize: 0, maxAdditionalSigops: 1_500 });
  t.deepEqual(fitted.transactions, [], "the child alone would fit, but not without its parent");
  t.is(fitted.coinbaseValue, 312_500_000n);
  t.is(fitToConstraints(c, SMALL).transactions.length, 2, "400 sigops leave room for both");
});

test("§7.7 SubmitSolution: the assembled block has the client's coinbase, the template's txs, a matching merkle root", (t) => {
  const c = candidateFromTemplate(template);
  const v = templateVariant(1n, c, fitToConstraints(c, SMALL));
  const nt = newTemplateMessage(v, false);
  const coinbase = buildCoinbase(
    {
      template: nt,
      rewardOutputs: [{ value: nt.coinbaseTxValueRemaining, scriptPubKey: Uint8Array.of(0x51) }],
      tag: poolMinerTag("t"),
    },
    new Uint8Array(8),
  );
  const solution = {
    templateId: 1n,
    version: 0x2000_0000,
    headerTimestamp: c.headerTimestamp,
    headerNonce: 42,
    coinbaseTx: serializeTransaction(coinbase),
  };
  const assembled = assembleSolutionBlock(v, solution);
  if (!assembled.ok) return t.fail(assembled.detail);
  const block = parseBlock(Buffer.from(assembled.blockHex, "hex"));
  t.true(merkleRootMatches(block));
  t.is(block.transactions.length, 3);
  t.is(block.header.nonce, 42);
  t.deepEqual(serializeTransaction(block.transactions[2]!), serializeTransaction(child));

  const noCommitment = buildCoinbase(
    {
      template: { ...nt, coinbaseTxOutputsCount: 0, coinbaseTxOutputs: new Uint8Array(0) },
      rewardOutputs: [],
      tag: poolMinerTag("t"),
    },
    new Uint8Array(8),
  );
  const missing = assembleSolutionBlock(v, { ...solution, coinbaseTx: serializeTransaction(noCommitment) });
  t.like(missing, { ok: false, reason: "missing-template-output" });
  t.like(assembleSolutionBlock(v, { ...solution, coinbaseTx: Uint8Array.of(1, 2, 3) }), {
    ok: false,
    reason: "invalid-coinbase",
  });
  t.like(assembleSolutionBlock(v, { ...solution, coinbaseTx: serializeTransaction(parent) }), {
    ok: false,
    reason: "invalid-coinbase",
  });
});

test("template ids: unique and increasing, shared by equal constraints, stale after a new tip, unknown beyond", (t) => {
  const book = createTemplateBook({ keepEditions: 2 });
  t.is(book.variantFor(SMALL), null, "nothing before the first template");
  const c = candidateFromTemplate(template);
  book.publish(c);
  const a = book.variantFor(SMALL)!;
  t.is(book.variantFor({ ...SMALL })!.id, a.id, "same constraints, same template");
  const b = book.variantFor({ maxAdditionalSize: 5_000, maxAdditionalSigops: 400 })!;
  t.true(b.id > a.id);
  t.like(book.lookup(a.id), { kind: "current" });
  book.publish({ ...c, prevHash: "22".repeat(32) });
  const next = book.variantFor(SMALL)!;
  t.true(next.id > b.id);
  t.like(book.lookup(a.id), { kind: "stale" });
  book.publish({ ...c, prevHash: "33".repeat(32) });
  t.deepEqual(
    book.lookup(a.id),
    { kind: "stale", variant: null },
    "dropped from memory: still known as stale",
  );
  t.deepEqual(book.lookup(next.id + 100n), { kind: "unknown" });
  t.deepEqual(book.lookup(0n), { kind: "unknown" });
});
