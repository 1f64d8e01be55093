/**
 * STYLE rule 1 ("one contract, written once") and issue 19 item 4, checked over the source tree:
 * Core's route table holds only @hyperhash/contracts schemas, and no client re-declares them.
 * The clients are the treasury, the operator, the node agent, the pool, the devnet and the
 * end-to-end tests. A client file that names a Core route must import the contract, and no
 * client file may declare a zod object, or assert a type literal onto a value (`as {…}`,
 * `call<{…}>()`), whose keys are those of an object of Core's answers or of the pool's outbox
 * event — the shape of a re-declared response. Interfaces of a client's own domain (bigint
 * amounts mapped from the contract's strings) are not answers and are not checked.
 * client-contract.test.ts checks at run time that Core serves exactly these schemas.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as contract from "@hyperhash/contracts";
import test from "ava";
import ts from "typescript";
import type { z } from "zod";
import { coreRoutes } from "../../src/api/routes.ts";
import type { PaymentContext } from "../../src/payments.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
const CLIENT_DIRS = [
  "services/treasury/src",
  "services/node-agent/src",
  "services/pool/src",
  "services/devnet/src",
  "operator/src",
  "test-e2e",
];
/** Matches that are not Core's answers, each with why (a stale entry fails the test too). */
const NOT_CORE_ANSWERS: ReadonlyArray<{ file: string; keys: string; why: string }> = [
  {
    file: "services/devnet/src/services.ts",
    keys: "blockHash height winner",
    why: "the pool's GET /api/v1/blocks listing (not Core's API, not the outbox)",
  },
  {
    file: "services/devnet/src/services.ts",
    keys: "destination nodeId worker",
    why: "the winner in the pool's GET /api/v1/blocks listing",
  },
];

const routes = coreRoutes({} as PaymentContext);
const contractValues = new Set<unknown>(Object.values(contract));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.parentPath.includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}
const clientFiles = CLIENT_DIRS.flatMap(sourceFiles);

/** Every object's key set inside a zod schema (objects in arrays, unions, optionals, pipes…). */
function objectKeySets(
  schema: z.ZodType,
  out: Set<string> = new Set(),
  seen = new Set<unknown>(),
): Set<string> {
  if (seen.has(schema)) return out;
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const isSchema = (v: unknown): v is z.ZodType => typeof v === "object" && v !== null && "_zod" in v;
  if (def.type === "object")
    out.add(
      Object.keys(def.shape as object)
        .sort()
        .join(" "),
    );
  for (const v of Object.values(def)) {
    const children = Array.isArray(v)
      ? v
      : isSchema(v)
        ? [v]
        : v && typeof v === "object"
          ? Object.values(v)
          : [];
    for (const c of children) if (isSchema(c)) objectKeySets(c, out, seen);
  }
  return out;
}

/** The objects of Core's answers (every route's success body, the error body) and of the pool's outbox. */
const answerKeySets = (() => {
  const out = new Set<string>();
  for (const r of routes) objectKeySets(r.success.schema, out);
  for (const s of [contract.errorResponse, contract.outboxPage, contract.blockFoundEvent("regtest")])
    objectKeySets(s, out);
  return [...out].map((k) => k.split(" "));
})();

/**
 * Whether `keys` is the shape of an object of Core's answers: all of one's keys (three or more,
 * or any number in a file that calls Core), or — a partial re-declaration, in a file that calls
 * Core — two or more of one's keys.
 */
const isAnswerShape = (keys: readonly string[], callsCore: boolean) =>
  keys.length > 0 &&
  answerKeySets.some((answer) => {
    if (!keys.every((k) => answer.includes(k))) return false;
    if (keys.length === answer.length) return callsCore || keys.length >= 3;
    return callsCore && keys.length >= 2;
  });

const propertyName = (n: ts.PropertyName | undefined) =>
  n && (ts.isIdentifier(n) || ts.isStringLiteral(n)) ? n.text : undefined;

