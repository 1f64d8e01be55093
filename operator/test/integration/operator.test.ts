import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildHyperNodeChildren, type DesiredChild } from "@hyperhash/cdk8s";
import { type Btcd, startBtcd, waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { API_VERSION } from "../../src/api/index.ts";
import { httpCoreClient } from "../../src/core/core-client.ts";
import { defaultPlatform, type RunningOperator, startOperator } from "../../src/operator.ts";
import type { KubeClient, KubeObject } from "../../src/runtime/kube.ts";
import { clientFor, operatorKubeconfig, startTestCluster, type TestCluster } from "../support/cluster.ts";
import { ADMIN_TOKEN, POOL_TOKEN, regtestAddress, startTestCore, type TestCore } from "../support/core.ts";

const test = anyTest as TestFn<{
  dir: string;
  btcd: Btcd;
  cluster: TestCluster;
  core: TestCore;
  kubeconfigPath: string;
  /** A holder: ava copies the context per test, so a restarted operator must live in here. */
  op: { operator: RunningOperator };
  asOperator: KubeClient;
}>;
const NS = "hyperhash";
// Maturing for one block after the window's own, so the mirror is seen in both phases.
const CONFIRMATIONS = 2;

const startTheOperator = (t: { context: { core: TestCore; kubeconfigPath: string } }) =>
  startOperator({
    kubeconfigPath: t.context.kubeconfigPath,
    core: httpCoreClient({ baseUrl: t.context.core.url, adminToken: ADMIN_TOKEN }),
    treasurySecret: { namespace: NS, name: "treasury-lnd" },
    telemetryStaleMs: 60_000,
    pollMs: 1_000,
    windowPollMs: 500,
    opsHost: "127.0.0.1",
    opsPort: 0,
    logLevel: "warn",
  });

test.before(async (t) => {
  t.context.dir = mkdtempSync(join(tmpdir(), "hh-op-ctl-"));
  const [cluster, btcd] = await Promise.all([
    startTestCluster("ctl"),
    startBtcd({ dir: t.context.dir, activateSegwit: false }),
  ]);
  Object.assign(t.context, { cluster, btcd });
  t.context.core = await startTestCore(btcd.rpc, { payoutConfirmations: CONFIRMATIONS });
  t.context.kubeconfigPath = await operatorKubeconfig(cluster);
  t.context.asOperator = clientFor(t.context.kubeconfigPath, "hyperhash-operator");
  t.context.op = { operator: await startTheOperator(t) };
  // Secrets the external-mode HyperNodes point at (an lnd that is not there: wallet not ready).
  await cluster.admin.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "edge-lnd", namespace: NS },
    stringData: { "tls.cert": "not a cert", "admin.macaroon.hex": "00" },
  } as never);
});
test.after.always(async (t) => {
  await t.context.op?.operator.stop();
  await t.context.core?.stop();
  await t.context.cluster?.stop();
  await t.context.btcd?.stop();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
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

interface CoreNodeJson {
  nodeId: string;
  name: string;
  telemetry: { reportedAt: string } | null;
}
const secretData = async (t: { context: { cluster: TestCluster } }, name: string) => {
  const s = (await get(t, "Secret", name)) as unknown as { data?: Record<string, string> } | undefined;
  return Object.fromEntries(
    Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
  );
};
const credentialValid = async (t: { context: { core: TestCore } }, nodeId: string, credential: string) =>
  (
    await t.context.core.call<{ valid: boolean }>("POST", "/api/v1/nodes/verify", {
      token: POOL_TOKEN,
      body: { nodeId, credential },
    })
  ).valid;
const nodeIdOf = (o: KubeObject | undefined) => (o?.status as { nodeId?: string } | undefined)?.nodeId;

test.serial(
  "HyperNode: applying creates exactly the children its spec needs; real Core registration gives status.nodeId and <name>-credentials",
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
        return nodeIdOf(n) ? n : undefined;
      },
      { what: "status.nodeId", timeoutMs: 30_000 },
    );
    const nodeId = nodeIdOf(node)!;
    const registered = await t.context.core.call<CoreNodeJson>("GET", `/api/v1/nodes/${nodeId}`);
    t.is(registered.name, "hyperhash.edge");
    const secret = await secretData(t, "edge-credentials");
    t.is(secret.nodeId, nodeId);
    t.true(await credentialValid(t, nodeId, secret.credential!), "Core accepts the stored credential");
    t.is(cond(node, "Registered")?.status, "True");
    t.is(cond(node, "LightningWalletReady")?.status, "False");
    t.is(cond(node, "Ready")?.status, "False");
    t.is((node.status as { observedGeneration: number }).observedGeneration, node.metadata.generation ?? -1);
  },
);

