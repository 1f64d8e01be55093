/**
 * Network parameters (ARCHITECTURE "Networks"): subsidy schedule incl. regtest's 150-block
 * halving, genesis headers, pow limits, and payout-address decoding per network.
 */
import test from "ava";
import { fromHex, toHex } from "../../src/bytes.ts";
import { hashFromDisplayHex } from "../../src/hash.ts";
import { headerHashHex } from "../../src/header.ts";
import {
  AddressError,
  addressToScriptPubKey,
  isNetwork,
  NETWORKS,
  networkParams,
  scriptPubKeyToAddress,
  subsidy,
} from "../../src/network.ts";
import { nBitsToTarget } from "../../src/target.ts";

test("mainnet subsidy: 50 BTC until 209,999, halved at 210,000, zero by 6,930,000", (t) => {
  t.is(subsidy(0, "mainnet"), 5_000_000_000n);
  t.is(subsidy(209_999, "mainnet"), 5_000_000_000n);
  t.is(subsidy(210_000, "mainnet"), 2_500_000_000n);
  t.is(subsidy(840_000, "mainnet"), 312_500_000n);
  t.is(subsidy(6_930_000, "mainnet"), 0n);
  t.is(subsidy(210_000 * 64, "mainnet"), 0n);
  t.is(subsidy(210_000 * 100, "mainnet"), 0n);
});

test("regtest subsidy halves every 150 blocks and is 0 from height 4,950", (t) => {
  t.is(subsidy(0, "regtest"), 5_000_000_000n);
  t.is(subsidy(149, "regtest"), 5_000_000_000n);
  t.is(subsidy(150, "regtest"), 2_500_000_000n);
  t.is(subsidy(4_949, "regtest"), 1n);
  t.is(subsidy(4_950, "regtest"), 0n);
  for (const n of ["signet", "testnet4"] as const) t.is(subsidy(210_000, n), 2_500_000_000n);
  t.throws(() => subsidy(-1, "mainnet"));
  t.throws(() => subsidy(1.5, "mainnet"));
});

// Genesis headers of each network; the merkle roots are the genesis coinbase txids.
const GENESIS = {
  mainnet: {
    ntime: 1231006505,
    nBits: 0x1d00ffff,
    nonce: 2083236893,
    root: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
  },
  regtest: {
    ntime: 1296688602,
    nBits: 0x207fffff,
    nonce: 2,
    root: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
  },
  signet: {
    ntime: 1598918400,
    nBits: 0x1e0377ae,
    nonce: 52613770,
    root: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
  },
  testnet4: {
    ntime: 1714777860,
    nBits: 0x1d00ffff,
    nonce: 393743547,
    root: "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e",
  },
} as const;

test("genesis header of every network hashes to its genesis hash, at the pow limit", (t) => {
  for (const network of NETWORKS) {
    const g = GENESIS[network];
    const header = {
      version: 1,
      prevHash: new Uint8Array(32),
      merkleRoot: hashFromDisplayHex(g.root),
      ntime: g.ntime,
      nBits: g.nBits,
      nonce: g.nonce,
    };
    const params = networkParams(network);
    t.is(headerHashHex(header), params.genesisHash, network);
    t.is(params.powLimitBits, g.nBits, network);
    t.is(params.powLimit, nBitsToTarget(g.nBits));
  }
});

test("network table: HRPs, halving intervals, ports", (t) => {
  t.deepEqual(
    NETWORKS.map((n) => networkParams(n).bech32Hrp),
    ["bcrt", "tb", "tb", "bc"],
  );
  t.is(networkParams("regtest").halvingInterval, 150);
  t.is(networkParams("mainnet").rpcPort, 8332);
  t.is(networkParams("regtest").rpcPort, 18443);
  t.is(networkParams("regtest").btcdRpcPort, 18334);
  t.true(isNetwork("testnet4"));
  t.false(isNetwork("testnet3"));
  t.throws(() => networkParams("testnet3" as never));
});

test("mainnet addresses decode to their scriptPubKeys (BIP173/BIP350 examples)", (t) => {
  const cases: [string, string][] = [
    ["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac"],
    ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"],
    ["BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ],
  ];
  for (const [address, script] of cases) {
    t.is(toHex(addressToScriptPubKey(address, "mainnet")), script, address);
    t.is(scriptPubKeyToAddress(fromHex(script), "mainnet")?.toLowerCase(), address.toLowerCase());
  }
});

test("an address of another network is an AddressError, never a script", (t) => {
  const testnet = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx";
  t.is(toHex(addressToScriptPubKey(testnet, "testnet4")), "0014751e76e8199196d454941c45d1b3a323f1433bd6");
  t.is(toHex(addressToScriptPubKey(testnet, "signet")), "0014751e76e8199196d454941c45d1b3a323f1433bd6");
  const err = t.throws(() => addressToScriptPubKey(testnet, "regtest"), { instanceOf: AddressError });
  t.is(err?.network, "regtest");
  t.throws(() => addressToScriptPubKey(testnet, "mainnet"), { instanceOf: AddressError });
  t.throws(() => addressToScriptPubKey("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "regtest"), {
    instanceOf: AddressError,
  });
  // One character changed: the checksum catches it.
  t.throws(() => addressToScriptPubKey("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "mainnet"), {
    instanceOf: AddressError,
  });
  t.throws(() => addressToScriptPubKey("not an address", "mainnet"), { instanceOf: AddressError });
});

test("regtest bech32 addresses use bcrt and round-trip", (t) => {
  const script = fromHex("0014751e76e8199196d454941c45d1b3a323f1433bd6");
  const address = scriptPubKeyToAddress(script, "regtest");
  t.true(address?.startsWith("bcrt1q"));
  t.is(toHex(addressToScriptPubKey(address!, "regtest")), toHex(script));
  t.is(scriptPubKeyToAddress(fromHex("6a24aa21a9ed"), "regtest"), null);
});
