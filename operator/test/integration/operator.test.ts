import { buildHyperNodeChildren, type DesiredChild } from "@hyperhash/cdk8s";
import { waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { API_VERSION } from "../../src/api/index.ts";
import { httpCoreClient } from "../../src/core/core-client.ts";
import { defaultPlatform, type RunningOperator, startOperator } from "../../src/operator.ts";
import type { KubeClient, KubeObject } from "../../src/runtime/kube.ts";
import { clientFor, operatorKubeconfig, startTestCluster, type TestCluster } from "../support/cluster.ts";
import { type CoreStandIn, startCoreStandIn } from "../support/core-standin.ts";

const test = anyTest as TestFn<{
  cluster: TestCluster;
  core: CoreStandIn;
  operator: RunningOperator;
  asOperator: KubeClient;
}>;
const NS = "hyperhash";

test.before(async (t) => {
  const cluster = await startTestCluster("ctl");
  t.context.cluster = cluster;
  t.context.core = await startCoreStandIn();
  const kubeconfigPath = await operatorKubeconfig(cluster);
  t.context.asOperator = clientFor(kubeconfigPath, "hyperhash-operator");
  t.context.operator = await startOperator({
    kubeconfigPath,
    core: httpCoreClient({ baseUrl: t.context.core.url, adminToken: t.context.core.token }),
    treasurySecret: { namespace: NS, name: "treasury-lnd" },
    telemetryStaleMs: 60_000,
    pollMs: 1_000,
    windowPollMs: 500,
    logLevel: "warn",
  });
  // Secrets the external-mode HyperNodes point at (an lnd that is not there: wallet not ready).
  await cluster.admin.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "edge-lnd", namespace: NS },
    stringData: { "tls.cert": "not a cert", "admin.macaroon.hex": "00" },
  } as never);
});
test.after.always(async (t) => {
  await t.context.operator?.stop();
  await t.context.core?.close();
  await t.context.cluster?.stop();
});

const get = (t: { context: { cluster: TestCluster } }, kind: string, name: string) =>
  t.context.cluster.admin.get(kind, NS, name);
const cond = (o: KubeObject | undefined, type: string) =>
  (
    (o?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)
      ?.conditions ?? []
  ).find((c) => c.type === type);

function externalNode(name: string, translator: boolean): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "HyperNode",
    metadata: { name, namespace: NS },
    spec: {
      visibility: "public",
      network: "regtest",
      lightning: {
        mode: "external",
        external: {
          grpcEndpoint: "127.0.0.1:1",
          p2pAddress: "127.0.0.1:2",
          tlsCertSecretRef: { name: "edge-lnd", key: "tls.cert" },
          macaroonSecretRef: { name: "edge-lnd", key: "admin.macaroon.hex" },
        },
      },
      translator: { enabled: translator, port: 34255 },
    },
  };
}

const externalChildren = [
  "ConfigMap/edge-config",
  "ServiceAccount/edge-node-agent",
  "Deployment/edge-node-agent",
  "NetworkPolicy/edge-node-agent",
  "Secret/edge-credentials",
];
const translatorChildren = [
  "ServiceAccount/edge-translator",
  "Deployment/edge-translator",
  "Service/edge-translator",
  "NetworkPolicy/edge-translator",
];
const exists = async (t: { context: { cluster: TestCluster } }, ref: string) => {
  const [kind, name] = ref.split("/") as [string, string];
  return (await get(t, kind, name)) !== undefined;
};