test.serial(
  "HyperNode: TelemetryReporting follows Core's telemetry freshness (invariant 3), reported with the node's own credential",
  async (t) => {
    const node = await get(t, "HyperNode", "edge");
    const nodeId = nodeIdOf(node)!;
    t.is(cond(node, "TelemetryReporting")?.reason, "NoTelemetry");
    const { credential } = await secretData(t, "edge-credentials");
    const report = () =>
      t.context.core.call("POST", `/api/v1/nodes/${nodeId}/telemetry`, {
        token: credential,
        body: {
          lightning: {
            pubkey: `02${"ab".repeat(32)}`,
            syncedToChain: true,
            channels: [],
            onchainBalanceSats: "0",
            routingFeesSats: "0",
          },
        },
      });
    await report();
    await waitFor(
      async () => cond(await get(t, "HyperNode", "edge"), "TelemetryReporting")?.status === "True",
      { what: "TelemetryReporting=True", timeoutMs: 30_000 },
    );
    // Core's clock an hour back: the next report is stamped an hour old.
    t.context.core.clockOffsetMs = -3_600_000;
    try {
      await report();
    } finally {
      t.context.core.clockOffsetMs = 0;
    }
    const stale = await waitFor(
      async () => {
        const c = cond(await get(t, "HyperNode", "edge"), "TelemetryReporting");
        return c?.status === "False" ? c : undefined;
      },
      { what: "TelemetryReporting=False", timeoutMs: 30_000 },
    );
    t.is(stale.reason, "TelemetryStale");
  },
);

