import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { type PayoutInvoice, payoutInvoiceSchema } from "./api.ts";

/** Where the agent keeps the invoices it issued, one per (window, amount). */
export interface InvoiceStore {
  get(windowBlockHash: string, amountSats: bigint): PayoutInvoice | undefined;
  put(invoice: PayoutInvoice): void;
  delete(windowBlockHash: string, amountSats: bigint): void;
  all(): PayoutInvoice[];
}

const fileSchema = z.object({ version: z.literal(1), invoices: z.array(payoutInvoiceSchema) });

const keyOf = (windowBlockHash: string, amountSats: bigint) => `${windowBlockHash}:${amountSats}`;

/**
 * A JSON file rewritten atomically (write to a temp file, then rename) on every change, so a
 * crash leaves either the old or the new file, never half of one. Invoices are few (one per
 * window), so the whole file is small. Its directory is made when missing (a managed sidecar's
 * `/data/node-agent` on lnd's fresh volume: without it the first invoice failed with ENOENT and
 * the treasury saw `lnd-unavailable`).
 */
export function jsonInvoiceStore(path: string): InvoiceStore {
  const byKey = new Map<string, PayoutInvoice>();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    const parsed = fileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
    for (const inv of parsed.invoices) byKey.set(keyOf(inv.windowBlockHash, BigInt(inv.amountSats)), inv);
  }
  const flush = () => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, invoices: [...byKey.values()] }, null, 1), {
      mode: 0o600,
    });
    renameSync(tmp, path);
  };
  return {
    get: (w, a) => byKey.get(keyOf(w, a)),
    put(invoice) {
      byKey.set(keyOf(invoice.windowBlockHash, BigInt(invoice.amountSats)), invoice);
      flush();
    },
    delete(w, a) {
      if (byKey.delete(keyOf(w, a))) flush();
    },
    all: () => [...byKey.values()],
  };
}
