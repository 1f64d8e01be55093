import { createHash } from "node:crypto";
import type { LightningWallet } from "@hyperhash/lightning";
import type { LndConnection } from "../lightning/handle.ts";
import type { ControllerContext } from "../runtime/controller.ts";
import type { OperatorSettings } from "./settings.ts";

/** A wallet, or why there is none (for a condition's reason and message). */
export type WalletLookup =
  | { ok: true; wallet: LightningWallet; connection: LndConnection }
  | { ok: false; reason: string; message: string };

const wallets = new Map<string, LightningWallet>();

/**
 * Reads one key of a Secret as UTF-8 from the Secret informer's cache (a watch keeps it
 * current, so steady-state reconciles send no GETs). The Secret must be in a watched namespace.
 */
export function readSecretKey(
  ctx: ControllerContext,
  namespace: string,
  name: string,
  key: string,
): string | undefined {
  return readSecretKeys(ctx, namespace, name, [key])[0];
}

/** Reads several keys of one cached Secret. */
export function readSecretKeys(
  ctx: ControllerContext,
  namespace: string,
  name: string,
  keys: readonly string[],
): Array<string | undefined> {
  const secret = ctx.informer("Secret").get(namespace, name) as { data?: Record<string, string> } | undefined;
  return keys.map((key) => {
    const value = secret?.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8").trim();
  });
}

/** One gRPC connection per distinct (socket, cert, macaroon), reused across reconciles. */
function walletFor(
  settings: OperatorSettings,
  socket: string,
  certPem: string,
  macaroonHex: string,
): LightningWallet {
  const key = createHash("sha256").update(`${socket}\n${certPem}\n${macaroonHex}`).digest("hex");
  let wallet = wallets.get(key);
  if (!wallet) {
    wallet = settings.connectLnd({ socket, certPem, macaroonHex });
    wallets.set(key, wallet);
  }
  return wallet;
}

/** The Core Treasury's lnd, from the treasury Secret. */
export async function treasuryWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
): Promise<WalletLookup> {
  const { namespace, name } = settings.treasurySecret;
  const [socket, cert, mac] = readSecretKeys(ctx, namespace, name, ["socket", "tls.cert", "macaroon.hex"]);
  if (!socket || !cert || !mac)
    return {
      ok: false,
      reason: "TreasurySecretMissing",
      message: `Secret ${namespace}/${name} needs socket, tls.cert, macaroon.hex`,
    };
  return {
    ok: true,
    wallet: walletFor(settings, socket, cert, mac),
    connection: { socket, certPem: cert, macaroonHex: mac },
  };
}

/** An external node lnd, from the Secrets its HyperNode names. */
export async function externalNodeWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  namespace: string,
  external: {
    grpcEndpoint: string;
    tlsCertSecretRef: { name: string; key: string };
    macaroonSecretRef: { name: string; key: string };
  },
): Promise<WalletLookup> {
  const cert = readSecretKey(ctx, namespace, external.tlsCertSecretRef.name, external.tlsCertSecretRef.key);
  const mac = readSecretKey(ctx, namespace, external.macaroonSecretRef.name, external.macaroonSecretRef.key);
  if (!cert || !mac) {
    return {
      ok: false,
      reason: "LndSecretMissing",
      message: `Secret keys ${external.tlsCertSecretRef.name}/${external.tlsCertSecretRef.key} and ${external.macaroonSecretRef.name}/${external.macaroonSecretRef.key} are needed`,
    };
  }
  return {
    ok: true,
    wallet: walletFor(settings, external.grpcEndpoint, cert, mac),
    connection: { socket: external.grpcEndpoint, certPem: cert, macaroonHex: mac },
  };
}

/** What the operator takes from a managed node's `<hn>-lnd-macaroons` Secret, or why it cannot. */
export type ManagedMacaroons =
  | { ok: true; pubkey: string; operatorMacaroonHex: string }
  | { ok: false; reason: "WaitingForWalletInit" | "MacaroonsSecretInvalid"; message: string };

/**
 * Reads the Secret the node agent writes once the wallet is active (node-agent README "Managed
 * mode"): `pubkey` (66 hex chars, UTF-8) and `operator.macaroon` (raw bytes; hex text is taken
 * too, a binary macaroon starts with its version byte 0x02 so the two never mix). Pure.
 */
export function readManagedMacaroons(
  secret: { metadata: { name: string }; data?: Record<string, string> } | undefined,
  secretName: string,
): ManagedMacaroons {
  if (!secret)
    return {
      ok: false,
      reason: "WaitingForWalletInit",
      message: `waiting for the node agent to initialise the wallet and write Secret ${secretName}`,
    };
  const pubkey = secret.data?.pubkey && Buffer.from(secret.data.pubkey, "base64").toString("utf8").trim();
  const raw = secret.data?.["operator.macaroon"] && Buffer.from(secret.data["operator.macaroon"], "base64");
  if (!pubkey || !/^0[23][0-9a-f]{64}$/.test(pubkey) || !raw?.length)
    return {
      ok: false,
      reason: "MacaroonsSecretInvalid",
      message: `Secret ${secretName} needs pubkey (66 hex chars) and operator.macaroon`,
    };
  const text = raw.toString("utf8").trim();
  const operatorMacaroonHex = /^(?:[0-9a-fA-F]{2})+$/.test(text) ? text.toLowerCase() : raw.toString("hex");
  return { ok: true, pubkey, operatorMacaroonHex };
}

/**
 * A managed node's lnd as the operator reaches it: its Service's gRPC port, the TLS certificate
 * the operator generated, and the agent-baked `operator.macaroon` (channels and peers, never
 * admin). `pubkey` is returned whenever the macaroons Secret gives it, even when the wallet
 * cannot be built, so the treasury channel does not wait for the operator's own gRPC path.
 */
export function managedNodeWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  namespace: string,
  names: { lnd: string; lndTls: string; macaroons: string },
  grpcPort: number,
): WalletLookup & { pubkey?: string } {
  const secret = ctx.informer("Secret").get(namespace, names.macaroons) as
    | { metadata: { name: string }; data?: Record<string, string> }
    | undefined;
  const macaroons = readManagedMacaroons(secret, names.macaroons);
  if (!macaroons.ok) return macaroons;
  const cert = readSecretKey(ctx, namespace, names.lndTls, "tls.crt");
  if (!cert)
    return {
      ok: false,
      pubkey: macaroons.pubkey,
      reason: "LndSecretMissing",
      message: `Secret ${names.lndTls} needs tls.crt`,
    };
  const socket = `${names.lnd}.${namespace}.svc:${grpcPort}`;
  return {
    ok: true,
    pubkey: macaroons.pubkey,
    wallet: walletFor(settings, socket, cert, macaroons.operatorMacaroonHex),
    connection: { socket, certPem: cert, macaroonHex: macaroons.operatorMacaroonHex },
  };
}
