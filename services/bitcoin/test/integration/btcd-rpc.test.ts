import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subsidy } from "@hyperhash/bitcoin";
import { type Btcd, SEGWIT_ACTIVATION_HEIGHT, startBtcd } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";

const test = anyTest as TestFn<{ btcd: Btcd; dir: string }>;

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-btcd-test-"));
  t.context = { dir, btcd: await startBtcd({ dir }) };
});

test.after.always(async (t) => {
  await t.context.btcd?.stop();
  rmSync(t.context.dir, { recursive: true, force: true });
});

test.serial("btcd regtest: segwit is active after BIP9 activation (getblockchaininfo)", async (t) => {
  const info = await t.context.btcd.rpc.getBlockchainInfo();
  t.is(info.chain, "regtest");
  t.true(info.blocks >= SEGWIT_ACTIVATION_HEIGHT);
  t.true(await t.context.btcd.rpc.isSegwitActive());
});

test.serial("BitcoinRpc.getBlockTemplate returns a template on the active-segwit tip", async (t) => {
  const { rpc } = t.context.btcd;
  const tip = await rpc.getBlockchainInfo();
  const template = await rpc.getBlockTemplate();
  t.is(template.height, tip.blocks + 1);
  t.is(template.previousblockhash, tip.bestblockhash);
  t.is(template.bits, "207fffff", "regtest proof-of-work limit");
  // An empty mempool: the coinbase value is the subsidy alone (regtest halves every 150 blocks).
  t.is(BigInt(template.coinbasevalue), subsidy(template.height, "regtest"));
});

test.serial("a block mined with generate becomes getbestblockhash", async (t) => {
  const { rpc } = t.context.btcd;
  const before = await rpc.getBlockCount();
  const hashes = await rpc.generate(1);
  t.is(hashes.length, 1);
  const hash = hashes[0]!;
  t.is(await rpc.getBestBlockHash(), hash);
  t.is(await rpc.getBlockCount(), before + 1);
  const block = await rpc.getBlock(hash);
  t.is(block.height, before + 1);
});

test.serial("the faucet spends a mature coinbase to an address and btcd confirms it", async (t) => {
  const { btcd } = t.context;
  const txid = await btcd.faucet.pay([{ address: btcd.faucet.address, sats: 123_456n }]);
  const [hash] = await btcd.mine(1);
  const block = await btcd.rpc.getBlock(hash!);
  t.true(block.tx.some((tx) => (typeof tx === "string" ? tx : tx.txid) === txid));
  const tx = await btcd.rpc.getRawTransaction(txid);
  t.is(BigInt(Math.round(tx.vout[0]!.value * 1e8)), 123_456n);
});

test.serial("BitcoinRpc rejects a bad call with the node's error, not a crash", async (t) => {
  const err = await t.throwsAsync(t.context.btcd.rpc.getBlockHash(10_000_000));
  t.is(err?.name, "BitcoinRpcError");
  t.notRegex(err?.message ?? "", new RegExp(t.context.btcd.rpcPassword));
});
