import { request } from "node:https";
import { z } from "zod";

/**
 * lnd's wallet states (lnrpc.WalletState, `GET /v1/state`). lnd walks
 * WAITING_TO_START → NON_EXISTING | LOCKED → UNLOCKED → RPC_ACTIVE → SERVER_ACTIVE.
 */
export const walletStateSchema = z.enum([
  "WAITING_TO_START",
  "NON_EXISTING",
  "LOCKED",
  "UNLOCKED",
  "RPC_ACTIVE",
  "SERVER_ACTIVE",
]);
export type WalletState = z.infer<typeof walletStateSchema>;

/** A fresh aezeed from GenSeed: 24 words (the cipher seed passphrase is the caller's). */
export interface GeneratedSeed {
  mnemonic: string[];
}

/** What InitWallet takes. Every field is a secret; none is ever logged. */
export interface InitWalletRequest {
  walletPassword: Uint8Array;
  mnemonic: string[];
  /** The aezeed passphrase the seed was generated with, if any. */
  seedPassphrase?: string;
  /** 32 bytes; lnd stores it as the root key of macaroon id 0 (walletunlocker.proto field 10). */
  macaroonRootKey: Uint8Array;
}

/**
 * lnd's WalletUnlocker and State services. ln-service's `createWallet` does not pass
 * `macaroon_root_key`, so this adapter speaks lnd's REST gateway (same TLS certificate).
 * One lnd call per method.
 */
export interface LndUnlocker {
  getState(): Promise<WalletState>;
  genSeed(): Promise<GeneratedSeed>;
  /** Resolves with the admin macaroon lnd baked for the new wallet. */
  initWallet(request: InitWalletRequest): Promise<Uint8Array>;
}

/** A refusal or transport failure of lnd's REST gateway; never carries a request body. */
export class LndRestError extends Error {
  override readonly name = "LndRestError";
  constructor(
    readonly call: string,
    readonly status: number,
    message: string,
  ) {
    super(`${call}: ${status ? `HTTP ${status}: ` : ""}${message}`);
  }
}

const stateAnswer = z.object({ state: walletStateSchema });
const genSeedAnswer = z.object({ cipher_seed_mnemonic: z.array(z.string().regex(/^[a-z]+$/)).length(24) });
const initWalletAnswer = z.object({ admin_macaroon: z.base64().min(1) });
const errorAnswer = z.object({ message: z.string() }).partial();

/** Maps `GET /v1/state`. */
export const toWalletState = (answer: unknown): WalletState => stateAnswer.parse(answer).state;
/** Maps `GET /v1/genseed`. */
export const toGeneratedSeed = (answer: unknown): GeneratedSeed => ({
  mnemonic: genSeedAnswer.parse(answer).cipher_seed_mnemonic,
});
/** Maps `POST /v1/initwallet`: the admin macaroon's bytes. */
export const toAdminMacaroon = (answer: unknown): Uint8Array =>
  new Uint8Array(Buffer.from(initWalletAnswer.parse(answer).admin_macaroon, "base64"));

/** The REST body of InitWallet (bytes are base64 in lnd's JSON mapping). */
export function initWalletBody(req: InitWalletRequest): Record<string, unknown> {
  if (req.macaroonRootKey.length !== 32) throw new RangeError("macaroon root key must be 32 bytes");
  if (req.walletPassword.length < 8)
    throw new RangeError("lnd requires a wallet password of 8 bytes or more");
  if (req.mnemonic.length !== 24) throw new RangeError("an aezeed mnemonic has 24 words");
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    wallet_password: b64(req.walletPassword),
    cipher_seed_mnemonic: req.mnemonic,
    ...(req.seedPassphrase ? { aezeed_passphrase: b64(new TextEncoder().encode(req.seedPassphrase)) } : {}),
    macaroon_root_key: b64(req.macaroonRootKey),
  };
}

/** The unlocker on lnd's REST listener `https://host:port`, trusting only lnd's certificate. */
export function lndRestUnlocker(options: {
  restUrl: string;
  tlsCertPem: string;
  timeoutMs?: number;
}): LndUnlocker {
  const base = new URL(options.restUrl);
  const call = (name: string, method: "GET" | "POST", path: string, body?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          method,
          host: base.hostname,
          port: base.port || 443,
          path,
          ca: options.tlsCertPem,
          timeout: options.timeoutMs ?? 30_000,
          headers: payload ? { "content-type": "application/json" } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              parsed = undefined;
            }
            if (status >= 200 && status < 300) return resolve(parsed);
            const message = errorAnswer.safeParse(parsed).data?.message ?? "no message";
            reject(new LndRestError(name, status, message.slice(0, 300)));
          });
          res.on("error", (err) => reject(new LndRestError(name, 0, err.message)));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (err) => reject(new LndRestError(name, 0, err.message)));
      req.end(payload);
    });
  return {
    getState: async () => toWalletState(await call("getState", "GET", "/v1/state")),
    genSeed: async () => toGeneratedSeed(await call("genSeed", "GET", "/v1/genseed")),
    initWallet: async (req) =>
      toAdminMacaroon(await call("initWallet", "POST", "/v1/initwallet", initWalletBody(req))),
  };
}
