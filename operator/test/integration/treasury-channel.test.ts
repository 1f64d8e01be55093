import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Btcd, fundWallet, type Lnd, startBtcd, startLnd, waitFor } from "@hyperhash/devnet";
import anyTest, { type TestFn } from "ava";
import { API_VERSION } from "../../src/api/index.ts";
import { httpCoreClient } from "../../src/core/core-client.ts";
import { closeChannel } from "../../src/lightning/close-channel.ts";
import { type RunningOperator, startOperator } from "../../src/operator.ts";
import type { KubeObject } from "../../src/runtime/kube.ts";
import { operatorKubeconfig, startTestCluster, type TestCluster } from "../support/cluster.ts";
import { type CoreStandIn, startCoreStandIn } from "../support/core-standin.ts";

interface Ctx {
  dir: string;
  btcd: Btcd;
  treasury: Lnd;
  node: Lnd;
  cluster: TestCluster;
  core: CoreStandIn;
  operator: RunningOperator;
}
const test = anyTest as TestFn<Ctx>;
const NS = "hyperhash";

test.before(async (t) => {
  t.context.dir = mkdtempSync(join(tmpdir(), "hh-op-lnd-"));
  const btcd = await startBtcd({ dir: t.context.dir });
  t.context.btcd = btcd;
  const [treasury, node, cluster] = await Promise.all([
    startLnd({ dir: t.context.dir, alias: "treasury", btcd }),
    startLnd({ dir: t.context.dir, alias: "node1", btcd }),
    startTestCluster("lnd"),
  ]);
  Object.assign(t.context, { treasury, node, cluster });
  await fundWallet(btcd, treasury, 5_000_000n);
  t.context.core = await startCoreStandIn();
  const { admin } = cluster;
  await admin.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "treasury-lnd", namespace: NS },
    stringData: {
      socket: treasury.grpcSocket,
      "tls.cert": treasury.certPem,
      "macaroon.hex": treasury.macaroonHex,
    },
  } as never);
  await admin.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "node1-lnd", namespace: NS },
    stringData: { "tls.cert": node.certPem, "admin.macaroon.hex": node.macaroonHex },
  } as never);
  t.context.operator = await startOperator({
    kubeconfigPath: await operatorKubeconfig(cluster),
    core: httpCoreClient({ baseUrl: t.context.core.url, adminToken: t.context.core.token }),
    treasurySecret: { namespace: NS, name: "treasury-lnd" },
    pollMs: 2_000,
    logLevel: "warn",
    controllers: ["hypernode", "lightningchannel"],
  });
});

