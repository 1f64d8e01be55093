import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BitcoinRpc, bitcoinRpc, jsonRpcClient } from "@hyperhash/bitcoin";
import { binaryPath } from "./binaries.ts";
import { createFaucet, type Faucet } from "./faucet.ts";
import { freePort } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** BIP9 segwit (and taproot) lock in and activate on regtest once 432 blocks exist. */
export const SEGWIT_ACTIVATION_HEIGHT = 432;

/** A running btcd on regtest. */
export interface Btcd {
  readonly process: ManagedProcess;
  readonly rpc: BitcoinRpc;
  /** `127.0.0.1:port` of the TLS JSON-RPC endpoint. */
  readonly rpcHost: string;
  readonly rpcUser: string;
  readonly rpcPassword: string;
  readonly rpcCertPath: string;
  readonly rpcCertPem: string;
  /** A btcctl config file holding the RPC credentials (so command lines never show them). */
  readonly btcctlConfigPath: string;
  /** `127.0.0.1:port` for peers. */
  readonly p2pHost: string;
  readonly faucet: Faucet;
  /** Mines `count` blocks to the faucet and returns their hashes. */
  mine(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Options for startBtcd. */
export interface BtcdOptions {
  dir: string;
  /** Mine until segwit is active (≥ 432 blocks) before returning. Default true. */
  activateSegwit?: boolean;
}

/**
 * Starts btcd on regtest with RPC TLS on (lnd's btcd backend requires it) and a fresh faucet
 * as the mining address, waits for the RPC to answer and, by default, mines past segwit
 * activation, checked through getblockchaininfo.
 */
export async function startBtcd(options: BtcdOptions): Promise<Btcd> {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const rpcUser = "hyperhash";
  const rpcPassword = `pw-${crypto.randomUUID()}`;
  const rpcCertPath = join(options.dir, "rpc.cert");
  const configPath = join(options.dir, "btcd.conf");
  // btcd writes a sample config into ~/.btcd when its config file is missing; give it one.
  writeFileSync(configPath, "");
  const btcctlConfigPath = join(options.dir, "btcctl.conf");
  writeFileSync(
    btcctlConfigPath,
    `regtest=1\nrpcserver=127.0.0.1:${rpcPort}\nrpcuser=${rpcUser}\nrpcpass=${rpcPassword}\nrpccert=${rpcCertPath}\n`,
    { mode: 0o600 },
  );

  // The mining address must be known at start, but the faucet key needs the RPC; the faucet
  // is created first with a lazily bound RPC.
  let rpcRef: BitcoinRpc | undefined;
  const lazyRpc = new Proxy({} as BitcoinRpc, {
    get: (_t, prop) => {
      if (!rpcRef) throw new Error("btcd RPC not ready");
      return rpcRef[prop as keyof BitcoinRpc];
    },
  });
  const faucet = createFaucet(lazyRpc);

  const process = startProcess({
    name: "btcd",
    command: binaryPath("btcd"),
    args: [
      "--regtest",
      `--configfile=${configPath}`,
      `--datadir=${join(options.dir, "data")}`,
      `--logdir=${join(options.dir, "logs")}`,
      `--rpcuser=${rpcUser}`,
      `--rpcpass=${rpcPassword}`,
      `--rpclisten=127.0.0.1:${rpcPort}`,
      `--listen=127.0.0.1:${p2pPort}`,
      `--rpccert=${rpcCertPath}`,
      `--rpckey=${join(options.dir, "rpc.key")}`,
      `--miningaddr=${faucet.address}`,
      "--txindex",
      "--nobanning",
      "--debuglevel=info",
    ],
    logPath: join(options.dir, "btcd.log"),
  });

  try {
    // btcd writes rpc.cert, then rpc.key: a cert read before the key exists can be half written
    // (seen once in a clean-clone run: the client then trusted nothing and every call failed
    // with "self-signed certificate"). Wait for the key, and for a cert that parses.
    const rpcCertPem = await waitFor(
      () => {
        try {
          if (!existsSync(join(options.dir, "rpc.key"))) return undefined;
          const pem = readFileSync(rpcCertPath, "utf8");
          new X509Certificate(pem);
          return pem;
        } catch {
          return undefined;
        }
      },
      { what: "btcd's RPC certificate", timeoutMs: 30_000, watch: [process] },
    );
    const rpc = bitcoinRpc(
      jsonRpcClient({
        url: `https://127.0.0.1:${rpcPort}`,
        user: rpcUser,
        password: rpcPassword,
        caPem: rpcCertPem,
      }),
      "btcd",
    );
    rpcRef = rpc;
    await waitFor(async () => (await rpc.getBlockchainInfo()).chain !== undefined, {
      what: "btcd RPC to answer",
      timeoutMs: 30_000,
      watch: [process],
    });
    const mine = (count: number) => rpc.generate(count);
    if (options.activateSegwit !== false) {
      const height = await rpc.getBlockCount();
      if (height < SEGWIT_ACTIVATION_HEIGHT) await mine(SEGWIT_ACTIVATION_HEIGHT - height);
      // btcd only reports the deployment active once the next block would enforce it.
      await waitFor(
        async () => {
          if (await rpc.isSegwitActive()) return true;
          await mine(1);
          return false;
        },
        { what: "segwit to activate", timeoutMs: 60_000, watch: [process] },
      );
    }
    return {
      process,
      rpc,
      rpcHost: `127.0.0.1:${rpcPort}`,
      rpcUser,
      rpcPassword,
      rpcCertPath,
      rpcCertPem,
      btcctlConfigPath,
      p2pHost: `127.0.0.1:${p2pPort}`,
      faucet,
      mine,
      stop: () => process.stop(),
    };
  } catch (err) {
    await process.stop();
    throw err;
  }
}
