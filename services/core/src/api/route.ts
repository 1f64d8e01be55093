/** The shape of one API route: its contract (zod) and its handler, declared together. */
import type { z } from "zod";
import type { Outcome } from "../outcome.ts";

/** Who called: from a bearer token (or, later, a TLS client certificate). */
export type Principal =
  | { kind: "admin" }
  | { kind: "pool" }
  | { kind: "treasury" }
  | { kind: "node"; nodeId: string };

/** Who may call a route. `node-self`: the node named by the `:nodeId` path parameter. */
export type Access = "admin" | "pool" | "treasury" | "node-self";

/** One route. Schemas validate the request and document it in /openapi.json. */
export interface RouteSpec {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  access: readonly Access[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success status and the schema of its body. */
  success: { status: 200 | 201; schema: z.ZodType; description: string };
  /** Refusals a caller should expect besides 400/401/403 (documented). */
  refusals?: Partial<Record<404 | 409 | 413, string>>;
  handle(input: {
    params: unknown;
    query: unknown;
    body: unknown;
    principal: Principal;
  }): Outcome<unknown> | Promise<Outcome<unknown>>;
}

/** Declares a route with typed inputs inferred from its schemas. */
export function route<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
>(
  spec: Omit<RouteSpec, "handle" | "params" | "query" | "body"> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(input: {
      params: z.output<P>;
      query: z.output<Q>;
      body: z.output<B>;
      principal: Principal;
    }): Outcome<unknown> | Promise<Outcome<unknown>>;
  },
): RouteSpec {
  return spec as unknown as RouteSpec;
}