test.serial(
  "HyperNode: applying creates exactly the children its spec needs; Core registration gives status.nodeId and <name>-credentials",
  async (t) => {
    await t.context.cluster.admin.apply(externalNode("edge", true));
    await waitFor(
      async () =>
        (await Promise.all([...externalChildren, ...translatorChildren].map((r) => exists(t, r)))).every(
          Boolean,
        ),
      {
        what: "every child of an external HyperNode with a translator",
        timeoutMs: 60_000,
      },
    );
    for (const ref of ["StatefulSet/edge-lnd", "PersistentVolumeClaim/edge-lnd-data", "Secret/edge-lnd-tls"])
      t.false(await exists(t, ref), ref);
    const node = await waitFor(
      async () => {
        const n = await get(t, "HyperNode", "edge");
        return (n?.status as { nodeId?: string } | undefined)?.nodeId ? n : undefined;
      },
      { what: "status.nodeId", timeoutMs: 30_000 },
    );
    const nodeId = (node.status as { nodeId: string }).nodeId;
    const registered = [...t.context.core.nodes.values()].find((n) => n.nodeId === nodeId);
    t.is(registered?.name, "hyperhash.edge");
    const secret = (await get(t, "Secret", "edge-credentials")) as unknown as {
      data: Record<string, string>;
    };
    t.is(Buffer.from(secret.data.credential!, "base64").toString(), registered?.credential ?? "missing");
    t.is(cond(node, "Registered")?.status, "True");
    t.is(cond(node, "LightningWalletReady")?.status, "False");
    t.is(cond(node, "Ready")?.status, "False");
    t.is((node.status as { observedGeneration: number }).observedGeneration, node.metadata.generation ?? -1);
  },
);

test.serial("HyperNode: TelemetryReporting follows Core's telemetry freshness (invariant 3)", async (t) => {
  const node = await get(t, "HyperNode", "edge");
  const nodeId = (node!.status as { nodeId: string }).nodeId;
  t.is(cond(node, "TelemetryReporting")?.reason, "NoTelemetry");
  t.context.core.nodes.get(nodeId)!.telemetry = { reportedAt: new Date().toISOString() };
  await waitFor(
    async () => cond(await get(t, "HyperNode", "edge"), "TelemetryReporting")?.status === "True",
    { what: "TelemetryReporting=True", timeoutMs: 30_000 },
  );
  t.context.core.nodes.get(nodeId)!.telemetry = {
    reportedAt: new Date(Date.now() - 3_600_000).toISOString(),
  };
  const stale = await waitFor(
    async () => {
      const c = cond(await get(t, "HyperNode", "edge"), "TelemetryReporting");
      return c?.status === "False" ? c : undefined;
    },
    { what: "TelemetryReporting=False", timeoutMs: 30_000 },
  );
  t.is(stale.reason, "TelemetryStale");
});

test.serial(
  "HyperNode: changing the spec (translator off) removes the children no longer needed",
  async (t) => {
    await t.context.cluster.admin.apply(externalNode("edge", false));
    await waitFor(
      async () => !(await Promise.all(translatorChildren.map((r) => exists(t, r)))).some(Boolean),
      {
        what: "translator children to be removed",
        timeoutMs: 60_000,
      },
    );
    for (const ref of externalChildren) t.true(await exists(t, ref), ref);
  },
);

test.serial(
  "HyperNode: deleting it garbage-collects every child (owner references, kube-controller-manager GC)",
  async (t) => {
    await t.context.cluster.admin.delete("HyperNode", NS, "edge");
    await waitFor(async () => !(await Promise.all(externalChildren.map((r) => exists(t, r)))).some(Boolean), {
      what: "the garbage collector to remove the children",
      timeoutMs: 90_000,
    });
    t.false(await exists(t, "HyperNode/edge"));
  },
);

function managedNode(name: string): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "HyperNode",
    metadata: { name, namespace: NS },
    spec: {
      visibility: "private",
      network: "regtest",
      lightning: { mode: "managed", managed: { neutrinoPeer: "bitcoind.hyperhash.svc:18444" } },
      translator: { enabled: true },
    },
  };
}

