import * as ln from "ln-service";

/**
 * Cooperatively closes one channel from the node that holds `connection`. Kept here, one call,
 * until `closeChannel` joins the LightningWallet interface in @hyperhash/lightning.
 */
export async function closeChannel(
  connection: { socket: string; certPem: string; macaroonHex: string },
  outpoint: { fundingTxid: string; fundingOutputIndex: number },
): Promise<void> {
  const { lnd } = ln.authenticatedLndGrpc({
    cert: Buffer.from(connection.certPem).toString("base64"),
    macaroon: connection.macaroonHex,
    socket: connection.socket,
  });
  try {
    await ln.closeChannel({
      lnd,
      transaction_id: outpoint.fundingTxid,
      transaction_vout: outpoint.fundingOutputIndex,
    });
  } catch (err) {
    const detail = Array.isArray(err) ? JSON.stringify(err).slice(0, 300) : (err as Error).message;
    throw new Error(`closeChannel: ${detail}`);
  }
}
