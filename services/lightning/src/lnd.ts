import * as ln from "ln-service";
import {
  lnServiceErrorMessage,
  toChannels,
  toInvoice,
  toPayment,
  toPaymentStatus,
  toRoutable,
  toWalletInfo,
} from "./mappers.ts";
import type { LightningWallet } from "./types.ts";

/** How to reach an lnd node's gRPC interface. */
export interface LndConnection {
  /** `host:port` of lnd's gRPC listener. */
  socket: string;
  /** lnd's tls.cert, PEM. */
  certPem: string;
  /** The macaroon's bytes, hex. */
  macaroonHex: string;
}

/** Raised when lnd refuses a call; carries lnd's message, never the macaroon. */
export class LightningError extends Error {
  override readonly name = "LightningError";
  constructor(
    readonly call: string,
    message: string,
  ) {
    super(`${call}: ${message}`);
  }
}

function toSafeNumber(sats: bigint, what: string): number {
  if (sats < 0n || sats > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} out of range`);
  return Number(sats);
}

/**
 * Wraps one ln-service call so its array-shaped errors (`[code, message, details]`) become
 * LightningError. Shared by every adapter that calls ln-service directly.
 */
export async function lnCall<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof LightningError) throw err;
    const message = lnServiceErrorMessage(err) ?? (err instanceof Error ? err.message : String(err));
    const details = Array.isArray(err) && err[2] ? `: ${JSON.stringify(err[2]).slice(0, 300)}` : "";
    throw new LightningError(name, message + details);
  }
}

/** An authenticated ln-service handle, for calls the LightningWallet interface does not make. */
export function lnServiceHandle(connection: LndConnection): ln.AuthenticatedLnd {
  return ln.authenticatedLndGrpc({
    cert: Buffer.from(connection.certPem).toString("base64"),
    macaroon: connection.macaroonHex,
    socket: connection.socket,
  }).lnd;
}

/** A LightningWallet on lnd through ln-service 58. One lnd call per method. */
export function lndWallet(connection: LndConnection): LightningWallet {
  const lnd = lnServiceHandle(connection);
  return {
    getInfo: () => lnCall("getWalletInfo", async () => toWalletInfo(await ln.getWalletInfo({ lnd }))),
    createAddress: () =>
      lnCall("createChainAddress", async () => {
        const a = (await ln.createChainAddress({ lnd, format: "p2wpkh" })) as { address?: unknown };
        if (typeof a.address !== "string") throw new LightningError("createChainAddress", "no address");
        return a.address;
      }),
    getChainBalance: () =>
      lnCall("getChainBalance", async () => {
        const a = (await ln.getChainBalance({ lnd })) as { chain_balance?: unknown };
        if (typeof a.chain_balance !== "number" || !Number.isSafeInteger(a.chain_balance))
          throw new LightningError("getChainBalance", "invalid balance");
        return BigInt(a.chain_balance);
      }),
    connectPeer: (pubkey, socket) =>
      lnCall("addPeer", async () => {
        await ln.addPeer({ lnd, public_key: pubkey, socket, timeout: 10_000 });
      }),
    openChannel: ({ pubkey, capacitySats, pushSats, socket }) =>
      lnCall("openChannel", async () => {
        const a = (await ln.openChannel({
          lnd,
          partner_public_key: pubkey,
          local_tokens: toSafeNumber(capacitySats, "capacity"),
          give_tokens: pushSats === undefined ? undefined : toSafeNumber(pushSats, "push amount"),
          partner_socket: socket,
        })) as { transaction_id?: unknown; transaction_vout?: unknown };
        if (typeof a.transaction_id !== "string" || typeof a.transaction_vout !== "number")
          throw new LightningError("openChannel", "no funding outpoint in answer");
        return { fundingTxid: a.transaction_id, fundingOutputIndex: a.transaction_vout };
      }),
    listChannels: () => lnCall("getChannels", async () => toChannels(await ln.getChannels({ lnd }))),
    isChannelRoutable: (channelId) =>
      lnCall("getChannel", async () => {
        try {
          return toRoutable(await ln.getChannel({ lnd, id: channelId }));
        } catch (err) {
          if (Array.isArray(err) && err[0] === 404) return false;
          throw err;
        }
      }),
    getChannelBalance: () =>
      lnCall("getChannelBalance", async () => {
        const a = (await ln.getChannelBalance({ lnd })) as { channel_balance?: unknown };
        if (typeof a.channel_balance !== "number" || !Number.isSafeInteger(a.channel_balance))
          throw new LightningError("getChannelBalance", "invalid balance");
        return BigInt(a.channel_balance);
      }),
    createInvoice: ({ sats, description, expirySeconds }) =>
      lnCall("createInvoice", async () => {
        const expires =
          expirySeconds === undefined ? undefined : new Date(Date.now() + expirySeconds * 1000).toISOString();
        return toInvoice(
          await ln.createInvoice({
            lnd,
            tokens: toSafeNumber(sats, "invoice amount"),
            description,
            expires_at: expires,
          }),
        );
      }),
    getInvoice: (id) => lnCall("getInvoice", async () => toInvoice(await ln.getInvoice({ lnd, id }))),
    payInvoice: ({ request, maxFeeSats }) =>
      lnCall("pay", async () =>
        toPayment(await ln.pay({ lnd, request, max_fee: toSafeNumber(maxFeeSats, "max fee") })),
      ),
    getPaymentStatus: (id) =>
      lnCall("getPayment", async () => {
        try {
          return toPaymentStatus(await ln.getPayment({ lnd, id }));
        } catch (err) {
          // lnd answers NotFound for a hash it never tried to pay: that is a state, not an error.
          if (Array.isArray(err) && err[0] === 404) return { state: "unknown" as const };
          throw err;
        }
      }),
  };
}
