/**
 * PayoutWindow `spec.hold` against the real payment path: real btcd + treasury lnd + node lnd
 * (startDevnet), the real Core fed through its pool-outbox consumer, a real node agent, the real
 * treasury (`startTreasury`) and the operator on a real control plane.
 */
import { join } from "node:path";
import { subsidy } from "@hyperhash/bitcoin";
import { type Devnet, fundWallet, startDevnet, waitFor } from "@hyperhash/devnet";
import { type NodeAgent, startNodeAgent } from "@hyperhash/node-agent";
import { startTreasury } from "@hyperhash/treasury";
import anyTest, { type TestFn } from "ava";
import * as ln from "ln-service";
import { httpCoreClient } from "../../src/core/core-client.ts";
import { lndHandle } from "../../src/lightning/handle.ts";
import { type RunningOperator, startOperator } from "../../src/operator.ts";
import { operatorKubeconfig, startTestCluster, type TestCluster } from "../support/cluster.ts";
import { ADMIN_TOKEN, startTestCore, type TestCore, TREASURY_TOKEN } from "../support/core.ts";

interface Ctx {
  devnet: Devnet;
  core: TestCore;
  agent: NodeAgent;
  nodeId: string;
  cluster: TestCluster;
  operator: RunningOperator;
}
const test = anyTest as TestFn<Ctx>;
const NS = "hyperhash";
const AGENT_TOKEN = "operator-test-agent-token-0123";

test.before(async (t) => {
  const [devnet, cluster] = await Promise.all([
    startDevnet({ nodes: 1, controlPlane: false, channelSats: 5_000_000n }),
    startTestCluster("hold"),
  ]);
  Object.assign(t.context, { devnet, cluster });
  // The miners' part is paid on chain in one batch from the treasury's wallet.
  await fundWallet(devnet.btcd, devnet.treasury, 1_400_000_000n);
  const core = await startTestCore(devnet.btcd.rpc, { payoutConfirmations: 1 });
  t.context.core = core;
  const lnd = devnet.nodes[0]!;
  const { nodeId, credential } = await core.call<{ nodeId: string; credential: string }>(
    "POST",
    "/api/v1/nodes",
    { body: { name: "hyperhash.node1", visibility: "public", lightningPubkey: lnd.pubkey } },
  );
  t.context.nodeId = nodeId;
  t.context.agent = await startNodeAgent({
    host: "127.0.0.1",
    port: 0,
    apiToken: AGENT_TOKEN,
    lnd: { socket: lnd.grpcSocket, certPem: lnd.certPem, macaroonHex: lnd.macaroonHex },
    treasuryPubkey: devnet.treasury.pubkey,
    invoiceStorePath: join(devnet.dir, "agent-invoices.json"),
    invoiceExpirySeconds: 3600,
    core: { url: core.url, nodeId, credential, telemetryIntervalMs: 60_000 },
    logLevel: "warn",
  });
  t.context.operator = await startOperator({
    kubeconfigPath: await operatorKubeconfig(cluster),
    core: httpCoreClient({ baseUrl: core.url, adminToken: ADMIN_TOKEN }),
    treasurySecret: { namespace: NS, name: "treasury-lnd" },
    windowPollMs: 300,
    opsHost: "127.0.0.1",
    opsPort: 0,
    logLevel: "warn",
    controllers: ["payoutwindow"],
  });
});

test.after.always(async (t) => {
  await t.context.operator?.stop();
  await t.context.agent?.stop();
  await t.context.core?.stop();
  await t.context.cluster?.stop();
  await t.context.devnet?.stop();
});

interface CoreWindowJson {
  phase: string;
  S: string;
  F: string;
  P: string;
  T: string;
  N: string;
  recipientCount: number | null;
  paidSats: string;
  inFlightSats: string;
  pendingSats: string;
  payoutDigest: string | null;
  hold: boolean;
}
type PwStatus = { phase?: string; held?: boolean; paidSats?: string; totals?: Record<string, unknown> };