test.serial(
  "Managed mode: every rendered object passes server-side dry-run as the operator; the operator creates the set",
  async (t) => {
    const created = await t.context.cluster.admin.apply(managedNode("vault"));
    const material = {
      tlsCertPem: "cert",
      tlsKeyPem: "key",
      walletPassword: "pw",
      macaroonRootKeyHex: "00".repeat(32),
    };
    const children = buildHyperNodeChildren(created as never, defaultPlatform, material).filter(
      (c): c is DesiredChild & { object: KubeObject } => c.object !== null,
    );
    t.is(children.length, 15, "config, agent SA, 4 translator objects, 9 managed-Lightning objects");
    const dryRun = async (c: DesiredChild & { object: KubeObject }) => {
      const answer = await t.context.asOperator.apply(c.object, { dryRun: true });
      t.is(answer.metadata.name, c.name, `${c.kind}/${c.name} dry-run`);
    };
    // A RoleBinding's admission resolves its Role (RBAC escalation check), so its dry-run runs
    // once the Role exists, as in the reconciler's order; every other object before any exists.
    for (const c of children.filter((x) => x.kind !== "RoleBinding")) await dryRun(c);
    const expected = [
      "StatefulSet/vault-lnd",
      "Service/vault-lnd",
      "PersistentVolumeClaim/vault-lnd-data",
      "Secret/vault-lnd-tls",
      "Secret/vault-lnd-wallet-password",
      "Secret/vault-lnd-macaroon-root-key",
      "Role/vault-node-agent",
      "RoleBinding/vault-node-agent",
      "NetworkPolicy/vault-lnd",
      "Deployment/vault-translator",
    ];
    await waitFor(async () => (await Promise.all(expected.map((r) => exists(t, r)))).every(Boolean), {
      what: "the managed-Lightning set",
      timeoutMs: 60_000,
    });
    for (const c of children.filter((x) => x.kind === "RoleBinding")) await dryRun(c);
    t.false(
      await exists(t, "Deployment/vault-node-agent"),
      "the agent is the lnd pod's sidecar in managed mode",
    );
    const tls = (await get(t, "Secret", "vault-lnd-tls")) as unknown as {
      data: Record<string, string>;
      type: string;
    };
    t.is(tls.type, "kubernetes.io/tls");
    t.regex(Buffer.from(tls.data["tls.crt"]!, "base64").toString(), /BEGIN CERTIFICATE/);
    const node = await waitFor(
      async () => {
        const n = await get(t, "HyperNode", "vault");
        return cond(n, "LightningWalletReady") ? n : undefined;
      },
      { what: "vault's conditions", timeoutMs: 30_000 },
    );
    t.is(cond(node, "LightningWalletReady")?.reason, "WaitingForLnd");
  },
);

test.serial(
  "TemplateProvider: Ready follows the Deployment's status.availableReplicas (pods made ready, then unready)",
  async (t) => {
    const { admin } = t.context.cluster;
    await admin.apply({
      apiVersion: API_VERSION,
      kind: "TemplateProvider",
      metadata: { name: "tp", namespace: NS },
      spec: {
        replicas: 1,
        network: "regtest",
        bitcoind: { rpcEndpoint: "bitcoind:18443", credentialsSecretName: "rpc" },
      },
    });
    const first = await waitFor(
      async () => {
        const c = cond(await get(t, "TemplateProvider", "tp"), "Ready");
        return c ? c : undefined;
      },
      { what: "TemplateProvider Ready condition", timeoutMs: 60_000 },
    );
    t.is(first.status, "False");
    t.is(first.reason, "NoReplicaAvailable");
    t.true(await exists(t, "Secret/tp-authority-key"));
    t.true(await exists(t, "Service/tp-tp"));
    // No kubelet runs here: play its part by marking the pod Ready; the ReplicaSet and
    // Deployment controllers then raise availableReplicas as in a cluster.
    const setPodsReady = async (ready: boolean) => {
      const pods = await waitFor(
        async () => {
          const l = await admin.list("Pod", NS, "app.kubernetes.io/name=template-provider");
          return l.items.length ? l.items : undefined;
        },
        { what: "the ReplicaSet's pod", timeoutMs: 60_000 },
      );
      for (const p of pods) {
        await admin.mergePatch(
          "Pod",
          NS,
          p.metadata.name,
          {
            status: {
              phase: "Running",
              conditions: [
                {
                  type: "Ready",
                  status: ready ? "True" : "False",
                  lastTransitionTime: new Date().toISOString(),
                },
              ],
            },
          },
          "status",
        );
      }
    };
    await setPodsReady(true);
    await waitFor(async () => cond(await get(t, "TemplateProvider", "tp"), "Ready")?.status === "True", {
      what: "Ready=True",
      timeoutMs: 60_000,
    });
    t.is(
      ((await get(t, "Deployment", "tp-tp"))!.status as { availableReplicas: number }).availableReplicas,
      1,
    );
    await setPodsReady(false);
    await waitFor(async () => cond(await get(t, "TemplateProvider", "tp"), "Ready")?.status === "False", {
      what: "Ready=False again",
      timeoutMs: 60_000,
    });
    t.is(
      ((await get(t, "TemplateProvider", "tp"))!.status as { availableReplicas: number }).availableReplicas,
      0,
    );
  },
);

