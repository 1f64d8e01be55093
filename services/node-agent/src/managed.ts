import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { type LndConnection, lnServiceHandle } from "@hyperhash/lightning";
import type { Logger } from "@hyperhash/telemetry";
import { type BackupFeed, type ChannelBackup, exportChannelBackups, lndBackupFeed } from "./backups.ts";
import { type LndUnlocker, lndRestUnlocker } from "./lnd-unlocker.ts";
import { ensureNodeAccess, lndMacaroonBakery, type MacaroonBakery, type NodeAccess } from "./macaroons.ts";
import { managedEnvSchema } from "./managed-contract.ts";
import type { SecretStore } from "./secrets.ts";
import { initialiseWallet } from "./wallet-init.ts";

/** The Secrets the managed duties own, named from the HyperNode (README "Managed mode"). */
export interface ManagedSecretNames {
  seed: string;
  macaroons: string;
  scb: string;
}

/** `<hypernode>-lnd-seed`, `<hypernode>-lnd-macaroons`, `<hypernode>-lnd-scb`. */
export function managedSecretNames(hypernode: string): ManagedSecretNames {
  return {
    seed: `${hypernode}-lnd-seed`,
    macaroons: `${hypernode}-lnd-macaroons`,
    scb: `${hypernode}-lnd-scb`,
  };
}

/** The validated managed-mode settings (paths are read by runManagedDuties). */
export interface ManagedConfig {
  hypernode: string;
  /** Undefined: the pod's own namespace (service account mount). */
  namespace?: string;
  lndRestUrl: string;
  lndSocket: string;
  tlsCertPath: string;
  passwordFile: string;
  rootKeyFile: string;
  adminMacaroonPath?: string;
  names: ManagedSecretNames;
}

/** Managed settings from the environment, or undefined when `HH_AGENT_MANAGED` is not `true`. */
export function managedConfigFromEnv(env: NodeJS.ProcessEnv): ManagedConfig | undefined {
  if (env.HH_AGENT_MANAGED !== "true") return undefined;
  const e = managedEnvSchema.parse(env);
  return {
    hypernode: e.HH_AGENT_HYPERNODE,
    namespace: e.HH_AGENT_NAMESPACE,
    lndRestUrl: e.HH_AGENT_LND_REST_URL,
    lndSocket: e.HH_AGENT_LND_SOCKET,
    tlsCertPath: e.HH_AGENT_LND_CERT_PATH,
    passwordFile: e.HH_AGENT_LND_WALLET_PASSWORD_PATH,
    rootKeyFile: e.HH_AGENT_LND_MACAROON_ROOT_KEY_PATH,
    adminMacaroonPath: e.HH_AGENT_LND_ADMIN_MACAROON_PATH,
    names: {
      ...managedSecretNames(e.HH_AGENT_HYPERNODE),
      ...(e.HH_AGENT_SEED_SECRET ? { seed: e.HH_AGENT_SEED_SECRET } : {}),
    },
  };
}

/** The wallet password as lnd reads `--wallet-unlock-password-file` (trailing CR/LF dropped). */
export function parseWalletPassword(file: Uint8Array): Uint8Array {
  let end = file.length;
  while (end > 0 && (file[end - 1] === 0x0a || file[end - 1] === 0x0d)) end--;
  if (end < 8) throw new RangeError("the wallet password file holds fewer than 8 bytes");
  return file.slice(0, end);
}

/** The macaroon root key Secret's `root-key`: 32 bytes as hex (cdk8s writes it so). */
export function parseMacaroonRootKey(text: string): Uint8Array {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError("the macaroon root key must be 32 bytes of hex");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** What runManagedDuties needs; lnd adapters default to the real ones on `lnd`. */
export interface ManagedDutiesOptions {
  lnd: { grpcSocket: string; restUrl: string; certPem: string };
  passwordFile: string;
  rootKeyFile: string;
  adminMacaroonPath?: string;
  kube: SecretStore;
  names: ManagedSecretNames;
  logger: Logger;
  signal: AbortSignal;
  labels?: Record<string, string>;
  pollMs?: number;
  /** Test seams; default to lnd's REST unlocker and ln-service. */
  unlocker?: LndUnlocker;
  bakery?: MacaroonBakery;
  backupFeed?: (connection: LndConnection) => BackupFeed;
  onBackupWritten?: (b: ChannelBackup) => void;
}

/** The duties' outcome; `backups` runs until the signal aborts. */
export interface ManagedDuties {
  initialisedNow: boolean;
  access: NodeAccess;
  /** lnd as the agent reaches it from now on: its own restricted macaroon, never admin. */
  agentLnd: LndConnection;
  backups: Promise<void>;
}

/**
 * The sidecar's duties in a managed lnd pod (ARCHITECTURE.md "Managed Lightning"): initialise
 * the wallet once with the operator's password and macaroon root key, keep the seed in its
 * Secret, bake the operator's and the agent's restricted macaroons and publish them with the
 * node pubkey, then export the static channel backup on every channel change.
 */
export async function runManagedDuties(options: ManagedDutiesOptions): Promise<ManagedDuties> {
  const { logger, signal, names } = options;
  const pause = (ms: number) => sleep(ms, undefined, { signal });
  const wallet = await initialiseWallet({
    unlocker:
      options.unlocker ?? lndRestUnlocker({ restUrl: options.lnd.restUrl, tlsCertPem: options.lnd.certPem }),
    secrets: options.kube,
    seedSecretName: names.seed,
    walletPassword: parseWalletPassword(readFileSync(options.passwordFile)),
    macaroonRootKey: parseMacaroonRootKey(readFileSync(options.rootKeyFile, "utf8")),
    logger,
    pause,
    pollMs: options.pollMs,
    labels: options.labels,
  });
  const { access, baked } = await ensureNodeAccess({
    secrets: options.kube,
    secretName: names.macaroons,
    bakery:
      options.bakery ?? lndMacaroonBakery({ socket: options.lnd.grpcSocket, certPem: options.lnd.certPem }),
    adminMacaroon: () =>
      wallet.adminMacaroon ??
      (options.adminMacaroonPath ? new Uint8Array(readFileSync(options.adminMacaroonPath)) : undefined),
    labels: options.labels,
  });
  logger.info("restricted macaroons ready", { secret: names.macaroons, baked, pubkey: access.pubkey });
  const agentLnd: LndConnection = {
    socket: options.lnd.grpcSocket,
    certPem: options.lnd.certPem,
    macaroonHex: Buffer.from(access.agentMacaroon).toString("hex"),
  };
  const feed = (options.backupFeed ?? ((c: LndConnection) => lndBackupFeed(lnServiceHandle(c))))(agentLnd);
  const backups = exportChannelBackups({
    feed,
    secrets: options.kube,
    secretName: names.scb,
    logger,
    signal,
    pause,
    labels: options.labels,
    onWritten: options.onBackupWritten,
  });
  return { initialisedNow: wallet.initialised, access, agentLnd, backups };
}
