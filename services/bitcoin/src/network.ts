/**
 * Network parameters for the four networks every service supports, and decoding of
 * payout addresses to the scriptPubKey of the pool's network.
 */
import { Address, OutScript } from "@scure/btc-signer";
import { nBitsToTarget } from "./target.ts";

/** The networks a HyperNode or pool can run on. */
export type Network = "regtest" | "signet" | "testnet4" | "mainnet";

/** Every supported network, in the order configs list them. */
export const NETWORKS: readonly Network[] = ["regtest", "signet", "testnet4", "mainnet"];

/** Consensus and address parameters of one network. */
export interface NetworkParams {
  /** The network's name. */
  readonly name: Network;
  /** Bech32/bech32m human-readable part of segwit addresses. */
  readonly bech32Hrp: string;
  /** Base58check version byte of P2PKH addresses. */
  readonly pubKeyHashPrefix: number;
  /** Base58check version byte of P2SH addresses. */
  readonly scriptHashPrefix: number;
  /** Base58check version byte of WIF private keys. */
  readonly wifPrefix: number;
  /** Blocks between subsidy halvings. */
  readonly halvingInterval: number;
  /** Compact form of the easiest allowed target. */
  readonly powLimitBits: number;
  /** The easiest allowed target (`powLimitBits` expanded). */
  readonly powLimit: bigint;
  /** Genesis block hash, display order. */
  readonly genesisHash: string;
  /** Default P2P port (Bitcoin Core and btcd agree). */
  readonly p2pPort: number;
  /** Bitcoin Core's default JSON-RPC port. */
  readonly rpcPort: number;
  /** btcd's default JSON-RPC port (differs from Core's; btcd runs the local devnet). */
  readonly btcdRpcPort: number;
  /** Blocks before a coinbase output may be spent. */
  readonly coinbaseMaturity: number;
}

/** Initial block subsidy: 50 BTC in satoshis. */
export const INITIAL_SUBSIDY = 5_000_000_000n;

const MAINNET_POW_LIMIT_BITS = 0x1d00ffff;

function params(p: Omit<NetworkParams, "powLimit" | "coinbaseMaturity">): NetworkParams {
  return Object.freeze({ ...p, powLimit: nBitsToTarget(p.powLimitBits), coinbaseMaturity: 100 });
}

const TABLE: Readonly<Record<Network, NetworkParams>> = Object.freeze({
  mainnet: params({
    name: "mainnet",
    bech32Hrp: "bc",
    pubKeyHashPrefix: 0x00,
    scriptHashPrefix: 0x05,
    wifPrefix: 0x80,
    halvingInterval: 210_000,
    powLimitBits: MAINNET_POW_LIMIT_BITS,
    genesisHash: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    p2pPort: 8333,
    rpcPort: 8332,
    btcdRpcPort: 8334,
  }),
  testnet4: params({
    name: "testnet4",
    bech32Hrp: "tb",
    pubKeyHashPrefix: 0x6f,
    scriptHashPrefix: 0xc4,
    wifPrefix: 0xef,
    halvingInterval: 210_000,
    powLimitBits: MAINNET_POW_LIMIT_BITS,
    genesisHash: "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
    p2pPort: 48333,
    rpcPort: 48332,
    btcdRpcPort: 48334,
  }),
  // A custom signet (challenge OP_TRUE) keeps the default signet's genesis and pow limit.
  signet: params({
    name: "signet",
    bech32Hrp: "tb",
    pubKeyHashPrefix: 0x6f,
    scriptHashPrefix: 0xc4,
    wifPrefix: 0xef,
    halvingInterval: 210_000,
    powLimitBits: 0x1e0377ae,
    genesisHash: "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    p2pPort: 38333,
    rpcPort: 38332,
    btcdRpcPort: 38332,
  }),
  regtest: params({
    name: "regtest",
    bech32Hrp: "bcrt",
    pubKeyHashPrefix: 0x6f,
    scriptHashPrefix: 0xc4,
    wifPrefix: 0xef,
    halvingInterval: 150,
    powLimitBits: 0x207fffff,
    genesisHash: "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
    p2pPort: 18444,
    rpcPort: 18443,
    btcdRpcPort: 18334,
  }),
});

/** Parameters of `network`; throws on an unknown name (config should have been validated already). */
export function networkParams(network: Network): NetworkParams {
  const p = TABLE[network];
  if (!p) throw new RangeError(`unknown network ${String(network)}`);
  return p;
}

/** True when `value` names a supported network (for narrowing untyped input). */
export function isNetwork(value: unknown): value is Network {
  return typeof value === "string" && (NETWORKS as readonly string[]).includes(value);
}

/**
 * Block subsidy in satoshis at `height`: 50 BTC halved every `halvingInterval` blocks,
 * 0 from the 64th halving on (as Core's GetBlockSubsidy, where the shift would be undefined).
 */
export function subsidy(height: number, network: Network): bigint {
  if (!Number.isSafeInteger(height) || height < 0)
    throw new RangeError(`height ${height} is not a block height`);
  const halvings = Math.floor(height / networkParams(network).halvingInterval);
  if (halvings >= 64) return 0n;
  return INITIAL_SUBSIDY >> BigInt(halvings);
}

/** Why an address was refused as a payout destination. */
export class AddressError extends Error {
  override readonly name = "AddressError";
  /** The address as given, and the network it was checked against. */
  constructor(
    readonly address: string,
    readonly network: Network,
    readonly reason: string,
  ) {
    super(`invalid ${network} address ${JSON.stringify(address)}: ${reason}`);
  }
}

function scureNetwork(p: NetworkParams) {
  return {
    bech32: p.bech32Hrp,
    pubKeyHash: p.pubKeyHashPrefix,
    scriptHash: p.scriptHashPrefix,
    wif: p.wifPrefix,
  };
}

/**
 * scriptPubKey paying `address` on `network` (P2PKH, P2SH, P2WPKH, P2WSH, P2TR).
 * An address of another network, a bad checksum or an unknown witness program throws
 * `AddressError`, so a payout can never go to a script the pool did not mean.
 */
export function addressToScriptPubKey(address: string, network: Network): Uint8Array {
  const p = networkParams(network);
  let decoded: ReturnType<ReturnType<typeof Address>["decode"]>;
  try {
    decoded = Address(scureNetwork(p)).decode(address);
  } catch (err) {
    throw new AddressError(address, network, err instanceof Error ? err.message : String(err));
  }
  return Uint8Array.from(OutScript.encode(decoded));
}

/**
 * The canonical text of a payout address on `network`: the address re-encoded from its
 * decoded script, so bech32/bech32m come out lower-case (BIP173: upper-case is the same
 * address; mixed case is refused) and base58 stays as is (its case is part of the value).
 * Throws `AddressError` like {@link addressToScriptPubKey}.
 */
export function canonicalAddress(address: string, network: Network): string {
  const script = addressToScriptPubKey(address, network);
  const text = scriptPubKeyToAddress(script, network);
  if (text === null) throw new AddressError(address, network, "no address form for its script");
  return text;
}

/** The address of `scriptPubKey` on `network`, or `null` for scripts with no address form. */
export function scriptPubKeyToAddress(scriptPubKey: Uint8Array, network: Network): string | null {
  try {
    return Address(scureNetwork(networkParams(network))).encode(OutScript.decode(scriptPubKey));
  } catch {
    return null;
  }
}