/** Key sets of zod object schemas and of type literals asserted onto values, with their lines. */
function declaredShapes(file: string): Array<{ keys: string[]; line: number; what: string }> {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT, file), "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: Array<{ keys: string[]; line: number; what: string }> = [];
  const line = (n: ts.Node) => source.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const typeLiterals = (n: ts.Node, what: string) => {
    const visit = (c: ts.Node) => {
      if (ts.isTypeLiteralNode(c)) {
        const keys = c.members.map((m) => propertyName(m.name)).filter((k): k is string => k !== undefined);
        found.push({ keys: keys.sort(), line: line(c), what });
      }
      ts.forEachChild(c, visit);
    };
    visit(n);
  };
  const visit = (n: ts.Node) => {
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      ["object", "strictObject", "looseObject"].includes(n.expression.name.text) &&
      n.arguments[0] &&
      ts.isObjectLiteralExpression(n.arguments[0])
    ) {
      const keys = n.arguments[0].properties
        .map((p) => (ts.isShorthandPropertyAssignment(p) ? p.name.text : propertyName(p.name)))
        .filter((k): k is string => k !== undefined);
      found.push({ keys: keys.sort(), line: line(n), what: `z.${n.expression.name.text}` });
    }
    if (ts.isAsExpression(n)) typeLiterals(n.type, "as");
    if (ts.isCallExpression(n)) for (const a of n.typeArguments ?? []) typeLiterals(a, "type argument");
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

/** Whether a text names one of Core's routes (`/api/v1/nodes/${id}` matches `/api/v1/nodes/:nodeId`). */
const routePatterns = routes.map((r) => new RegExp(`^${r.path.replace(/:[A-Za-z]+/g, "[^/?]+")}(\\?.*)?$`));
function namesCoreRoute(file: string): boolean {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT, file), "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  let named = false;
  const visit = (n: ts.Node) => {
    let text: string | undefined;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) text = n.text;
    else if (ts.isTemplateExpression(n))
      text = n.head.text + n.templateSpans.map((s) => `x${s.literal.text}`).join("");
    if (text?.startsWith("/api/v1/") && routePatterns.some((p) => p.test(text))) named = true;
    if (!named) ts.forEachChild(n, visit);
  };
  visit(source);
  return named;
}

const importsContract = (file: string) =>
  /from\s+"@hyperhash\/contracts"/.test(readFileSync(join(ROOT, file), "utf8"));

test("Core's route table validates and documents with @hyperhash/contracts schemas only", (t) => {
  const foreign = routes.flatMap((r) =>
    (["params", "query", "body"] as const)
      .filter((k) => r[k] !== undefined && !contractValues.has(r[k]))
      .concat(contractValues.has(r.success.schema) ? [] : ["success" as never])
      .map((k) => `${r.method.toUpperCase()} ${r.path}: ${k}`),
  );
  t.deepEqual(foreign, [], "declare these in services/contracts/src/core-api.ts and import them");
});

test("every client file that names a Core route imports @hyperhash/contracts", (t) => {
  const callers = clientFiles.filter(namesCoreRoute);
  t.true(callers.length >= 6, `found the clients (${callers.join(", ")})`);
  t.deepEqual(
    callers.filter((f) => !importsContract(f)),
    [],
    "parse Core's answers with the contract's schemas",
  );
});

test("no client re-declares an object of Core's answers or of the pool's outbox event", (t) => {
  const hits = clientFiles.flatMap((file) =>
    declaredShapes(file)
      .filter((s) => isAnswerShape(s.keys, namesCoreRoute(file)))
      .map((s) => ({
        file,
        keys: s.keys.join(" "),
        at: `${file}:${s.line} (${s.what} {${s.keys.join(", ")}})`,
      })),
  );
  const allowed = (h: { file: string; keys: string }) =>
    NOT_CORE_ANSWERS.some((a) => a.file === h.file && a.keys === h.keys);
  t.deepEqual(
    hits.filter((h) => !allowed(h)).map((h) => h.at),
    [],
    "import the schema from @hyperhash/contracts instead",
  );
  t.deepEqual(
    NOT_CORE_ANSWERS.filter((a) => !hits.some((h) => h.file === a.file && h.keys === a.keys)).map(
      (a) => a.why,
    ),
    [],
    "allowed matches that no longer exist: remove them",
  );
});

test("the checks see a re-declaration: part of a window summary, a wrapper typed by hand, a whole answer", (t) => {
  t.true(isAnswerShape(["blockHash", "phase"], true));
  t.true(isAnswerShape(["windows"], true));
  t.true(isAnswerShape(["nodes"], true));
  t.true(isAnswerShape(["amountSats", "recipientId"], true));
  t.true(isAnswerShape(["deregisteredAt", "deregisteredBy", "name", "nodeId"], false));
  t.false(
    isAnswerShape(["amountSats", "recipientId"], false),
    "part of an answer, in a file that calls no route",
  );
  t.false(isAnswerShape(["shares"], true), "one key that is no answer's whole shape");
  t.false(isAnswerShape(["request", "expiresAt"], true), "the node agent's own invoice answer");
  t.true(namesCoreRoute("services/treasury/src/core-client.ts"));
  t.true(namesCoreRoute("operator/src/core/core-client.ts"));
});