test.serial(
  "HyperNode registration: an operator restarted after losing status and Secret meets Core's 409 node-exists, adopts error.nodeId (Secret kept) or rotates the credential (Secret gone)",
  async (t) => {
    const { admin } = t.context.cluster;
    const nodeId = nodeIdOf(await get(t, "HyperNode", "edge"))!;
    const first = await secretData(t, "edge-credentials");
    const restartAfter = async (lose: () => Promise<void>) => {
      await t.context.op.operator.stop();
      await lose();
      await admin.mergePatch("HyperNode", NS, "edge", { status: { nodeId: null } }, "status");
      t.is(nodeIdOf(await get(t, "HyperNode", "edge")), undefined);
      t.context.op.operator = await startTheOperator(t);
      await waitFor(
        async () =>
          nodeIdOf(await get(t, "HyperNode", "edge")) === nodeId &&
          (await secretData(t, "edge-credentials")).nodeId === nodeId,
        { what: "status.nodeId and the Secret's nodeId back", timeoutMs: 60_000 },
      );
    };
    // 1. The Secret keeps the credential but lost its node id: the id is adopted, nothing rotated.
    await restartAfter(async () => {
      await admin.mergePatch("Secret", NS, "edge-credentials", { data: { nodeId: null } });
    });
    t.is((await secretData(t, "edge-credentials")).credential, first.credential);
    t.true(await credentialValid(t, nodeId, first.credential!), "the kept credential still works");
    // 2. The Secret is gone: Core's credential is rotated and written to a new Secret.
    await restartAfter(() => admin.delete("Secret", NS, "edge-credentials"));
    const second = await secretData(t, "edge-credentials");
    t.not(second.credential, first.credential);
    t.true(await credentialValid(t, nodeId, second.credential!), "the rotated credential works");
    t.false(await credentialValid(t, nodeId, first.credential!), "the lost credential no longer works");
    const { nodes } = await t.context.core.call<{ nodes: CoreNodeJson[] }>("GET", "/api/v1/nodes");
    t.deepEqual(
      nodes.filter((n) => n.name === "hyperhash.edge").map((n) => n.nodeId),
      [nodeId],
      "still one Core node under the name",
    );
    t.is(cond(await get(t, "HyperNode", "edge"), "Registered")?.status, "True");
  },
);

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
  "HyperNode: deleting it deregisters the node at the real Core (finalizer; the credential stops working), then garbage-collects every child",
  async (t) => {
    const before = await get(t, "HyperNode", "edge");
    t.true(before?.metadata.finalizers?.includes("hyperhash.network/core-registration"), "finalizer held");
    const nodeId = nodeIdOf(before)!;
    const { credential } = await secretData(t, "edge-credentials");
    t.true(await credentialValid(t, nodeId, credential!));
    await t.context.cluster.admin.delete("HyperNode", NS, "edge");
    await waitFor(async () => (await get(t, "HyperNode", "edge")) === undefined, {
      what: "the finalizer to deregister the node and let the HyperNode go",
      timeoutMs: 60_000,
    });
    t.is(
      (await t.context.core.raw("GET", `/api/v1/nodes/${nodeId}`)).status,
      404,
      "Core no longer has the node",
    );
    t.false(await credentialValid(t, nodeId, credential!), "the pool would refuse its credential");
    const repeat = await t.context.core.raw("DELETE", `/api/v1/nodes/${nodeId}`);
    t.is(repeat.status, 200, "deregistration is idempotent (the audit record answers)");
    t.like(repeat.body, { nodeId, name: "hyperhash.edge", deregisteredBy: "admin" });
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
    t.is(cond(node, "LightningWalletReady")?.reason, "WaitingForWalletInit");
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

interface CoreWindowJson {
  phase: string;
  height: number;
  S: string;
  F: string;
  P: string;
  T: string;
  N: string;
  recipientCount: number | null;
  paidSats: string;
  pendingSats: string;
  payoutDigest: string | null;
  hold: boolean;
}
const pwStatus = async (t: { context: { cluster: TestCluster } }, name: string) =>
  (await get(t, "PayoutWindow", name))?.status as
    | { phase?: string; held?: boolean; totals?: Record<string, unknown>; [k: string]: unknown }
    | undefined;

test.serial(
  "PayoutWindow (real Core, real btcd): a window fed through Core's pool outbox is mirrored Maturing, then Calculated with Core's totals and digest; spec.hold reaches Core both ways",
  async (t) => {
    const { btcd, core, cluster } = t.context;
    const [blockHash] = (await btcd.mine(1)) as [string];
    const height = await btcd.rpc.getBlockCount();
    const winner = regtestAddress("winner");
    core.publish({
      blockHash,
      height,
      winner,
      shares: [
        { destination: winner, nodeId: null, work: "3", count: 3 },
        { destination: regtestAddress("other"), nodeId: null, work: "1", count: 1 },
      ],
    });
    const name = `window-${height}-${blockHash.slice(0, 12)}`;
    await waitFor(async () => (await pwStatus(t, name))?.phase === "Maturing", {
      what: "the Maturing mirror",
      timeoutMs: 30_000,
    });
    t.deepEqual((await get(t, "PayoutWindow", name))?.spec, { blockHash, hold: false });
    // kubectl patch pw <name> --type=merge -p '{"spec":{"hold":true}}'
    await cluster.admin.mergePatch("PayoutWindow", NS, name, { spec: { hold: true } });
    await waitFor(async () => (await core.call<CoreWindowJson>("GET", `/api/v1/windows/${blockHash}`)).hold, {
      what: "Core to hold the window",
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await pwStatus(t, name))?.held === true, {
      what: "status.held",
      timeoutMs: 30_000,
    });
    await btcd.mine(CONFIRMATIONS - 1);
    const status = await waitFor(
      async () => {
        const s = await pwStatus(t, name);
        return s?.phase === "Calculated" ? s : undefined;
      },
      { what: "the Calculated mirror", timeoutMs: 60_000 },
    );
    const w = await core.call<CoreWindowJson>("GET", `/api/v1/windows/${blockHash}`);
    const payouts = await core.call<{ payoutDigest: string }>("GET", `/api/v1/windows/${blockHash}/payouts`);
    t.is(w.phase, "Calculated");
    t.is(w.payoutDigest, payouts.payoutDigest as string | null);
    t.like(status, {
      height,
      held: true,
      paidSats: w.paidSats,
      pendingSats: w.pendingSats,
      totals: {
        subsidySats: w.S,
        feesSats: w.F,
        poolFeeSats: w.P,
        treasurySats: w.T,
        nodeNetworkSats: w.N,
        recipientCount: w.recipientCount,
        payoutDigest: payouts.payoutDigest,
      },
    });
    await cluster.admin.mergePatch("PayoutWindow", NS, name, { spec: { hold: false } });
    await waitFor(
      async () => !(await core.call<CoreWindowJson>("GET", `/api/v1/windows/${blockHash}`)).hold,
      { what: "Core to release the window", timeoutMs: 30_000 },
    );
    await waitFor(async () => (await pwStatus(t, name))?.held === false, {
      what: "status.held=false",
      timeoutMs: 30_000,
    });
  },
);

test.serial(
  "ops: /readyz is 200 once caches sync; /metrics has controller-runtime's reconcile and workqueue series",
  async (t) => {
    const base = `http://127.0.0.1:${t.context.op.operator.ops.port}`;
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
