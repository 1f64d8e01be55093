import {
  credentialResponse,
  deregisteredResponse,
  errorResponse,
  listWindowsResponse,
  nodeResponse,
  windowSummary,
} from "@hyperhash/contracts";
import type { z } from "zod";

/** A failure talking to Core, as a value: HTTP status (0 = unreachable) and Core's error code. */
export interface CoreError {
  status: number;
  code: string;
  message: string;
  /** 409 `node-exists`: the id Core already holds under that name. */
  nodeId?: string;
}
/** Either a value or a CoreError. */
export type CoreResult<T> = { ok: true; value: T } | { ok: false; error: CoreError };

/**
 * One payout window as Core's `GET /api/v1/windows` serves it (the contract's `windowSummary`,
 * parsed with the very schema Core serves), renamed to the PayoutWindow's field names.
 */
const toCoreWindow = (w: z.output<typeof windowSummary>) => ({
  blockHash: w.blockHash,
  height: w.height,
  phase: w.phase,
  subsidySats: w.S,
  feesSats: w.F,
  poolFeeSats: w.P,
  treasurySats: w.T,
  nodeNetworkSats: w.N,
  recipientCount: w.recipientCount ?? 0,
  paidSats: w.paidSats,
  pendingSats: w.pendingSats,
  payoutDigest: w.payoutDigest,
  hold: w.hold,
});
export const coreWindow = windowSummary.transform(toCoreWindow);
export type CoreWindow = z.output<typeof coreWindow>;
/** `GET /api/v1/windows` with each window renamed as {@link coreWindow}. */
const coreWindows = listWindowsResponse.transform((r) => r.windows.map(toCoreWindow));

/** A registered node as Core serves it. */
export const coreNode = nodeResponse;
export type CoreNode = z.infer<typeof coreNode>;

const registration = credentialResponse;
export type CoreRegistration = z.infer<typeof registration>;
const deregistration = deregisteredResponse;
export type CoreDeregistration = z.infer<typeof deregistration>;
const errorBody = errorResponse;

/** What the operator asks of hyperhash-core (the admin API). */
export interface CoreClient {
  registerNode(args: {
    name: string;
    visibility: "public" | "private";
    lightningPubkey?: string;
  }): Promise<CoreResult<CoreRegistration>>;
  rotateCredential(nodeId: string): Promise<CoreResult<CoreRegistration>>;
  /** Deregisters a node (idempotent); 409 while money is owed to it, 404 if never registered. */
  deregisterNode(nodeId: string): Promise<CoreResult<CoreDeregistration>>;
  getNode(nodeId: string): Promise<CoreResult<CoreNode>>;
  listWindows(): Promise<CoreResult<CoreWindow[]>>;
  setWindowHold(blockHash: string, hold: boolean): Promise<CoreResult<void>>;
}

const MAX_BODY = 8 * 1024 * 1024;

/** A CoreClient over HTTP with a bearer admin token; every answer is validated by zod. */
export function httpCoreClient(options: {
  baseUrl: string;
  adminToken: string;
  timeoutMs?: number;
}): CoreClient {
  const base = options.baseUrl.replace(/\/$/, "");
  async function call<T>(
    method: string,
    path: string,
    schema: z.ZodType<T, unknown> | null,
    body?: unknown,
  ): Promise<CoreResult<T>> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${options.adminToken}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      return { ok: false, error: { status: 0, code: "unreachable", message: (err as Error).message } };
    }
    const text = await res.text();
    if (text.length > MAX_BODY)
      return { ok: false, error: { status: res.status, code: "too-large", message: "body too large" } };
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      return { ok: false, error: { status: res.status, code: "bad-json", message: text.slice(0, 200) } };
    }
    if (!res.ok) {
      const e = errorBody.safeParse(json);
      return {
        ok: false,
        error: e.success
          ? {
              status: res.status,
              code: e.data.error.code,
              message: e.data.error.message ?? e.data.error.code,
              ...(e.data.error.nodeId ? { nodeId: e.data.error.nodeId } : {}),
            }
          : { status: res.status, code: `http-${res.status}`, message: text.slice(0, 200) },
      };
    }
    if (!schema) return { ok: true, value: undefined as T };
    const parsed = schema.safeParse(json);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : {
          ok: false,
          error: { status: res.status, code: "bad-answer", message: parsed.error.message.slice(0, 500) },
        };
  }
  return {
    registerNode: (args) => call("POST", "/api/v1/nodes", registration, args),
    rotateCredential: (nodeId) =>
      call("POST", `/api/v1/nodes/${encodeURIComponent(nodeId)}/credential`, registration, {}),
    deregisterNode: (nodeId) => call("DELETE", `/api/v1/nodes/${encodeURIComponent(nodeId)}`, deregistration),
    getNode: (nodeId) => call("GET", `/api/v1/nodes/${encodeURIComponent(nodeId)}`, coreNode),
    listWindows: () => call("GET", "/api/v1/windows", coreWindows),
    setWindowHold: (blockHash, hold) => call("PATCH", `/api/v1/windows/${blockHash}`, null, { hold }),
  };
}
