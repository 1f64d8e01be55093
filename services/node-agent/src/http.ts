import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "@hyperhash/telemetry";
import express, { type NextFunction, type Request, type Response } from "express";
import { invoiceRequestSchema, type Refusal, refusalStatus } from "./api.ts";
import type { InvoiceOutcome } from "./invoice-desk.ts";

/** What the payout API serves. */
export interface AgentAppDeps {
  /** The bearer token the treasury presents. */
  apiToken: string;
  desk: { request(req: { windowBlockHash: string; amountSats: string }): Promise<InvoiceOutcome> };
  logger: Logger;
  onOutcome?: (outcome: "created" | "reused" | "refused") => void;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares tokens in constant time (over their digests, so lengths leak nothing either). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

const refuse = (res: Response, refusal: Refusal) => res.status(refusalStatus[refusal.reason]).json(refusal);

/**
 * The agent's HTTP API: `POST /api/v1/invoices` behind a bearer token, JSON bodies capped at
 * 4 KiB. Every refusal carries a machine-readable `reason`.
 */
export function createAgentApp(deps: AgentAppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use((req: Request, res: Response, next: NextFunction) => {
    const header = req.get("authorization");
    const token = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
    if (!tokenMatches(token, deps.apiToken)) {
      refuse(res, { reason: "unauthorized", message: "a valid bearer token is required" });
      return;
    }
    next();
  });
  app.use(express.json({ limit: "4kb" }));

  app.post("/api/v1/invoices", async (req: Request, res: Response) => {
    const parsed = invoiceRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      refuse(res, {
        reason: "invalid-request",
        message: parsed.error.issues.map((i) => i.message).join("; "),
      });
      return;
    }
    let outcome: InvoiceOutcome;
    try {
      outcome = await deps.desk.request(parsed.data);
    } catch (err) {
      deps.logger.error("invoice request failed", { err });
      refuse(res, { reason: "lnd-unavailable", message: "the node's lnd could not serve the request" });
      return;
    }
    if (!outcome.ok) {
      deps.onOutcome?.("refused");
      deps.logger.info("invoice refused", { ...parsed.data, reason: outcome.refusal.reason });
      refuse(res, outcome.refusal);
      return;
    }
    deps.onOutcome?.(outcome.created ? "created" : "reused");
    res.status(outcome.created ? 201 : 200).json(outcome.invoice);
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ reason: "invalid-request", message: "no such route" });
  });
  // Express 5 routes body-parser failures (malformed JSON, too large) here.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      refuse(res, { reason: "invalid-request", message: (err as Error).message });
      return;
    }
    deps.logger.error("unhandled error", { err });
    refuse(res, { reason: "internal", message: "internal error" });
  });
  return app;
}
