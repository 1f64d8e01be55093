import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlPlane, startControlPlane, waitFor } from "@hyperhash/devnet";
import * as k8s from "@kubernetes/client-node";
import anyTest, { type TestFn } from "ava";

const test = anyTest as TestFn<{ cp: ControlPlane; dir: string; kc: k8s.KubeConfig }>;

const group = "devnet.hyperhash.network";
const plural = "widgets";

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-cp-test-"));
  const cp = await startControlPlane({ dir });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  t.context = { cp, dir, kc };
});

test.after.always(async (t) => {
  await t.context.cp?.stop();
  rmSync(t.context.dir, { recursive: true, force: true });
});

const crd: k8s.V1CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural, singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer", minimum: 1 } } },
              status: { type: "object", properties: { observedGeneration: { type: "integer" } } },
            },
          },
        },
      },
    ],
  },
};

test.serial("the API server runs RBAC: an unbound user is forbidden", async (t) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(t.context.cp.kubeconfigFor("nobody"));
  const err = await t.throwsAsync(kc.makeApiClient(k8s.CoreV1Api).listNamespace());
  t.regex(String((err as { code?: number }).code ?? err?.message), /403/);
});

test.serial(
  "a CRD with a status subresource is served; an informer sees add, update and delete; an owned ConfigMap is garbage-collected",
  async (t) => {
    const { kc } = t.context;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd });
    await waitFor(
      async () => {
        const c = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
        return c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True");
      },
      { what: "the CRD to be Established", timeoutMs: 30_000 },
    );

    const objects = kc.makeApiClient(k8s.CustomObjectsApi);
    const path = `/apis/${group}/v1alpha1/namespaces/default/${plural}`;
    const seen: string[] = [];
    const informer = k8s.makeInformer<k8s.KubernetesObject>(kc, path, () =>
      objects.listNamespacedCustomObject({ group, version: "v1alpha1", namespace: "default", plural }),
    );
    informer.on("add", (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update:${o.metadata?.name}`));
    informer.on("delete", (o) => seen.push(`delete:${o.metadata?.name}`));
    // A new CRD's watch cache answers 429 "storage is (re)initializing" for a moment; an
    // informer must restart after errors (client-node stops it), as every controller does.
    let stopped = false;
    informer.on("error", () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => {}), 500);
    });
    await informer.start();
    t.teardown(() => {
      stopped = true;
      return informer.stop();
    });

    const created = (await objects.createNamespacedCustomObject({
      group,
      version: "v1alpha1",
      namespace: "default",
      plural,
      body: { apiVersion: `${group}/v1alpha1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 1 } },
    })) as k8s.KubernetesObject;
    await waitFor(() => seen.includes("add:w1"), { what: "the informer's add event", timeoutMs: 20_000 });

    // The status subresource: a status write goes through /status and leaves spec alone.
    await objects.patchNamespacedCustomObjectStatus(
      {
        group,
        version: "v1alpha1",
        namespace: "default",
        plural,
        name: "w1",
        body: { status: { observedGeneration: 1 } },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await waitFor(() => seen.includes("update:w1"), {
      what: "the informer's update event",
      timeoutMs: 20_000,
    });
    const afterStatus = (await objects.getNamespacedCustomObject({
      group,
      version: "v1alpha1",
      namespace: "default",
      plural,
      name: "w1",
    })) as { status?: { observedGeneration?: number }; spec?: { size?: number } };
    t.is(afterStatus.status?.observedGeneration, 1);
    t.is(afterStatus.spec?.size, 1);

    // Schema validation is enforced by the API server.
    await t.throwsAsync(
      objects.createNamespacedCustomObject({
        group,
        version: "v1alpha1",
        namespace: "default",
        plural,
        body: {
          apiVersion: `${group}/v1alpha1`,
          kind: "Widget",
          metadata: { name: "bad" },
          spec: { size: 0 },
        },
      }),
    );

    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "w1-child",
          ownerReferences: [
            {
              apiVersion: `${group}/v1alpha1`,
              kind: "Widget",
              name: "w1",
              uid: created.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        data: { k: "v" },
      },
    });
    await objects.deleteNamespacedCustomObject({
      group,
      version: "v1alpha1",
      namespace: "default",
      plural,
      name: "w1",
    });
    await waitFor(() => seen.includes("delete:w1"), {
      what: "the informer's delete event",
      timeoutMs: 20_000,
    });
    // kube-controller-manager's garbage collector discovers new resource types on a 30 s resync.
    await waitFor(
      async () => {
        try {
          await core.readNamespacedConfigMap({ namespace: "default", name: "w1-child" });
          return false;
        } catch (err) {
          return (err as { code?: number }).code === 404;
        }
      },
      { what: "the garbage collector to delete the owned ConfigMap", timeoutMs: 120_000, intervalMs: 500 },
    );
    t.deepEqual(
      seen.filter((s) => s.endsWith(":w1")).map((s) => s.split(":")[0]),
      ["add", "update", "delete"],
    );
  },
);
