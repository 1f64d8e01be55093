import {
  fromHex,
  hashToDisplayHex,
  parseTransaction,
  serializeTransaction,
  toHex,
  txid,
} from "@hyperhash/bitcoin";
import test from "ava";
import {
  candidateFromTemplate,
  estimateSigopCost,
  type MempoolTxCache,
  topUpFromMempool,
} from "../../src/index.ts";
import { nodeTemplate, parentAndChild, spend } from "./fixtures.ts";

const { parent, child } = parentAndChild();
const other = spend(new Uint8Array(32).fill(9), 1, 50_000n, 3);
const id = (tx: Parameters<typeof txid>[0]) => hashToDisplayHex(txid(tx));

/** btcd's getrawmempool true / getrawtransaction answers for a set of transactions (BTC floats). */
function node(entries: { tx: Parameters<typeof txid>[0]; feeSats: number; depends?: string[] }[]) {
  const calls: string[] = [];
  const call = async (method: string, params: unknown[]) => {
    calls.push(method);
    if (method === "getrawmempool") {
      return Object.fromEntries(
        entries.map((e) => [id(e.tx), { fee: e.feeSats / 1e8, size: 200, depends: e.depends ?? [] }]),
      );
    }
    const found = entries.find((e) => id(e.tx) === params[0]);
    return found ? toHex(serializeTransaction(found.tx)) : null;
  };
  return { call, calls };
}

test("btcd top-up: mempool transactions btcd's cached template lacks are added, parents before children", async (t) => {
  const candidate = candidateFromTemplate(nodeTemplate([]));
  const { call, calls } = node([
    { tx: child, feeSats: 9_000, depends: [id(parent)] },
    { tx: parent, feeSats: 1_000 },
    { tx: other, feeSats: 4_000 },
  ]);
  const cache: MempoolTxCache = new Map();
  const topped = await topUpFromMempool(candidate, call, cache);
  const order = topped.transactions.map((x) => x.txidHex);
  t.deepEqual([...order].sort(), [id(parent), id(child), id(other)].sort());
  t.true(order.indexOf(id(parent)) < order.indexOf(id(child)), "the child never precedes its parent");
  t.is(topped.coinbaseValue, candidate.coinbaseValue + 14_000n, "fees join coinbase_tx_value_remaining");
  const fetched = calls.filter((c) => c === "getrawtransaction").length;
  await topUpFromMempool(candidate, call, cache);
  t.is(calls.filter((c) => c === "getrawtransaction").length, fetched, "each transaction is fetched once");
});

test("btcd top-up: a template transaction that left the mempool is removed with its fee", async (t) => {
  const candidate = candidateFromTemplate(nodeTemplate([{ tx: other, fee: 4_000 }]));
  const topped = await topUpFromMempool(candidate, node([]).call, new Map());
  t.deepEqual(topped.transactions, []);
  t.is(topped.coinbaseValue, candidate.coinbaseValue - 4_000n);
  const unchanged = await topUpFromMempool(candidate, node([{ tx: other, feeSats: 4_000 }]).call, new Map());
  t.is(unchanged, candidate, "nothing to change: the same candidate");
});

test("sigop cost estimate is an upper bound for common scripts (BIP141 cost units)", (t) => {
  t.is(estimateSigopCost(parent), 1, "P2WPKH spend: 1");
  const bareMultisig = {
    ...parent,
    outputs: [{ value: 1n, scriptPubKey: fromHex(`5121${"02".repeat(33)}21${"03".repeat(33)}52ae`) }],
  };
  t.is(estimateSigopCost(bareMultisig), 1 + 20 * 4, "bare multisig output: counted as 20 legacy sigops");
  const p2pkh = parseTransaction(
    fromHex(
      `0100000001${"00".repeat(32)}000000006a47${"30".repeat(71)}21${"02".repeat(33)}ffffffff0100000000000000001976a914${"00".repeat(20)}88ac00000000`,
    ),
  );
  t.true(estimateSigopCost(p2pkh) >= 4, "P2PKH output: 4");
});