test.serial(
  "PayoutWindow hold: a Calculated window held with spec.hold (kubectl patch) is not paid by the real treasury; released, it is paid and the PayoutWindow reaches Settled with Core's totals and digest",
  async (t) => {
    const { devnet, core, cluster, nodeId } = t.context;
    const lnd = devnet.nodes[0]!;
    // After the regtest halving at 450 the subsidy is 6.25 BTC: N fits the 5,000,000-sat channel.
    const tip = await devnet.btcd.rpc.getBlockCount();
    if (tip < 449) await devnet.btcd.mine(449 - tip);
    const [blockHash] = (await devnet.btcd.mine(1)) as [string];
    const height = await devnet.btcd.rpc.getBlockCount();
    t.is(subsidy(height, "regtest"), 625_000_000n);
    const minerAddress = await lnd.wallet.createAddress();
    core.publish({
      blockHash,
      height,
      winner: minerAddress,
      shares: [{ destination: minerAddress, nodeId, work: "1000000", count: 10 }],
    });
    const window = () => core.call<CoreWindowJson>("GET", `/api/v1/windows/${blockHash}`);
    const name = `window-${height}-${blockHash.slice(0, 12)}`;
    const pw = async () =>
      (await cluster.admin.get("PayoutWindow", NS, name))?.status as PwStatus | undefined;
    await waitFor(async () => (await pw())?.phase === "Calculated", {
      what: "the Calculated PayoutWindow",
      timeoutMs: 60_000,
    });

    // kubectl patch pw <name> --type=merge -p '{"spec":{"hold":true}}'
    await cluster.admin.mergePatch("PayoutWindow", NS, name, { spec: { hold: true } });
    await waitFor(async () => (await window()).hold, { what: "Core to hold the window", timeoutMs: 30_000 });
    await waitFor(async () => (await pw())?.held === true, { what: "status.held", timeoutMs: 30_000 });

    // The treasury, its agent configured without a pubkey: it reads the node's pubkey from Core.
    const treasury = await startTreasury(
      {
        core: { url: core.url, token: TREASURY_TOKEN },
        lnd: {
          socket: devnet.treasury.grpcSocket,
          certPem: devnet.treasury.certPem,
          macaroonHex: devnet.treasury.macaroonHex,
        },
        dbPath: join(devnet.dir, "treasury.sqlite"),
        agents: new Map([[nodeId, { url: t.context.agent.url, token: AGENT_TOKEN }]]),
        feeLimits: { baseSats: 10n, ppm: 5000n },
        minInvoiceLifeSeconds: 120,
        onchainMinSats: 100_000n,
        pollIntervalMs: 300,
        metricsIntervalMs: 60_000,
        concurrency: 1,
        opsHost: "127.0.0.1",
        fault: {},
        logLevel: "warn",
      },
      { autoRun: false },
    );
    // ava clones the before-hook context for each test, so the after hook would never see
    // a treasury stored on it: stop it with the test, or its timers keep the worker alive.
    t.teardown(() => treasury.stop());
    for (let round = 0; round < 3; round++) {
      const report = await treasury.runRound();
      t.is(report.due, 0, `round ${round}: nothing is due from a held window`);
      t.is(report.errors, 0);
    }
    const held = await window();
    t.like(held, { phase: "Calculated", paidSats: "0", inFlightSats: "0", hold: true });
    const lndPayments = (await ln.getPayments({
      lnd: lndHandle({
        socket: devnet.treasury.grpcSocket,
        certPem: devnet.treasury.certPem,
        macaroonHex: devnet.treasury.macaroonHex,
      }),
    })) as { payments: unknown[] };
    t.is(lndPayments.payments.length, 0, "the treasury's lnd sent nothing");
    const audit = await core.call<{ entries: unknown[] }>("GET", "/api/v1/audit");
    t.is(audit.entries.length, 0, "no payment intent was recorded");

    await cluster.admin.mergePatch("PayoutWindow", NS, name, { spec: { hold: false } });
    await waitFor(async () => !(await window()).hold, { what: "Core to release it", timeoutMs: 30_000 });
    await waitFor(
      async () => {
        await treasury.runRound();
        return (await window()).phase === "Settled";
      },
      { what: "the treasury to pay the window", timeoutMs: 180_000, intervalMs: 500 },
    );
    const settled = await waitFor(
      async () => {
        const s = await pw();
        return s?.phase === "Settled" ? s : undefined;
      },
      { what: "the Settled PayoutWindow", timeoutMs: 30_000 },
    );
    const w = await window();
    const payouts = await core.call<{ payoutDigest: string; recipients: Array<{ recipientId: string }> }>(
      "GET",
      `/api/v1/windows/${blockHash}/payouts`,
    );
    t.like(settled, {
      held: false,
      paidSats: w.paidSats,
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
    t.is(w.pendingSats, "0");
    const succeeded = (
      await core.call<{ entries: Array<{ event: string; recipientId: string }> }>("GET", "/api/v1/audit")
    ).entries.filter((e) => e.event === "succeeded");
    t.deepEqual(
      succeeded.map((e) => e.recipientId).sort(),
      [`miner:${minerAddress}`, `node:${nodeId}`],
      "the miner (on chain) and the node (invoice to the pubkey Core holds) were each paid once",
    );
  },
);
