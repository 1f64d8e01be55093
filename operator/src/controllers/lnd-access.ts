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
