import {
  dueResponse,
  errorResponse,
  nodeAgentResponse,
  nodeResponse,
  paymentOutput,
} from "@hyperhash/contracts";
import type { PayoutMethod } from "./store.ts";

// The treasury's view of Core's treasury-facing API (services/core/src/api/routes.ts): due
// payments, intents written before paying, results. Answers are parsed with the contract's
// schemas (@hyperhash/contracts), the ones Core serves; sats travel as decimal strings.

/** A recipient Core says to pay now. */
export interface DuePayment {
  recipientId: string;
  kind: "miner" | "node";
  /** Miners: address or Lightning pubkey. */
  destination: string | null;
  nodeId: string | null;
  /** The key window: the newest window with an open credit of this recipient. */
  windowBlockHash: string;
  amountSats: bigint;
}

const dueSchema = dueResponse;

/** Core's record of a payment. */
export interface CorePayment {
  id: string;
  state: "pending" | "succeeded" | "failed";
  attempts: number;
  amountSats: bigint;
  reason: string | null;
}

const paymentSchema = paymentOutput;

const toCorePayment = (answer: unknown): CorePayment => {
  const p = paymentSchema.parse(answer);
  return {
    id: String(p.id),
    state: p.state,
    attempts: p.attempts,
    amountSats: BigInt(p.amountSats),
    reason: p.reason,
  };
};

/** An attempt's result as reported to Core. */
export type AttemptResult =
  | { state: "succeeded"; feeSats?: bigint; preimage?: string; channelId?: string }
  | { state: "failed"; reason: string; channelId?: string };

/** Core's answer to a call, as a value: refusals carry Core's machine-readable code. */
export type CoreAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; code: string; message: string };

/** What the treasury needs of Core. */
export interface CoreClient {
  listDue(): Promise<DuePayment[]>;
  recordIntent(intent: {
    windowBlockHash: string;
    recipientId: string;
    amountSats: bigint;
    method: PayoutMethod;
    paymentHash?: string;
    invoice?: string;
  }): Promise<CoreAnswer<CorePayment>>;
  reportResult(corePaymentId: string, result: AttemptResult): Promise<CoreAnswer<CorePayment>>;
  /** The node's Lightning pubkey as Core knows it (registration, else last telemetry). */
  nodePubkey(nodeId: string): Promise<CoreAnswer<string | null>>;
  /**
   * The node agent's payout API as the agent reported it to Core (URL and bearer token);
   * null when the node reported none (or is unknown).
   */
  nodeAgent(nodeId: string): Promise<CoreAnswer<{ url: string; token: string } | null>>;
}

const errorSchema = errorResponse;

/** A CoreClient over HTTP with the treasury's bearer token; every answer validated by zod. */
export function httpCoreClient(options: {
  url: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): CoreClient {
  const doFetch = options.fetch ?? fetch;
  const call = async <T>(
    method: string,
    path: string,
    map: (body: unknown) => T,
    body?: unknown,
  ): Promise<CoreAnswer<T>> => {
    const res = await doFetch(new URL(path, options.url), {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return { ok: true, value: map(json) };
    const err = errorSchema.safeParse(json);
    return err.success
      ? { ok: false, status: res.status, code: err.data.error.code, message: err.data.error.message }
      : { ok: false, status: res.status, code: `http-${res.status}`, message: text.slice(0, 200) };
  };
  const orThrow = <T>(a: CoreAnswer<T>): T => {
    if (!a.ok) throw new Error(`core refused (${a.status} ${a.code}): ${a.message}`);
    return a.value;
  };
  return {
    listDue: async () =>
      orThrow(
        await call("GET", "/api/v1/payments/due", (b) =>
          dueSchema.parse(b).due.map((d) => ({ ...d, amountSats: BigInt(d.amountSats) })),
        ),
      ),
    recordIntent: (intent) =>
      call("POST", "/api/v1/payments", toCorePayment, {
        ...intent,
        amountSats: intent.amountSats.toString(),
      }),
    reportResult: (id, result) =>
      call("POST", `/api/v1/payments/${encodeURIComponent(id)}/result`, toCorePayment, {
        ...result,
        ...("feeSats" in result && result.feeSats !== undefined
          ? { feeSats: result.feeSats.toString() }
          : {}),
      }),
    nodePubkey: (nodeId) =>
      call("GET", `/api/v1/nodes/${encodeURIComponent(nodeId)}`, (b) => {
        const n = nodeResponse.parse(b);
        return n.lightningPubkey ?? n.telemetry?.lightning.pubkey ?? null;
      }),
    nodeAgent: async (nodeId) => {
      const answer = await call("GET", `/api/v1/nodes/${encodeURIComponent(nodeId)}/agent`, (b) => {
        const a = nodeAgentResponse.parse(b);
        return { url: a.url, token: a.token };
      });
      return !answer.ok && answer.status === 404 ? { ok: true, value: null } : answer;
    },
  };
}
