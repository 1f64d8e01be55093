import { addressToScriptPubKey, type BitcoinRpc, networkParams } from "@hyperhash/bitcoin";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hex } from "@scure/base";
import { p2wpkh, Transaction } from "@scure/btc-signer";

const regtest = networkParams("regtest");
/** btc-signer's description of regtest, from the project's network table. */
const REGTEST_SIGNER_NETWORK = {
  bech32: regtest.bech32Hrp,
  pubKeyHash: regtest.pubKeyHashPrefix,
  scriptHash: regtest.scriptHashPrefix,
  wif: regtest.wifPrefix,
};
const COINBASE_MATURITY = regtest.coinbaseMaturity;
/** A flat fee comfortably above btcd's 1 sat/vB relay minimum for a one-input transaction. */
const FAUCET_FEE_SATS = 5_000n;

/** A payment request to the faucet. */
export interface FaucetPayment {
  address: string;
  sats: bigint;
}

/**
 * The devnet's coin source: btcd mines to the faucet's P2WPKH address (`--miningaddr`), and the
 * faucet spends mature coinbase outputs, signing in-process. Each coinbase is spent at most
 * once (tracked here), so concurrent fundings never double-spend.
 */
export interface Faucet {
  readonly address: string;
  /** Pays every output from one mature coinbase and returns the txid (unconfirmed). */
  pay(payments: FaucetPayment[]): Promise<string>;
}

/** Creates a faucet with a fresh random key. */
export function createFaucet(rpc: BitcoinRpc): Faucet {
  const privateKey = secp256k1.utils.randomSecretKey();
  const payment = p2wpkh(secp256k1.getPublicKey(privateKey, true), REGTEST_SIGNER_NETWORK);
  const address = payment.address;
  if (!address) throw new Error("faucet: could not derive an address");
  const spent = new Set<number>();
  let nextHeight = 1;

  return {
    address,
    async pay(payments) {
      if (payments.length === 0) throw new Error("faucet: nothing to pay");
      const total = payments.reduce((sum, p) => {
        if (p.sats <= 0n) throw new RangeError("faucet: amounts must be positive sats");
        return sum + p.sats;
      }, 0n);
      const tip = await rpc.getBlockCount();
      for (; nextHeight <= tip - COINBASE_MATURITY; nextHeight++) {
        if (spent.has(nextHeight)) continue;
        const block = await rpc.getBlock(await rpc.getBlockHash(nextHeight));
        const first = block.tx[0];
        const coinbaseTxid = typeof first === "string" ? first : first?.txid;
        if (!coinbaseTxid) continue;
        const coinbase = await rpc.getRawTransaction(coinbaseTxid);
        const output = coinbase.vout.find((o) => o.scriptPubKey.hex === hex.encode(payment.script));
        if (!output) continue;
        // btcd reports BTC as a JSON number; 1e8 scaling of an 8-decimal value is exact after rounding.
        const value = BigInt(Math.round(output.value * 1e8));
        if (value < total + FAUCET_FEE_SATS) continue;
        spent.add(nextHeight);
        nextHeight++;
        const tx = new Transaction();
        tx.addInput({
          txid: coinbaseTxid,
          index: output.n,
          witnessUtxo: { script: payment.script, amount: value },
        });
        for (const p of payments) {
          tx.addOutput({
            script: addressToScriptPubKey(p.address, "regtest"),
            amount: p.sats,
          });
        }
        const change = value - total - FAUCET_FEE_SATS;
        if (change > 1_000n) tx.addOutput({ script: payment.script, amount: change });
        tx.sign(privateKey);
        tx.finalize();
        return rpc.sendRawTransaction(tx.hex);
      }
      throw new Error(
        `faucet: no mature coinbase covers ${total} sats at tip ${tip}; mine more blocks (coinbases mature after ${COINBASE_MATURITY})`,
      );
    },
  };
}
