/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
import { z } from "zod";
import { errorResponse } from "../schemas.ts";
import type { Access, RouteSpec } from "./route.ts";

const SECURITY: Record<Access, string> = {
  admin: "adminToken",
  pool: "poolToken",
  treasury: "treasuryToken",
  "node-self": "nodeCredential",
};

type JsonSchema = Record<string, unknown>;
const inputSchema = (s: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
};
const outputSchema = (s: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, {
    io: "output",
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
};

function parameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = inputSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const errorRef = { $ref: "#/components/schemas/Error" };
const errorContent = (description: string) => ({
  description,
  content: { "application/json": { schema: errorRef } },
});

/** Builds the document for `routes`. */
export function openApiDocument(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const responses: Record<string, unknown> = {
      [r.success.status]: {
        description: r.success.description,
        content: { "application/json": { schema: outputSchema(r.success.schema) } },
      },
      400: errorContent(
        "invalid-params | invalid-query | invalid-body | invalid-json: the request does not match its schema",
      ),
      401: errorContent("unauthenticated: missing or unknown bearer credential"),
      403: errorContent("forbidden: the credential may not call this route"),
    };
    if (r.body) responses[413] = errorContent("body-too-large");
    for (const [status, text] of Object.entries(r.refusals ?? {}))
      responses[status] = errorContent(text as string);
    paths[path] = {
      ...paths[path],
      [r.method]: {
        summary: r.summary,
        operationId: `${r.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
        security: r.access.map((a) => ({ [SECURITY[a]]: [] })),
        parameters: [...parameters(r.params, "path"), ...parameters(r.query, "query")],
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content: { "application/json": { schema: inputSchema(r.body) } },
              },
            }
          : {}),
        responses,
      },
    };
  }
  const bearer = (description: string) => ({ type: "http", scheme: "bearer", description });
  return {
    openapi: "3.1.0",
    info: {
      title: "hyperhash-core",
      version: "1",
      description:
        "Core of the Hyper Hash Network: node registry, telemetry, payout windows, ledger and payments. Sats in responses are decimal strings; in requests a decimal string or a safe integer.",
    },
    paths,
    components: {
      schemas: { Error: outputSchema(errorResponse) },
      securitySchemes: {
        adminToken: bearer("the operator/admin token (HH_CORE_ADMIN_TOKEN)"),
        poolToken: bearer("the pool's service token (HH_CORE_POOL_TOKEN)"),
        treasuryToken: bearer("the treasury's service token (HH_CORE_TREASURY_TOKEN)"),
        nodeCredential: bearer(
          "a node credential issued by POST /api/v1/nodes (mTLS client certificates later)",
        ),
      },
    },
  };
}
