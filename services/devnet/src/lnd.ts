import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type LightningWallet, lndWallet } from "@hyperhash/lightning";
import { binaryPath } from "./binaries.ts";
import type { Btcd } from "./btcd.ts";
import { freePort } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** A running lnd on the devnet's btcd. */
export interface Lnd {
  readonly alias: string;
  readonly process: ManagedProcess;
  readonly wallet: LightningWallet;
  readonly pubkey: string;
  /** `127.0.0.1:port` of the gRPC listener. */
  readonly grpcSocket: string;
  /** `127.0.0.1:port` of the REST listener. */
  readonly restSocket: string;
  /** `127.0.0.1:port` for Lightning peers. */
  readonly p2pSocket: string;
  readonly lndDir: string;
  readonly tlsCertPath: string;
  readonly adminMacaroonPath: string;
  readonly certPem: string;
  readonly macaroonHex: string;
  stop(): Promise<void>;
}

/** Options for startLnd. */
export interface LndOptions {
  dir: string;
  alias: string;
  btcd: Btcd;
}

function readIfPresent(path: string, encoding?: "utf8"): string | Buffer | undefined {
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Starts lnd on regtest against btcd (its backend needs btcd's TLS certificate), with an
 * unencrypted wallet created at start (`--noseedbackup`) and keysend accepted, then waits
 * until lnd answers and is synced to btcd's tip.
 */
export async function startLnd(options: LndOptions): Promise<Lnd> {
  const [grpcPort, restPort, p2pPort] = [await freePort(), await freePort(), await freePort()];
  const lndDir = join(options.dir, options.alias);
  const tlsCertPath = join(lndDir, "tls.cert");
  const adminMacaroonPath = join(lndDir, "data", "chain", "bitcoin", "regtest", "admin.macaroon");
  const { btcd } = options;
  const process = startProcess({
    name: `lnd ${options.alias}`,
    command: binaryPath("lnd"),
    args: [
      `--lnddir=${lndDir}`,
      "--noseedbackup",
      "--bitcoin.regtest",
      "--bitcoin.node=btcd",
      `--btcd.rpchost=${btcd.rpcHost}`,
      `--btcd.rpcuser=${btcd.rpcUser}`,
      `--btcd.rpcpass=${btcd.rpcPassword}`,
      `--btcd.rpccert=${btcd.rpcCertPath}`,
      `--rpclisten=127.0.0.1:${grpcPort}`,
      `--restlisten=127.0.0.1:${restPort}`,
      `--listen=127.0.0.1:${p2pPort}`,
      `--externalip=127.0.0.1:${p2pPort}`,
      "--nobootstrap",
      "--accept-keysend",
      `--alias=${options.alias}`,
      "--debuglevel=info",
      // Regtest blocks come fast and in bursts; shorter intervals keep tests quick.
      "--trickledelay=50",
      "--bitcoin.defaultchanconfs=1",
      "--maxpendingchannels=10",
    ],
    logPath: join(options.dir, `lnd-${options.alias}.log`),
  });
  try {
    const [certPem, macaroon] = await waitFor(
      () => {
        const cert = readIfPresent(tlsCertPath, "utf8");
        const mac = readIfPresent(adminMacaroonPath);
        return cert && mac && mac.length > 0 ? ([cert as string, mac as Buffer] as const) : undefined;
      },
      {
        what: `lnd ${options.alias} to write its TLS certificate and admin macaroon`,
        timeoutMs: 60_000,
        watch: [process],
      },
    );
    const macaroonHex = macaroon.toString("hex");
    const wallet = lndWallet({ socket: `127.0.0.1:${grpcPort}`, certPem, macaroonHex });
    const tip = await btcd.rpc.getBlockCount();
    const info = await waitFor(
      async () => {
        const i = await wallet.getInfo();
        return i.syncedToChain && i.blockHeight >= tip ? i : undefined;
      },
      {
        what: `lnd ${options.alias} to sync to height ${tip}`,
        timeoutMs: 90_000,
        intervalMs: 250,
        watch: [process],
      },
    );
    return {
      alias: options.alias,
      process,
      wallet,
      pubkey: info.pubkey,
      grpcSocket: `127.0.0.1:${grpcPort}`,
      restSocket: `127.0.0.1:${restPort}`,
      p2pSocket: `127.0.0.1:${p2pPort}`,
      lndDir,
      tlsCertPath,
      adminMacaroonPath,
      certPem,
      macaroonHex,
      stop: () => process.stop(20_000),
    };
  } catch (err) {
    await process.stop();
    throw err;
  }
}
