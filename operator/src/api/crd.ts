import { z } from "zod";
import { GROUP, type KindInfo, VERSION } from "./common.ts";
import { hyperNodeKind } from "./hypernode-types.ts";
import { lightningChannelKind } from "./lightningchannel-types.ts";
import { payoutWindowKind } from "./payoutwindow-types.ts";
import { templateProviderKind } from "./templateprovider-types.ts";

/** Every kind the operator serves, in a stable order. */
export const kinds: readonly KindInfo[] = [
  hyperNodeKind,
  templateProviderKind,
  lightningChannelKind,
  payoutWindowKind,
];

type Json = Record<string, unknown>;

/** JSON Schema keywords a Kubernetes structural schema does not take. */
const DROPPED = new Set(["$schema", "propertyNames", "id", "$id", "examples"]);

/**
 * Rewrites zod's JSON Schema (draft 2020-12) into an OpenAPI v3 structural schema the API
 * server accepts: `type: [T, "null"]` becomes `nullable`, `const` becomes a one-value enum,
 * `additionalProperties: false` goes (Kubernetes prunes unknown fields itself), numeric
 * `exclusiveMinimum` becomes the boolean form, and zod's safe-integer bounds and ISO
 * date-time regex give way to `format`.
 */
export function toStructural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (schema === null || typeof schema !== "object") return schema;
  const input = schema as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED.has(key)) continue;
    if (key === "additionalProperties" && value === false) continue;
    if (key === "properties" || key === "additionalProperties" || key === "items") {
      out[key] =
        key === "properties"
          ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toStructural(v)]))
          : toStructural(value);
      continue;
    }
    out[key] = value;
  }
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((t) => t !== "null");
    if (types.length !== 1) throw new Error(`cannot express type ${JSON.stringify(out.type)} structurally`);
    out.type = types[0];
    out.nullable = true;
  }
  if ("const" in out) {
    out.enum = [out.const];
    delete out.const;
  }
  if (typeof out.exclusiveMinimum === "number") {
    out.minimum = out.exclusiveMinimum;
    out.exclusiveMinimum = true;
  }
  if (out.type === "integer") {
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
    out.format = "int64";
  }
  if (out.format === "date-time") delete out.pattern;
  if (out.anyOf || out.oneOf || out.allOf) throw new Error("unions are not structural; use an enum or CEL");
  return out;
}

/** The structural schema of one zod type, as it appears under openAPIV3Schema. */
export function structuralSchema(type: z.ZodType): Json {
  return toStructural(z.toJSONSchema(type, { io: "input", target: "draft-2020-12" })) as Json;
}

/** The CustomResourceDefinition of one kind. */
export function customResourceDefinition(info: KindInfo): Json {
  const root: Json = {
    type: "object",
    description: `${info.kind} (${GROUP}/${VERSION}); generated from operator/src/api, do not edit.`,
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: structuralSchema(info.spec),
      status: structuralSchema(info.status),
    },
    required: ["spec"],
  };
  if (info.rootValidations) root["x-kubernetes-validations"] = info.rootValidations;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: info.shortNames,
        categories: info.categories,
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.printerColumns,
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}
