/**
 * Managed Lightning, operator side (ARCHITECTURE.md "Managed Lightning", invariants 1 and 2),
 * against a real kube-apiserver, btcd and the treasury's lnd; the operator holds exactly the
 * generated ClusterRole. The node agent's `<hn>-lnd-macaroons` Secret is written here as the
 * agent writes it (node-agent README "Managed mode"; the agent's own test covers writing it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Btcd, type Lnd, startBtcd, startLnd, waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { API_VERSION } from "../../src/api/index.ts";
import { httpCoreClient } from "../../src/core/core-client.ts";
import { type RunningOperator, startOperator } from "../../src/operator.ts";
import type { KubeObject } from "../../src/runtime/kube.ts";
import { operatorKubeconfig, startTestCluster, type TestCluster } from "../support/cluster.ts";
import { ADMIN_TOKEN, startTestCore, type TestCore } from "../support/core.ts";

interface Ctx {
  dir: string;
  btcd: Btcd;
  treasury: Lnd;
  cluster: TestCluster;
  core: TestCore;
  operator: RunningOperator;
}
const test = anyTest as TestFn<Ctx>;
const NS = "hyperhash";
const NODE_PUBKEY = `03${"5a".repeat(32)}`;

test.before(async (t) => {
  t.context.dir = mkdtempSync(join(tmpdir(), "hh-op-managed-"));
  const btcd = await startBtcd({ dir: t.context.dir });
  t.context.btcd = btcd;
  const [treasury, cluster] = await Promise.all([
    startLnd({ dir: t.context.dir, alias: "treasury", btcd }),
    startTestCluster("managed"),
  ]);
  Object.assign(t.context, { treasury, cluster });
  t.context.core = await startTestCore(btcd.rpc);
  await cluster.admin.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "treasury-lnd", namespace: NS },
    stringData: {
      socket: treasury.grpcSocket,
      "tls.cert": treasury.certPem,
      "macaroon.hex": treasury.macaroonHex,
    },
  } as never);
  t.context.operator = await startOperator({
    kubeconfigPath: await operatorKubeconfig(cluster),
    core: httpCoreClient({ baseUrl: t.context.core.url, adminToken: ADMIN_TOKEN }),
    treasurySecret: { namespace: NS, name: "treasury-lnd" },
    platform: { neutrinoPeer: "hyperhash-btcd.hyperhash.svc:18444", treasuryPubkey: treasury.pubkey },
    pollMs: 2_000,
    opsHost: "127.0.0.1",
    opsPort: 0,
    logLevel: "warn",
    // No lightningchannel controller: the test asks only that the channel is requested.
    controllers: ["hypernode"],
  });
});

test.after.always(async (t) => {
  await t.context.operator?.stop();
  await t.context.core?.stop();
  await t.context.cluster?.stop();
  await t.context.treasury?.stop();
  await t.context.btcd?.stop();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

const cond = (o: KubeObject | undefined, type: string) =>
  (
    (o?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)
      ?.conditions ?? []
  ).find((c) => c.type === type);

test.serial(
  "managed HyperNode: WaitingForWalletInit until <hn>-lnd-macaroons exists; then its pubkey is in status and a treasury LightningChannel is requested toward it",
  async (t) => {
    const { admin } = t.context.cluster;
    await admin.apply({
      apiVersion: API_VERSION,
      kind: "HyperNode",
      metadata: { name: "vault", namespace: NS },
      spec: { visibility: "public", network: "regtest", lightning: { mode: "managed", managed: {} } },
    });
    const waiting = await waitFor(
      async () => {
        const hn = await admin.get("HyperNode", NS, "vault");
        return cond(hn ?? undefined, "LightningWalletReady")?.reason === "WaitingForWalletInit" && hn;
      },
      { what: "LightningWalletReady=False WaitingForWalletInit", timeoutMs: 60_000 },
    );
    t.is(cond(waiting, "LightningWalletReady")?.status, "False");
    t.is((waiting.status as { lightningPubkey?: string }).lightningPubkey, undefined);
    t.falsy(await admin.get("LightningChannel", NS, "vault-treasury-1"), "no channel without a pubkey");

    // The operator created the agent's Role under its own ClusterRole (RBAC escalation check).
    const role = (await admin.get("Role", NS, "vault-node-agent")) as unknown as { rules: unknown[] };
    t.deepEqual(role.rules, [
      { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["vault-lnd-seed", "vault-lnd-macaroons", "vault-lnd-scb"],
        verbs: ["get", "update", "patch"],
      },
    ]);
    const sts = (await admin.get("StatefulSet", NS, "vault-lnd")) as unknown as {
      spec: { template: { spec: { containers: Array<{ name: string; args?: string[] }> } } };
    };
    const args = sts.spec.template.spec.containers.find((c) => c.name === "lnd")!.args!;
    t.true(
      args.includes("--neutrino.connect=hyperhash-btcd.hyperhash.svc:18444"),
      "the platform's chain node",
    );

    // What the node agent writes once the wallet is active: raw macaroon bytes and the pubkey.
    await admin.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "vault-lnd-macaroons",
        namespace: NS,
        labels: { "hyperhash.network/hypernode": "vault" },
      },
      data: {
        "operator.macaroon": Buffer.from([0x02, 0x01, 0x03]).toString("base64"),
        "agent.macaroon": Buffer.from([0x02, 0x01, 0x04]).toString("base64"),
        pubkey: Buffer.from(NODE_PUBKEY).toString("base64"),
      },
    } as never);
    const channel = await waitFor(
      async () => (await admin.get("LightningChannel", NS, "vault-treasury-1")) ?? undefined,
      { what: "the operator to request LightningChannel vault-treasury-1", timeoutMs: 60_000 },
    );
    t.like(channel.spec, {
      nodeName: "vault",
      initiator: "treasury",
      peer: { pubkey: NODE_PUBKEY, address: `vault-lnd.${NS}.svc:9735` },
    });
    const hn = await waitFor(
      async () => {
        const o = await admin.get("HyperNode", NS, "vault");
        return (o?.status as { lightningPubkey?: string } | undefined)?.lightningPubkey ? o : undefined;
      },
      { what: "status.lightningPubkey", timeoutMs: 30_000 },
    );
    t.is((hn.status as { lightningPubkey: string }).lightningPubkey, NODE_PUBKEY);
    // No lnd pod runs here (no node for it): the operator's own gRPC check cannot pass.
    t.not(cond(hn, "LightningWalletReady")?.reason, "WaitingForWalletInit");
    t.like(cond(hn, "TreasuryChannelOpen"), { status: "False" });
  },
);
