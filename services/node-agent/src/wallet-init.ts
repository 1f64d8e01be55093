import type { Logger } from "@hyperhash/telemetry";
import type { LndUnlocker, WalletState } from "./lnd-unlocker.ts";
import type { SecretStore, StoredSecret } from "./secrets.ts";

/** Annotation on the seed Secret: `pending` until InitWallet succeeded with it, then `initialised`. */
export const SEED_STATE_ANNOTATION = "hyperhash.network/seed-state";
export type SeedState = "pending" | "initialised";

/** The seed as kept in `<hypernode>-lnd-seed`. */
export interface SeedRecord {
  mnemonic: string[];
  passphrase?: string;
  state: SeedState;
}

/** Keys of the seed Secret: `mnemonic` (24 words, space separated), `passphrase` when one is used. */
export function seedSecretData(seed: {
  mnemonic: string[];
  passphrase?: string;
}): Record<string, Uint8Array> {
  if (seed.mnemonic.length !== 24) throw new RangeError("an aezeed mnemonic has 24 words");
  const enc = new TextEncoder();
  return {
    mnemonic: enc.encode(seed.mnemonic.join(" ")),
    ...(seed.passphrase ? { passphrase: enc.encode(seed.passphrase) } : {}),
  };
}

/** Reads a seed Secret back; undefined when it is not one the agent wrote. */
export function toSeedRecord(secret: StoredSecret): SeedRecord | undefined {
  const dec = new TextDecoder();
  const words = secret.data.mnemonic ? dec.decode(secret.data.mnemonic).trim().split(/\s+/) : [];
  const state = secret.annotations[SEED_STATE_ANNOTATION];
  if (words.length !== 24 || (state !== "pending" && state !== "initialised")) return undefined;
  const passphrase = secret.data.passphrase ? dec.decode(secret.data.passphrase) : undefined;
  return { mnemonic: words, ...(passphrase ? { passphrase } : {}), state };
}

/** The next step of wallet initialisation, from lnd's state and the seed Secret. */
export type WalletStep =
  /** lnd is starting, or unlocking itself from `--wallet-unlock-password-file`: ask again. */
  | { kind: "wait"; why: string }
  /** No wallet and no seed stored: GenSeed, store the seed (create), then InitWallet. */
  | { kind: "generate-seed" }
  /** A seed stored by an earlier run that stopped before InitWallet finished: init with it. */
  | { kind: "init-with-stored-seed" }
  /** The wallet exists; the stored seed is still marked pending (InitWallet succeeded, the mark did not). */
  | { kind: "mark-initialised" }
  | { kind: "ready" }
  /** A state the agent must not resolve by itself; reported, never retried silently. */
  | { kind: "refuse"; reason: "seed-of-lost-wallet" | "foreign-seed-secret"; message: string };

/**
 * Pure: what to do next. The seed is stored BEFORE InitWallet (lnd never shows it again), so a
 * stored seed with no wallet is either an interrupted init (`pending`: finish it with that seed)
 * or a wallet whose data was lost (`initialised`: a human restores it; a new seed is never made).
 */
export function planWalletStep(state: WalletState, seed: StoredSecret | undefined): WalletStep {
  const record = seed && toSeedRecord(seed);
  if (seed && !record)
    return {
      kind: "refuse",
      reason: "foreign-seed-secret",
      message: "the seed Secret exists but was not written by the node agent (no mnemonic or seed-state)",
    };
  switch (state) {
    case "WAITING_TO_START":
      return { kind: "wait", why: "lnd is starting" };
    case "LOCKED":
    case "UNLOCKED":
      return { kind: "wait", why: "lnd is unlocking the wallet with its password file" };
    case "NON_EXISTING":
      if (!record) return { kind: "generate-seed" };
      if (record.state === "pending") return { kind: "init-with-stored-seed" };
      return {
        kind: "refuse",
        reason: "seed-of-lost-wallet",
        message:
          "lnd has no wallet but the seed Secret holds the seed of an initialised one (data volume lost?); restore it by hand, the agent will not create a new wallet",
      };
    case "RPC_ACTIVE":
    case "SERVER_ACTIVE":
      return record?.state === "pending" ? { kind: "mark-initialised" } : { kind: "ready" };
  }
}

/** Raised when initialisation reaches a state only a human may resolve. */
export class WalletInitRefused extends Error {
  override readonly name = "WalletInitRefused";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** What initialiseWallet needs; lnd and Kubernetes are injected. */
export interface WalletInitDeps {
  unlocker: LndUnlocker;
  secrets: SecretStore;
  seedSecretName: string;
  walletPassword: Uint8Array;
  macaroonRootKey: Uint8Array;
  logger: Logger;
  /** Waits between polls; rejects when `signal` aborts. */
  pause(ms: number): Promise<void>;
  pollMs?: number;
  labels?: Record<string, string>;
}

/** The outcome: `adminMacaroon` only when this run created the wallet (lnd hands it out once). */
export interface WalletInitResult {
  initialised: boolean;
  adminMacaroon?: Uint8Array;
}

/**
 * Drives lnd to an active wallet, idempotently: repeated after any crash or restart it neither
 * makes a second seed nor calls InitWallet on an existing wallet. Secrets are never logged.
 */
export async function initialiseWallet(deps: WalletInitDeps): Promise<WalletInitResult> {
  const { unlocker, secrets, logger } = deps;
  let result: WalletInitResult = { initialised: false };
  let lastWhy = "";
  for (;;) {
    let state: WalletState;
    try {
      state = await unlocker.getState();
    } catch (err) {
      if (lastWhy !== "unreachable") logger.info("waiting for lnd's REST listener", { err });
      lastWhy = "unreachable";
      await deps.pause(deps.pollMs ?? 500);
      continue;
    }
    const step = planWalletStep(state, await secrets.get(deps.seedSecretName));
    switch (step.kind) {
      case "ready":
        logger.info("lnd wallet active", { state, initialisedNow: result.initialised });
        return result;
      case "refuse":
        throw new WalletInitRefused(step.reason, step.message);
      case "wait":
        if (lastWhy !== step.why) logger.info("waiting for lnd", { state, why: step.why });
        lastWhy = step.why;
        await deps.pause(deps.pollMs ?? 500);
        break;
      case "mark-initialised":
        await secrets.annotate(deps.seedSecretName, { [SEED_STATE_ANNOTATION]: "initialised" });
        logger.info("seed Secret marked initialised", { secret: deps.seedSecretName });
        break;
      case "generate-seed": {
        const seed = await unlocker.genSeed();
        const created = await secrets.create(deps.seedSecretName, {
          data: seedSecretData(seed),
          annotations: { [SEED_STATE_ANNOTATION]: "pending" },
          labels: deps.labels,
        });
        // "exists": another run stored a seed meanwhile; the next plan uses that one.
        logger.info("seed stored", { secret: deps.seedSecretName, outcome: created });
        break;
      }
      case "init-with-stored-seed": {
        if (result.initialised) {
          // InitWallet returned; lnd's state catches up a moment later. Never call it twice.
          await deps.pause(deps.pollMs ?? 500);
          break;
        }
        const stored = toSeedRecord((await secrets.get(deps.seedSecretName))!)!;
        const adminMacaroon = await unlocker.initWallet({
          walletPassword: deps.walletPassword,
          mnemonic: stored.mnemonic,
          seedPassphrase: stored.passphrase,
          macaroonRootKey: deps.macaroonRootKey,
        });
        result = { initialised: true, adminMacaroon };
        logger.info("lnd wallet initialised with the stored seed and the operator's macaroon root key");
        break;
      }
    }
  }
}
