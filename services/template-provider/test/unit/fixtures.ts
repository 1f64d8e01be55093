/** Synthetic node answers for unit tests (real btcd answers are exercised by the integration test). */
import {
  type BlockTemplate,
  fromHex,
  hashToDisplayHex,
  serializeTransaction,
  type Transaction,
  toHex,
  txid,
} from "@hyperhash/bitcoin";

/** A one-input P2WPKH-shaped spend of `prev:index` (witness: sig-sized + 33-byte key). */
export function spend(prevTxid: Uint8Array, index: number, value: bigint, tag: number): Transaction {
  return {
    version: 2,
    inputs: [
      {
        prevTxid,
        prevIndex: index,
        scriptSig: new Uint8Array(0),
        sequence: 0xffff_fffd,
        witness: [new Uint8Array(71).fill(tag), Uint8Array.of(0x02, ...new Uint8Array(32).fill(tag))],
      },
    ],
    outputs: [{ value, scriptPubKey: fromHex(`0014${"ab".repeat(20)}`) }],
    lockTime: 0,
  };
}

/** A parent spending a confirmed output, and a child spending the parent. */
export function parentAndChild(): { parent: Transaction; child: Transaction } {
  const parent = spend(new Uint8Array(32).fill(7), 0, 90_000n, 1);
  const child = spend(txid(parent), 0, 80_000n, 2);
  return { parent, child };
}

/** A getblocktemplate answer over `txs` with the given fees. */
export function nodeTemplate(
  txs: { tx: Transaction; fee: number; sigops?: number }[],
  height = 500,
): BlockTemplate {
  const fees = txs.reduce((s, t) => s + t.fee, 0);
  return {
    version: 0x2000_0000,
    previousblockhash: "11".repeat(32),
    transactions: txs.map(({ tx, fee, sigops }) => ({
      data: toHex(serializeTransaction(tx)),
      hash: hashToDisplayHex(txid(tx)),
      txid: hashToDisplayHex(txid(tx)),
      fee,
      sigops: sigops ?? 1,
    })),
    coinbasevalue: 312_500_000 + fees,
    target: `7fffff${"0".repeat(58)}`,
    mintime: 1_700_000_001,
    curtime: 1_700_000_000,
    bits: "207fffff",
    height,
    longpollid: "x-1",
  };
}
