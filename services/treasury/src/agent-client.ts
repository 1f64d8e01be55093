import { type PayoutInvoice, payoutInvoiceSchema, type Refusal, refusalSchema } from "@hyperhash/node-agent";

/** How the treasury reaches one node's agent. */
export interface AgentEndpoint {
  url: string;
  token: string;
  /** The node's Lightning pubkey, when configured; otherwise Core is asked. */
  pubkey?: string;
}

/** An agent's answer: the invoice, or its machine-readable refusal. */
export type AgentAnswer = { ok: true; invoice: PayoutInvoice } | { ok: false; refusal: Refusal };

/** Asks a node agent for the payout invoice of (window, amount). Validates the answer. */
export async function requestPayoutInvoice(
  agent: AgentEndpoint,
  windowBlockHash: string,
  amountSats: bigint,
  doFetch: typeof fetch = fetch,
): Promise<AgentAnswer> {
  let res: Response;
  try {
    res = await doFetch(new URL("/api/v1/invoices", agent.url), {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
      body: JSON.stringify({ windowBlockHash, amountSats: amountSats.toString() }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    return {
      ok: false,
      refusal: { reason: "lnd-unavailable", message: `agent unreachable: ${(err as Error).message}` },
    };
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (res.ok) {
    const parsed = payoutInvoiceSchema.safeParse(json);
    if (parsed.success) return { ok: true, invoice: parsed.data };
    return { ok: false, refusal: { reason: "internal", message: "agent answered an invalid invoice body" } };
  }
  const refusal = refusalSchema.safeParse(json);
  return {
    ok: false,
    refusal: refusal.success ? refusal.data : { reason: "internal", message: `agent answered ${res.status}` },
  };
}