test.after.always(async (t) => {
  await t.context.operator?.stop();
  await t.context.core?.close();
  await t.context.cluster?.stop();
  await t.context.node?.stop();
  await t.context.treasury?.stop();
  await t.context.btcd?.stop();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

const cond = (o: KubeObject | undefined, type: string) =>
  (
    (o?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)
      ?.conditions ?? []
  ).find((c) => c.type === type);
const phaseOf = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;

/** Mines a block per poll while something waits on the chain (lnd decides confirmation depth). */
async function mineUntil<T>(
  t: { context: Ctx },
  what: string,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  const { btcd, treasury, node } = t.context;
  return waitFor(
    async () => {
      const v = await check();
      if (!v) await btcd.mine(1);
      return v;
    },
    { what, timeoutMs: 150_000, intervalMs: 1_000, watch: [btcd.process, treasury.process, node.process] },
  );
}

test.serial(
  "Invariant 2 on regtest: an external HyperNode with no treasury channel gets a LightningChannel; the treasury's lnd opens it; TreasuryChannelOpen flips to True",
  async (t) => {
    const { cluster, node, treasury } = t.context;
    t.is((await treasury.wallet.listChannels()).length, 0);
    await cluster.admin.apply({
      apiVersion: API_VERSION,
      kind: "HyperNode",
      metadata: { name: "node1", namespace: NS },
      spec: {
        visibility: "public",
        network: "regtest",
        lightning: {
          mode: "external",
          external: {
            grpcEndpoint: node.grpcSocket,
            p2pAddress: node.p2pSocket,
            tlsCertSecretRef: { name: "node1-lnd", key: "tls.cert" },
            macaroonSecretRef: { name: "node1-lnd", key: "admin.macaroon.hex" },
          },
          minInboundSats: 500_000,
        },
      },
    });
    const channel = await waitFor(
      async () => (await cluster.admin.get("LightningChannel", NS, "node1-treasury-1")) ?? undefined,
      {
        what: "the operator to create LightningChannel node1-treasury-1",
        timeoutMs: 60_000,
      },
    );
    t.like(channel.spec, {
      initiator: "treasury",
      peer: { pubkey: node.pubkey, address: node.p2pSocket },
      nodeName: "node1",
    });
    const active = await mineUntil(t, "the LightningChannel to be Active", async () => {
      const c = await cluster.admin.get("LightningChannel", NS, "node1-treasury-1");
      return c && phaseOf(c) === "Active" ? c : undefined;
    });
    const status = active.status as {
      channelId: string;
      fundingOutpoint: string;
      capacitySats: string;
      localBalanceSats: string;
    };
    const real = (await treasury.wallet.listChannels()).find((c) => c.id === status.channelId);
    t.truthy(real, "the channel exists on the treasury's lnd");
    t.is(real!.peerPubkey, node.pubkey);
    t.true(real!.isOpener);
    t.is(status.fundingOutpoint, `${real!.fundingTxid}:${real!.fundingOutputIndex}`);
    t.true(BigInt(status.localBalanceSats) >= 500_000n);
    const hn = await waitFor(
      async () => {
        const n = await cluster.admin.get("HyperNode", NS, "node1");
        return cond(n, "TreasuryChannelOpen")?.status === "True" ? n : undefined;
      },
      { what: "TreasuryChannelOpen=True", timeoutMs: 60_000 },
    );
    t.is(cond(hn, "LightningWalletReady")?.status, "True");
    t.is((hn.status as { lightningPubkey: string }).lightningPubkey, node.pubkey);
    t.is((hn.status as { treasuryChannels: number }).treasuryChannels, 1);
    t.true(active.metadata.finalizers?.includes("hyperhash.network/lightning-channel") ?? false);
  },
);

test.serial(
  "Invariant 2 on regtest: closing the channel out of band flips TreasuryChannelOpen back and a new channel is opened",
  async (t) => {
    const { cluster, treasury, node } = t.context;
    const [open] = await treasury.wallet.listChannels();
    await closeChannel(
      { socket: treasury.grpcSocket, certPem: treasury.certPem, macaroonHex: treasury.macaroonHex },
      open!,
    );
    // No block needed: the treasury stops listing the channel once the close is broadcast.
    const flipped = await waitFor(
      async () => {
        const c = cond(await cluster.admin.get("HyperNode", NS, "node1"), "TreasuryChannelOpen");
        return c?.status === "False" ? c : undefined;
      },
      { what: "TreasuryChannelOpen=False", timeoutMs: 60_000 },
    );
    t.regex(flipped.reason, /ChannelMissing|ChannelOpening/);
    const closed = await waitFor(
      async () => {
        const c = await cluster.admin.get("LightningChannel", NS, "node1-treasury-1");
        return c && phaseOf(c) === "Closed" ? c : undefined;
      },
      { what: "LightningChannel node1-treasury-1 to be Closed", timeoutMs: 60_000 },
    );
    t.is(cond(closed, "Ready")?.reason, "ChannelClosed");
    const second = await mineUntil(t, "LightningChannel node1-treasury-2 to be Active", async () => {
      const c = await cluster.admin.get("LightningChannel", NS, "node1-treasury-2");
      return c && phaseOf(c) === "Active" ? c : undefined;
    });
    const id = (second.status as { channelId: string }).channelId;
    t.not(id, (closed.status as { channelId: string }).channelId);
    t.true((await node.wallet.listChannels()).some((c) => c.id === id && c.active));
    await waitFor(
      async () =>
        cond(await cluster.admin.get("HyperNode", NS, "node1"), "TreasuryChannelOpen")?.status === "True",
      {
        what: "TreasuryChannelOpen=True again",
        timeoutMs: 60_000,
      },
    );
  },
);