const windowHash = "7f".repeat(32);
test.serial(
  "PayoutWindow (Core stand-in): a window settled by Core appears with Core's totals and digest; hold: true reaches Core",
  async (t) => {
    const base = {
      blockHash: windowHash,
      height: 205,
      subsidySats: "5000000000",
      feesSats: "12345",
      poolFeeSats: "50000000",
      treasurySats: "25000000",
      nodeNetworkSats: "25000000",
      recipientCount: 4,
      paidSats: "0",
      pendingSats: "4950012345",
      payoutDigest: null,
      hold: false,
    };
    t.context.core.windows.set(windowHash, { ...base, phase: "Maturing" });
    const name = `window-205-${windowHash.slice(0, 12)}`;
    await waitFor(
      async () =>
        ((await get(t, "PayoutWindow", name))?.status as { phase?: string } | undefined)?.phase ===
        "Maturing",
      { what: "the Maturing mirror", timeoutMs: 30_000 },
    );
    t.context.core.windows.set(windowHash, {
      ...base,
      phase: "Settled",
      paidSats: "4950012345",
      pendingSats: "0",
      payoutDigest: "9a".repeat(32),
    });
    const settled = await waitFor(
      async () => {
        const w = await get(t, "PayoutWindow", name);
        return (w?.status as { phase?: string } | undefined)?.phase === "Settled" ? w : undefined;
      },
      { what: "the Settled mirror", timeoutMs: 30_000 },
    );
    t.like(settled.status, {
      height: 205,
      paidSats: "4950012345",
      pendingSats: "0",
      totals: {
        subsidySats: "5000000000",
        feesSats: "12345",
        poolFeeSats: "50000000",
        treasurySats: "25000000",
        nodeNetworkSats: "25000000",
        recipientCount: 4,
        payoutDigest: "9a".repeat(32),
      },
    });
    await t.context.cluster.admin.mergePatch("PayoutWindow", NS, name, { spec: { hold: true } });
    await waitFor(() => t.context.core.windows.get(windowHash)?.hold === true, {
      what: "Core to hold the window",
      timeoutMs: 30_000,
    });
    await waitFor(
      async () =>
        ((await get(t, "PayoutWindow", name))?.status as { held?: boolean } | undefined)?.held === true,
      { what: "status.held", timeoutMs: 30_000 },
    );
    t.true(t.context.core.requests.includes(`PATCH /api/v1/windows/${windowHash}`));
  },
);

test.serial(
  "ops: /readyz is 200 once caches sync; /metrics has controller-runtime's reconcile and workqueue series",
  async (t) => {
    const base = `http://127.0.0.1:${t.context.operator.ops.port}`;
    t.is((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const series of [
      'controller_runtime_reconcile_total{controller="hypernode",result="requeue_after"}',
      'controller_runtime_reconcile_total{controller="templateprovider",result="success"}',
      "controller_runtime_reconcile_errors_total",
      'controller_runtime_reconcile_time_seconds_count{controller="payoutwindow"}',
      'workqueue_adds_total{name="hypernode",controller="hypernode"}',
      "workqueue_depth",
      "workqueue_queue_duration_seconds_bucket",
      "workqueue_work_duration_seconds_bucket",
      "workqueue_retries_total",
      "hyperhash_operator_api_requests_total",
    ])
      t.true(text.includes(series), series);
  },
);
