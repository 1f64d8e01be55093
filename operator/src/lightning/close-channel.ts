import * as ln from "ln-service";
import { type LndConnection, lndHandle, lnError } from "./handle.ts";

/**
 * Cooperatively closes one channel from the node that holds `connection`. Kept here, one call,
 * until `closeChannel` joins the LightningWallet interface in @hyperhash/lightning.
 */
export async function closeChannel(
  connection: LndConnection,
  outpoint: { fundingTxid: string; fundingOutputIndex: number },
): Promise<void> {
  try {
    await ln.closeChannel({
      lnd: lndHandle(connection),
      transaction_id: outpoint.fundingTxid,
      transaction_vout: outpoint.fundingOutputIndex,
    });
  } catch (err) {
    throw lnError("closeChannel", err);
  }
}
