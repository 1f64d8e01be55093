/**
 * The express 5 application: authentication first (headers only), then the JSON body with a
 * size limit, then zod validation of params, query and body, then the handler. Every
 * refusal is `{ error: { code, message, issues? } }`; every call is logged with who, route
 * and status, never a secret.
 */
import { type Logger, traceContext } from "@hyperhash/telemetry";
import express, { type NextFunction, type Request, type Response } from "express";
import type { z } from "zod";
import type { Refusal } from "../outcome.ts";
import { type Authenticator, allowed, describePrincipal } from "./auth.ts";
import { openApiDocument } from "./openapi.ts";
import type { Principal, RouteSpec } from "./route.ts";

/** Options of createApp. */
export interface AppOptions {
  routes: RouteSpec[];
  authenticate: Authenticator;
  logger: Logger;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** Called after each answered call (for metrics). */
  onCall?: (route: string, status: number) => void;
}

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

function sendError(res: Response, r: Omit<Refusal, "ok">, issues?: z.core.$ZodIssue[]) {
  const error: Record<string, unknown> = { code: r.code, message: r.message, ...r.details };
  if (issues)
    error.issues = issues.map((i) => ({
      path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
      message: i.message,
    }));
  res.status(r.status).type("application/json").send(json({ error }));
}

type Located = { principal?: Principal };
const located = (res: Response) => res.locals as Located;

function validate(
  res: Response,
  schema: z.ZodType | undefined,
  value: unknown,
  where: string,
): { ok: boolean; data?: unknown } {
  if (!schema) return { ok: true, data: undefined };
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  sendError(
    res,
    { status: 400, code: `invalid-${where}`, message: `the ${where} does not match the schema` },
    parsed.error.issues,
  );
  return { ok: false };
}

/** Builds the app over a route table. */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  const bodyParser = express.json({ limit: options.maxBodyBytes, strict: true, type: () => true });
  const openapi = json(openApiDocument(options.routes));

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    // W3C trace context: the caller's trace id is kept, the response names this span.
    const trace = traceContext(req.header("traceparent"));
    res.locals.trace = trace;
    res.setHeader("traceparent", trace.traceparent);
    res.on("finish", () => {
      const routePath = (req.route?.path as string | undefined) ?? "unmatched";
      options.onCall?.(routePath, res.statusCode);
      options.logger.info("api call", {
        who: describePrincipal(located(res).principal),
        method: req.method,
        route: routePath,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        trace_id: trace.traceId,
        span_id: trace.spanId,
      });
    });
    next();
  });

  app.get("/openapi.json", (_req, res) => {
    res.type("application/json").send(openapi);
  });

  for (const spec of options.routes) {
    const guard = (req: Request, res: Response, next: NextFunction) => {
      const principal = options.authenticate(req);
      if (!principal) {
        sendError(res, {
          status: 401,
          code: "unauthenticated",
          message: "a valid bearer credential is required",
        });
        return;
      }
      located(res).principal = principal;
      if (!allowed(principal, spec.access, req.params)) {
        sendError(res, {
          status: 403,
          code: "forbidden",
          message: "this credential may not call this route",
        });
        return;
      }
      next();
    };
    const handler = async (req: Request, res: Response) => {
      const params = validate(res, spec.params, req.params, "params");
      if (!params.ok) return;
      const query = validate(res, spec.query, req.query, "query");
      if (!query.ok) return;
      if (spec.body && (req.body === undefined || typeof req.body !== "object" || req.body === null)) {
        sendError(res, { status: 400, code: "invalid-body", message: "a JSON object body is required" });
        return;
      }
      const body = validate(res, spec.body, req.body, "body");
      if (!body.ok) return;
      const outcome = await spec.handle({
        params: params.data,
        query: query.data,
        body: body.data,
        principal: located(res).principal as Principal,
      });
      if (!outcome.ok) sendError(res, outcome);
      else res.status(outcome.status).type("application/json").send(json(outcome.value));
    };
    const chain = spec.body ? [guard, bodyParser, handler] : [guard, handler];
    app[spec.method](spec.path, ...chain);
  }

  app.use((_req: Request, res: Response) => {
    sendError(res, { status: 404, code: "not-found", message: "no such route" });
  });
  app.use(
    (
      err: { type?: string; status?: number; message?: string },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (err.type === "entity.too.large")
        return sendError(res, {
          status: 413,
          code: "body-too-large",
          message: `bodies are limited to ${options.maxBodyBytes} bytes`,
        });
      if (err.type === "entity.parse.failed")
        return sendError(res, { status: 400, code: "invalid-json", message: "the body is not valid JSON" });
      if (typeof err.status === "number" && err.status >= 400 && err.status < 500)
        return sendError(res, { status: 400, code: "bad-request", message: err.message ?? "bad request" });
      const trace = res.locals.trace as { traceId: string; spanId: string } | undefined;
      options.logger.error("api handler failed", { err, trace_id: trace?.traceId, span_id: trace?.spanId });
      res
        .status(500)
        .type("application/json")
        .send(json({ error: { code: "internal", message: "internal error" } }));
    },
  );
  return app;
}
