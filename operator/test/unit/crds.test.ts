import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { parse } from "yaml";
import {
  hyperNode,
  hyperNodeSpec,
  kinds,
  payoutWindowSpec,
  structuralSchema,
  toStructural,
} from "../../src/api/index.ts";
import { renderCrdFiles } from "../../src/api/render.ts";

const crdDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "crds");

test("STYLE rule 1: committed crds/*.yaml equal the generator's output (run npm run gen:crds -w @hyperhash/operator)", (t) => {
  for (const { file, yaml } of renderCrdFiles()) {
    t.is(readFileSync(join(crdDir, file), "utf8"), yaml, `${file} drifted from operator/src/api`);
  }
});

/** Walks a schema and collects violations of the structural-schema rules the API server enforces. */
function structuralViolations(node: unknown, path: string, out: string[]): string[] {
  if (node === null || typeof node !== "object") return out;
  const s = node as Record<string, unknown>;
  if (!("type" in s) && !("x-kubernetes-int-or-string" in s)) out.push(`${path}: no type`);
  for (const bad of ["anyOf", "oneOf", "allOf", "$schema", "const", "propertyNames"]) {
    if (bad in s) out.push(`${path}: ${bad}`);
  }
  if (Array.isArray(s.type)) out.push(`${path}: type array`);
  if (s.properties && s.additionalProperties !== undefined)
    out.push(`${path}: properties with additionalProperties`);
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {}))
    structuralViolations(v, `${path}.${k}`, out);
  if (s.items) structuralViolations(s.items, `${path}[]`, out);
  if (s.additionalProperties && typeof s.additionalProperties === "object")
    structuralViolations(s.additionalProperties, `${path}{}`, out);
  return out;
}

test("CRD schemas are structural: a type everywhere, no unions, no $schema/const/propertyNames", (t) => {
  for (const info of kinds) {
    t.deepEqual(structuralViolations(structuralSchema(info.spec), `${info.kind}.spec`, []), []);
    t.deepEqual(structuralViolations(structuralSchema(info.status), `${info.kind}.status`, []), []);
  }
});

test("toStructural: nullable, const, exclusiveMinimum and safe-integer bounds are rewritten", (t) => {
  t.deepEqual(toStructural({ type: ["string", "null"] }), { type: "string", nullable: true });
  t.deepEqual(toStructural({ type: "string", const: "x" }), { type: "string", enum: ["x"] });
  t.deepEqual(toStructural({ type: "integer", exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER }), {
    type: "integer",
    minimum: 0,
    exclusiveMinimum: true,
    format: "int64",
  });
  t.throws(() => toStructural({ anyOf: [{ type: "string" }, { type: "integer" }] }), {
    message: /structural/,
  });
});

test("every CRD has a status subresource, short names, printer columns and the Ready/Phase column", (t) => {
  for (const { crd } of renderCrdFiles()) {
    const spec = crd.spec as { names: { shortNames: string[] }; versions: Array<Record<string, unknown>> };
    const v = spec.versions[0]!;
    t.deepEqual(v.subresources, { status: {} });
    t.true(spec.names.shortNames.length > 0);
    const cols = (v.additionalPrinterColumns as Array<{ name: string }>).map((c) => c.name);
    t.true(cols.includes("Ready") || cols.includes("Phase"), `${JSON.stringify(cols)}`);
  }
});

test("CEL rules are where the design asks: minTreasuryChannels, frozen totals, phase transitions", (t) => {
  const all = renderCrdFiles()
    .map((f) => f.yaml)
    .join("\n");
  t.regex(all, /self\.minTreasuryChannels >= 1/);
  t.regex(all, /self\.totals == oldSelf\.totals/);
  t.regex(all, /oldSelf\.phase == 'Maturing'/);
  t.regex(all, /oldSelf\.phase == 'Pending'/);
});

test("the committed HyperNode example parses with the zod schema and gets its defaults", (t) => {
  const doc = parse(readFileSync(join(crdDir, "examples", "hypernode-external.yaml"), "utf8"));
  const node = hyperNode.parse(doc);
  t.is(node.spec.lightning.minTreasuryChannels, 1);
  t.is(node.spec.lightning.autoMaintain, true);
  t.false(hyperNodeSpec.safeParse({ ...node.spec, visibility: "secret" }).success);
  t.false(payoutWindowSpec.safeParse({ blockHash: "xyz" }).success);
});
