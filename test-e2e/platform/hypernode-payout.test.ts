// The platform path end to end on the devnet's node (issue 20): the chart installed, a node
// owner's lnd beside it, a HyperNode applied (external mode, translator on) → the operator in its
// pod registers it, runs its node agent and translator, the treasury opens the channel → an SV1
// miner on this machine mines through the node's translator Service → a block → the window is
// Settled with the node paid over Lightning, amounts equal to Core's payout list and the owner
// lnd's settled invoices → deleting the HyperNode removes its pods and children.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { payoutsResponse, windowSummary } from "@hyperhash/contracts";
import {
  deployOwnerLnd,
  externalHyperNode,
  installPlatform,
  type OwnerLnd,
  type Platform,
  type SharedCluster,
  sharedCluster,
  waitFor,
  waitForHyperNodeReady,
} from "@hyperhash/devnet";
import { type Sv1Miner, startSv1Miner } from "@hyperhash/translator";
import test from "ava";

let cluster: SharedCluster;
let platform: Platform;
let owner: OwnerLnd;
let miner: Sv1Miner | undefined;
let workDir = "";
const release = `e2e${process.pid % 100000}`;
const ns = `e2e-${process.pid}`;
const hypernode = "edge";

type Status = {
  nodeId?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
};
const statusOf = async (): Promise<Status> =>
  JSON.parse(
    (await cluster.kubectl(["-n", ns, "get", "hypernode", hypernode, "-o", "jsonpath={.status}"])) || "{}",
  );
const condition = (s: Status, type: string) => s.conditions?.find((c) => c.type === type);

/** Core's admin API from this machine, through its ClusterIP. */
async function coreAdmin(path: string): Promise<unknown> {
  const ip = (
    await cluster.kubectl([
      "-n",
      ns,
      "get",
      "svc",
      `${platform.prefix}-core`,
      "-o",
      "jsonpath={.spec.clusterIP}",
    ])
  ).trim();
  const token = Buffer.from(
    await cluster.kubectl([
      "-n",
      ns,
      "get",
      "secret",
      `${platform.prefix}-tokens`,
      "-o",
      "jsonpath={.data.admin}",
    ]),
    "base64",
  ).toString("utf8");
  const res = await fetch(`http://${ip}:8080${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

test.before(async (t) => {
  t.timeout(600_000, "the platform install and the owner lnd");
  cluster = sharedCluster();
  workDir = mkdtempSync(join(tmpdir(), "hh-e2e-cluster-"));
  platform = await installPlatform({
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: ns,
    release,
    workDir,
  });
  owner = await deployOwnerLnd({ kubeconfigPath: cluster.kubeconfigPath, platform }, "edge-lnd");
});

test.after.always(async () => {
  await miner?.stop();
  await cluster?.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test.serial(
  "a HyperNode applied with kubectl becomes Ready: registered, wallet, treasury channel, telemetry",
  async (t) => {
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(externalHyperNode(ns, hypernode, owner)));
    const ready = await waitForHyperNodeReady(
      { kubeconfigPath: cluster.kubeconfigPath, platform },
      hypernode,
    );
    t.regex(ready.nodeId ?? "", /^hn_/);
    for (const type of ["LightningWalletReady", "TreasuryChannelOpen", "TelemetryReporting"]) {
      t.is(condition(ready, type)?.status, "True", type);
    }
    const pods = await cluster.kubectl([
      "-n",
      ns,
      "get",
      "pods",
      "-l",
      `hyperhash.network/hypernode=${hypernode}`,
      "-o",
      "name",
    ]);
    t.true(pods.includes("translator") && pods.includes("node-agent"), pods);
  },
);

test.serial(
  "an SV1 miner mines through the node's translator Service; the window settles and the node is paid over Lightning",
  async (t) => {
    const status = await statusOf();
    const ip = (
      await cluster.kubectl([
        "-n",
        ns,
        "get",
        "svc",
        `${hypernode}-translator`,
        "-o",
        "jsonpath={.spec.clusterIP}",
      ])
    ).trim();
    const port = Number(
      await cluster.kubectl([
        "-n",
        ns,
        "get",
        "svc",
        `${hypernode}-translator`,
        "-o",
        "jsonpath={.spec.ports[0].port}",
      ]),
    );
    const destination = (JSON.parse(await owner.lncli(["newaddress", "p2wkh"])) as { address: string })
      .address;
    const startHeight = await platform.rpc.getBlockCount();
    miner = await startSv1Miner({ host: ip, port, user: `${destination}.rig1` });
    await waitFor(() => miner!.stats().accepted >= 3, {
      what: "3 accepted shares through the translator",
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    // A block from the pool (regtest blockTarget): btcd's tip moves past what the test mined.
    await waitFor(async () => (await platform.rpc.getBlockCount()) > startHeight, {
      what: "a block found through the pool",
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    await miner.stop();
    miner = undefined;
    // One confirmation (the regtest profile's payoutConfirmations) and the window settles.
    const settled = await waitFor(
      async () => {
        await platform.rpc.generate(1);
        const windows = (await cluster.kubectl(["-n", ns, "get", "payoutwindows", "-o", "json"])) || "{}";
        const items = (JSON.parse(windows).items ?? []) as Array<{
          status?: { phase?: string; blockHash?: string };
        }>;
        return items.find((w) => w.status?.phase === "Settled");
      },
      { what: "a PayoutWindow Settled", timeoutMs: 240_000, intervalMs: 2000 },
    );
    const hash = settled.status!.blockHash!;
    t.log(`window ${hash} Settled`);
    const window = windowSummary.parse(await coreAdmin(`/api/v1/windows/${hash}`));
    t.is(window.phase, "Settled");
    const payouts = payoutsResponse.parse(await coreAdmin(`/api/v1/windows/${hash}/payouts`));
    const nodePart = payouts.recipients.find(
      (r) => r.kind === "node" && r.recipientId.includes(status.nodeId!),
    );
    t.truthy(nodePart, "the node has a part in the window");
    const invoices = JSON.parse(await owner.lncli(["listinvoices"])) as {
      invoices: Array<{ state: string; amt_paid_sat: string }>;
    };
    const paid = invoices.invoices
      .filter((i) => i.state === "SETTLED")
      .reduce((s, i) => s + BigInt(i.amt_paid_sat), 0n);
    t.is(paid, BigInt(nodePart!.amountSats), "the owner lnd settled exactly the node's part");
  },
);

test.serial("deleting the HyperNode removes its pods and children and deregisters it at Core", async (t) => {
  const { nodeId } = await statusOf();
  await cluster.kubectl(["-n", ns, "delete", "hypernode", hypernode, "--wait=true", "--timeout=180s"]);
  await waitFor(
    async () =>
      (
        await cluster.kubectl([
          "-n",
          ns,
          "get",
          "pods,deployments,services,secrets,lightningchannels",
          "-l",
          `hyperhash.network/hypernode=${hypernode}`,
          "-o",
          "name",
        ])
      ).trim() === "",
    { what: "the HyperNode's children to go", timeoutMs: 180_000, intervalMs: 500 },
  );
  const nodes = (await coreAdmin("/api/v1/nodes")) as { nodes: Array<{ nodeId: string }> };
  t.false(nodes.nodes.some((n) => n.nodeId === nodeId));
});
