/**
 * examples/ (issue 9): every manifest parses with the operator's zod schemas and is accepted by a
 * real kube-apiserver (server-side dry-run) once the generated CRDs are installed — OpenAPI
 * schema and CEL rules included.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlPlane, startControlPlane, waitFor } from "@hyperhash/devnet";
import { hyperNode, templateProvider } from "@hyperhash/operator";
import { KubeConfig, type KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import test from "ava";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot } from "../../../../charts/scripts/sync.ts";
import { createRaw, type PlainObject } from "../support/kube-raw.ts";

let dir = "";
let cp: ControlPlane | undefined;
let objects: KubernetesObjectApi;
let kc: KubeConfig;

const examples = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(repoRoot, "examples", file), "utf8"))
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((o): o is KubernetesObject => o !== null)
      .map((object) => ({ file, object })),
  );

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hh-examples-"));
  cp = await startControlPlane({ dir });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "hyperhash" } });
  for (const f of readdirSync(join(repoRoot, "crds")).filter((f) => f.endsWith(".yaml"))) {
    await createRaw(kc, parse(readFileSync(join(repoRoot, "crds", f), "utf8")));
  }
  // CRDs are served once Established; a dry-run before that is refused as an unknown kind.
  await waitFor(
    async () => {
      const list = await objects.list("apiextensions.k8s.io/v1", "CustomResourceDefinition");
      return list.items.every((crd) =>
        (
          crd as { status?: { conditions?: Array<{ type: string; status: string }> } }
        ).status?.conditions?.some((c) => c.type === "Established" && c.status === "True"),
      );
    },
    { what: "CRDs Established", timeoutMs: 60_000 },
  );
});

test.after.always(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("examples: a public node, a private node with external lnd and a TemplateProvider are present", (t) => {
  const kinds = examples.map((e) => `${e.object.kind}/${e.object.metadata?.name}`).sort();
  t.deepEqual(kinds, [
    "HyperNode/edge-private",
    "HyperNode/edge-public",
    "Secret/edge-private-lnd",
    "TemplateProvider/tp-regtest",
  ]);
  const nodes = examples.filter((e) => e.object.kind === "HyperNode").map((e) => hyperNode.parse(e.object));
  t.deepEqual(nodes.map((n) => [n.spec.visibility, n.spec.lightning.mode]).sort(), [
    ["private", "external"],
    ["public", "managed"],
  ]);
});

test("examples parse with the operator's zod schemas (the contract the CRDs come from)", (t) => {
  for (const { file, object } of examples) {
    if (object.kind === "HyperNode") t.true(hyperNode.safeParse(object).success, file);
    if (object.kind === "TemplateProvider") t.true(templateProvider.safeParse(object).success, file);
  }
});

test("every example object is accepted by kube-apiserver with server-side dry-run (CRD schema and CEL)", async (t) => {
  for (const { file, object } of examples) {
    const accepted = await createRaw(kc, object as PlainObject, { dryRun: true });
    t.is(accepted.metadata.name, object.metadata?.name ?? "", `${file}: ${object.kind}`);
  }
  // A fresh CRD may answer 429 while its watch cache fills; poll rather than fail.
  const stored = await waitFor(() => objects.list("hyperhash.network/v1alpha1", "HyperNode", "hyperhash"), {
    what: "the HyperNode list",
    timeoutMs: 30_000,
  });
  t.is(stored.items.length, 0, "dry-run stored nothing");
});

test("the dry-run is a real check: a HyperNode breaking a CEL rule is refused", async (t) => {
  const node = structuredClone(
    examples.find((e) => e.object.metadata?.name === "edge-public")!.object,
  ) as KubernetesObject & {
    spec: { lightning: Record<string, unknown> };
  };
  node.spec.lightning.minTreasuryChannels = 0;
  await t.throwsAsync(createRaw(kc, node as unknown as PlainObject, { dryRun: true }), {
    message: /minTreasuryChannels must be at least 1/,
  });
});
