import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Btcd,
  binaryPath,
  freePort,
  type ManagedProcess,
  startProcess,
  waitFor,
} from "@hyperhash/devnet";

/** An lnd started as the managed pod starts it: no `--noseedbackup`, a wallet password file. */
export interface ManagedLnd {
  readonly grpcSocket: string;
  readonly restUrl: string;
  readonly p2pSocket: string;
  readonly lndDir: string;
  readonly adminMacaroonPath: string;
  readonly certPem: string;
  process(): ManagedProcess;
  /** Stops lnd by pid and starts it again on the same directory and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Test support (devnet's startLnd creates its wallet with `--noseedbackup`): lnd waits for
 * InitWallet on its WalletUnlocker and unlocks itself from `passwordFile` after a restart.
 */
export async function startManagedLnd(options: {
  dir: string;
  alias: string;
  btcd: Btcd;
  passwordFile: string;
}): Promise<ManagedLnd> {
  const [grpcPort, restPort, p2pPort] = [await freePort(), await freePort(), await freePort()];
  const lndDir = join(options.dir, options.alias);
  const { btcd } = options;
  const args = [
    `--lnddir=${lndDir}`,
    `--wallet-unlock-password-file=${options.passwordFile}`,
    "--wallet-unlock-allow-create",
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
    `--alias=${options.alias}`,
    "--debuglevel=info",
    "--trickledelay=50",
    "--bitcoin.defaultchanconfs=1",
  ];
  const start = () =>
    startProcess({
      name: `lnd ${options.alias} (managed)`,
      command: binaryPath("lnd"),
      args,
      logPath: join(options.dir, `lnd-${options.alias}.log`),
    });
  let current = start();
  const certPem = await waitFor(
    () => {
      try {
        return readFileSync(join(lndDir, "tls.cert"), "utf8") || undefined;
      } catch {
        return undefined;
      }
    },
    { what: `lnd ${options.alias} to write its TLS certificate`, timeoutMs: 60_000, watch: [current] },
  ).catch(async (err) => {
    await current.stop();
    throw err;
  });
  return {
    grpcSocket: `127.0.0.1:${grpcPort}`,
    restUrl: `https://127.0.0.1:${restPort}`,
    p2pSocket: `127.0.0.1:${p2pPort}`,
    lndDir,
    adminMacaroonPath: join(lndDir, "data", "chain", "bitcoin", "regtest", "admin.macaroon"),
    certPem,
    process: () => current,
    async restart() {
      await current.stop(20_000);
      current = start();
    },
    stop: () => current.stop(20_000),
  };
}
