import type { LightningWallet } from "@hyperhash/lightning";
import type { Logger } from "@hyperhash/telemetry";
import type { InvoiceRequest, PayoutInvoice, Refusal } from "./api.ts";
import type { InvoiceStore } from "./invoice-store.ts";
import { type LndReads, largestInbound } from "./lnd-reads.ts";

/** The answer to one invoice request. */
export type InvoiceOutcome =
  | { ok: true; invoice: PayoutInvoice; created: boolean }
  | { ok: false; refusal: Refusal };

/** What the desk needs. */
export interface InvoiceDeskDeps {
  wallet: Pick<LightningWallet, "createInvoice">;
  reads: Pick<LndReads, "listChannelLiquidity" | "getInvoiceState">;
  store: InvoiceStore;
  /** This node's pubkey (the invoices' destination). */
  nodePubkey: string;
  treasuryPubkey: string;
  invoiceExpirySeconds: number;
  logger: Logger;
  now?: () => Date;
}

/** The description lnd puts in a payout invoice; it names the window for the node owner. */
export const payoutDescription = (windowBlockHash: string) => `hyperhash payout ${windowBlockHash}`;

/**
 * Issues payout invoices: one per (window, amount), created only when one active treasury
 * channel can carry the whole amount in (payments are single-path). Requests are handled one
 * at a time, so two concurrent asks for the same key never create two invoices.
 */
export function createInvoiceDesk(deps: InvoiceDeskDeps): {
  request(req: InvoiceRequest): Promise<InvoiceOutcome>;
} {
  const now = deps.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();

  /** An invoice lnd has cancelled (expired unpaid) can never be paid: it may be replaced. */
  const isDead = async (inv: PayoutInvoice) => {
    if (new Date(inv.expiresAt) > now()) return false;
    const state = await deps.reads.getInvoiceState(inv.paymentHash);
    return state.isCanceled && !state.isConfirmed;
  };

  const handle = async (req: InvoiceRequest): Promise<InvoiceOutcome> => {
    const amount = BigInt(req.amountSats);
    const existing = deps.store.get(req.windowBlockHash, amount);
    if (existing && !(await isDead(existing))) return { ok: true, invoice: existing, created: false };
    if (existing) deps.store.delete(req.windowBlockHash, amount);

    const inbound = largestInbound(await deps.reads.listChannelLiquidity(), deps.treasuryPubkey);
    if (inbound < amount) {
      return {
        ok: false,
        refusal: {
          reason: "insufficient-inbound",
          message: `no active treasury channel can receive ${amount} sats (largest inbound ${inbound})`,
          inboundSats: inbound.toString(),
          requiredSats: amount.toString(),
        },
      };
    }
    const created = await deps.wallet.createInvoice({
      sats: amount,
      description: payoutDescription(req.windowBlockHash),
      expirySeconds: deps.invoiceExpirySeconds,
    });
    // lnd's own expiry, not our estimate: the treasury checks it against the BOLT 11 request.
    const state = await deps.reads.getInvoiceState(created.id);
    const invoice: PayoutInvoice = {
      windowBlockHash: req.windowBlockHash,
      amountSats: amount.toString(),
      paymentHash: created.id,
      request: created.request,
      destination: deps.nodePubkey,
      expiresAt: state.expiresAt.toISOString(),
      createdAt: now().toISOString(),
    };
    deps.store.put(invoice);
    deps.logger.info("payout invoice created", {
      windowBlockHash: req.windowBlockHash,
      amountSats: invoice.amountSats,
      paymentHash: invoice.paymentHash,
    });
    return { ok: true, invoice, created: true };
  };

  return {
    request(req) {
      const result = queue.then(() => handle(req));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
