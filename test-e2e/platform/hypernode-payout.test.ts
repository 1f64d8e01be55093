// The platform path end to end on the devnet's node (issue 20), part of `npm test`: the chart
// installed (regtest, btcd), a node owner's lnd beside it, two HyperNodes applied with kubectl —
// one managed (the operator runs its lnd; the node agent sidecar creates the wallet) and one
// external (the owner's lnd) — both become Ready; an SV1 miner on this machine mines through the
// managed node's translator Service → a block → the PayoutWindow is Settled with the node paid
// over Lightning into its managed lnd, amounts equal to Core's payout list and lnd's invoices.
// On the way the pool's, the treasury's and the operator's pods are killed (no acknowledged share lost, nothing
// paid twice); a HyperNode whose Secret is missing shows why and recovers; deleting a HyperNode
// removes its pods and children and deregisters it at Core.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ledgerResponse, listNodesResponse, payoutsResponse, windowSummary } from "@hyperhash/contracts";
import {
  chartDir,
  deployOwnerLnd,
  externalHyperNode,
  type HyperNodeStatus,
  installPlatform,
  managedHyperNode,
  managedLncli,
  type OwnerLnd,
  type Platform,
  type PlatformPrometheus,
  platformPrometheus,
  type SharedCluster,
  sharedCluster,
  waitFor,
  waitForHyperNodeReady,
} from "@hyperhash/devnet";
import { dashboardQueries } from "@hyperhash/observability";
import { type Sv1Miner, startSv1Miner } from "@hyperhash/translator";
import test from "ava";

let cluster: SharedCluster;
let platform: Platform;
let owner: OwnerLnd;
let miner: Sv1Miner | undefined;
let prometheus: PlatformPrometheus | undefined;
let workDir = "";
const release = `e2e${process.pid % 100000}`;
const ns = `e2e-${process.pid}`;
const managed = "home";
const external = "edge";

const statusOf = async (name: string): Promise<HyperNodeStatus> =>
  JSON.parse(
    (await cluster.kubectl(["-n", ns, "get", "hypernode", name, "-o", "jsonpath={.status}"])) || "{}",
  );
const condition = (s: HyperNodeStatus, type: string) => s.conditions?.find((c) => c.type === type);
const kget = (args: string[]) => cluster.kubectl(["-n", ns, "get", ...args]);
const secretValue = async (name: string, key: string) =>
  Buffer.from(await kget(["secret", name, "-o", `jsonpath={.data.${key.replaceAll(".", "\\.")}}`]), "base64");

/** An HTTP API in the namespace from this machine, through its ClusterIP, with a bearer token. */
async function apiGet(service: string, port: number, tokenKey: string, path: string): Promise<unknown> {
  const ip = (await kget(["svc", service, "-o", "jsonpath={.spec.clusterIP}"])).trim();
  const token = (await secretValue(`${platform.prefix}-tokens`, tokenKey)).toString("utf8");
  const res = await fetch(`http://${ip}:${port}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${service}${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
const coreAdmin = (path: string) => apiGet(`${platform.prefix}-core`, 8080, "admin", path);
const poolShares = async () =>
  ((await apiGet(`${platform.prefix}-pool`, 8080, "poolOutbox", "/api/v1/stats")) as { shares: number })
    .shares;

type WindowItem = { spec: { blockHash: string }; status?: { phase?: string } };
const windowsOf = async (): Promise<WindowItem[]> =>
  (JSON.parse((await kget(["payoutwindows", "-o", "json"])) || "{}").items ?? []) as WindowItem[];

/** Deletes a pod and waits until its controller's replacement (a new uid) is Ready. */
async function killPod(pod: string): Promise<void> {
  const before = (await kget(["pod", pod, "-o", "jsonpath={.metadata.uid}"])).trim();
  await cluster.kubectl(["-n", ns, "delete", "pod", pod, "--wait=true", "--timeout=60s"]);
  await waitFor(
    async () => {
      const out = await kget(["pod", pod, "-o", "json"]).catch(() => "");
      if (!out) return false;
      const p = JSON.parse(out) as {
        metadata: { uid: string };
        status?: { conditions?: Array<{ type: string; status: string }> };
      };
      return (
        p.metadata.uid !== before &&
        p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
      );
    },
    { what: `pod ${pod} replaced and Ready`, timeoutMs: 180_000, intervalMs: 500 },
  );
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
  // Prometheus watches the whole run: every pod of the namespace, the project's alert rules.
  prometheus = await platformPrometheus({
    dir: join(workDir, "prometheus"),
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: ns,
  });
});

test.after.always(async () => {
  await miner?.stop();
  await prometheus?.stop();
  // HyperNodes first, while their operator still runs their finalizers; then the namespace.
  await cluster?.kubectl(["-n", ns, "delete", "hypernodes", "--all", "--timeout=120s"]).catch(() => {});
  await cluster?.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test.serial(
  "a managed and an external HyperNode applied with kubectl become Ready: registered, wallet, treasury channel, telemetry",
  async (t) => {
    t.timeout(600_000);
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(managedHyperNode(ns, managed)));
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(externalHyperNode(ns, external, owner)));
    const opts = { kubeconfigPath: cluster.kubeconfigPath, platform, timeoutMs: 420_000 };
    const [home, edge] = await Promise.all([
      waitForHyperNodeReady(opts, managed),
      waitForHyperNodeReady(opts, external),
    ]);
    for (const [name, s] of [
      [managed, home],
      [external, edge],
    ] as const) {
      t.regex(s.nodeId ?? "", /^hn_/, name);
      for (const type of ["LightningWalletReady", "TreasuryChannelOpen", "TelemetryReporting"]) {
        t.is(condition(s, type)?.status, "True", `${name} ${type}`);
      }
      const pods = await kget(["pods", "-l", `hyperhash.network/hypernode=${name}`, "-o", "name"]);
      // External: the agent is a Deployment of its own; managed: a sidecar in the lnd pod.
      const agentPod = name === managed ? `${name}-lnd-0` : `${name}-node-agent`;
      t.true(pods.includes(`${name}-translator`) && pods.includes(agentPod), pods);
    }
    t.is(edge.lightningPubkey, owner.pubkey, "the external node is the owner's lnd");
    // Managed: the operator's lnd runs, the sidecar created the wallet and kept its seed, and the
    // pubkey the operator reports is the one the sidecar read from lnd.
    const containers = await kget(["pod", `${managed}-lnd-0`, "-o", "jsonpath={.spec.containers[*].name}"]);
    t.deepEqual(containers.trim().split(/\s+/).sort(), ["lnd", "node-agent"]);
    const lncli = managedLncli({ kubeconfigPath: cluster.kubeconfigPath, namespace: ns }, managed);
    const info = JSON.parse(await lncli(["getinfo"])) as {
      identity_pubkey: string;
      synced_to_chain: boolean;
    };
    t.is(home.lightningPubkey, info.identity_pubkey);
    t.is(
      (await secretValue(`${managed}-lnd-macaroons`, "pubkey")).toString("utf8").trim(),
      info.identity_pubkey,
    );
    t.is(
      (await secretValue(`${managed}-lnd-seed`, "mnemonic")).toString("utf8").trim().split(/\s+/).length,
      24,
    );
    t.true((await secretValue(`${managed}-lnd-scb`, "channel.backup")).length > 0, "a static channel backup");
  },
);

test.serial(
  "a HyperNode whose lnd Secret is missing says so in its conditions and recovers once it exists",
  async (t) => {
    t.timeout(300_000);
    const name = "late";
    const secret = "late-lnd";
    const node = externalHyperNode(ns, name, { ...owner, secretName: secret }, false);
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(node));
    const missing = await waitFor(
      async () => {
        const c = condition(await statusOf(name), "LightningWalletReady");
        return c?.status === "False" && c.reason === "LndSecretMissing" ? c : undefined;
      },
      { what: "LightningWalletReady=False LndSecretMissing", timeoutMs: 120_000, intervalMs: 500 },
    );
    t.regex(missing.message ?? "", new RegExp(secret), "the message names the Secret");
    t.not((await statusOf(name)).conditions?.find((c) => c.type === "Ready")?.status, "True");
    // The owner's Secret under the name the HyperNode asks for: the condition turns True.
    const ownerSecret = JSON.parse(await kget(["secret", owner.secretName, "-o", "json"])) as {
      data: Record<string, string>;
    };
    await cluster.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: secret, namespace: ns },
        data: ownerSecret.data,
      }),
    );
    await waitFor(async () => condition(await statusOf(name), "LightningWalletReady")?.status === "True", {
      what: "LightningWalletReady=True once the Secret exists",
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await cluster.kubectl(["-n", ns, "delete", "hypernode", name, "--wait=true", "--timeout=120s"]);
    t.is(
      (await kget(["hypernode", name, "--ignore-not-found", "-o", "name"])).trim(),
      "",
      "the HyperNode is gone",
    );
  },
);

test.serial(
  "an SV1 miner mines through the managed node's translator Service; pool, treasury and operator pods killed mid-window; the window settles and the node is paid once over Lightning",
  async (t) => {
    t.timeout(900_000);
    const status = await statusOf(managed);
    const translator = await platform.serviceAddress(`${managed}-translator`);
    const lncli = managedLncli({ kubeconfigPath: cluster.kubeconfigPath, namespace: ns }, managed);
    const destination = (JSON.parse(await owner.lncli(["newaddress", "p2wkh"])) as { address: string })
      .address;
    const startHeight = await platform.rpc.getBlockCount();
    // A rig reconnects when its translator drops it (the translator closes its miners while its
    // upstream is away, as when the pool's pod is killed below).
    const user = `${destination}.rig1`;
    miner = await startSv1Miner({ host: translator.host, port: translator.ports[0]!.port, user });
    let reconnects = 0;
    let rigStopped = false;
    const rig = (async () => {
      while (!rigStopped) {
        await waitFor(() => rigStopped || !miner?.stats().connected, {
          what: "the rig to stop or be disconnected",
          timeoutMs: 3_600_000,
          intervalMs: 250,
        });
        if (rigStopped) return;
        await miner?.stop();
        miner = await startSv1Miner({ host: translator.host, port: translator.ports[0]!.port, user }).catch(
          () => undefined,
        );
        reconnects++;
      }
    })();
    // Shares the pool acknowledged are in its store; the pool pod is killed and its store (a PVC)
    // still holds every one of them when the new pod serves.
    const acknowledged = await waitFor(async () => ((await poolShares()) >= 3 ? poolShares() : undefined), {
      what: "3 shares stored by the pool",
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    await killPod(`${platform.prefix}-pool-0`);
    const kept = await poolShares();
    t.true(
      kept >= acknowledged,
      `the restarted pool holds ${kept} shares, ${acknowledged} acknowledged before`,
    );
    // The translator reconnects upstream by itself, the rig to it; a block follows (regtest
    // blockTarget) from the restarted pool.
    await waitFor(async () => (await poolShares()) > kept, {
      what: "shares reaching the restarted pool",
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    const blocksBefore = (await windowsOf()).length;
    await waitFor(async () => (await windowsOf()).length > blocksBefore, {
      what: "a block found through the restarted pool (a new PayoutWindow)",
      timeoutMs: 300_000,
      intervalMs: 500,
    });
    rigStopped = true;
    await rig;
    await miner?.stop();
    miner = undefined;
    t.log(
      `rig reconnected ${reconnects} time(s); ${(await platform.rpc.getBlockCount()) - startHeight} blocks`,
    );
    // The treasury is killed before the windows settle; the new pod resumes from its ledger.
    await killPod(`${platform.prefix}-treasury-0`);
    // And the operator (a Deployment: a new pod name), which mirrors the windows into
    // PayoutWindows: the new one picks them up from Core where the old one left off.
    await cluster.kubectl([
      "-n",
      ns,
      "delete",
      "pod",
      "-l",
      "app.kubernetes.io/component=operator",
      "--wait=true",
      "--timeout=60s",
    ]);
    await cluster.kubectl([
      "-n",
      ns,
      "rollout",
      "status",
      `deployment/${platform.prefix}-operator`,
      "--timeout=180s",
    ]);
    const windows = await waitFor(
      async () => {
        await platform.rpc.generate(1);
        const all = await windowsOf();
        return all.length > 0 && all.every((w) => w.status?.phase === "Settled") ? all : undefined;
      },
      { what: "every PayoutWindow Settled", timeoutMs: 300_000, intervalMs: 2000 },
    );
    let nodeTotal = 0n;
    for (const w of windows) {
      const hash = w.spec.blockHash;
      t.is(windowSummary.parse(await coreAdmin(`/api/v1/windows/${hash}`)).phase, "Settled", hash);
      const payouts = payoutsResponse.parse(await coreAdmin(`/api/v1/windows/${hash}/payouts`));
      const part = payouts.recipients.find(
        (r) => r.kind === "node" && r.recipientId === `node:${status.nodeId}`,
      );
      nodeTotal += BigInt(part?.amountSats ?? "0");
    }
    t.true(nodeTotal > 0n, "the managed node has a part in the windows");
    // Paid once: the managed lnd's settled invoices sum to exactly the node's parts at Core.
    const invoices = JSON.parse(await lncli(["listinvoices"])) as {
      invoices: Array<{ state: string; amt_paid_sat: string }>;
    };
    const settledInvoices = invoices.invoices.filter((i) => i.state === "SETTLED");
    const paid = settledInvoices.reduce((s, i) => s + BigInt(i.amt_paid_sat), 0n);
    t.log(
      `${windows.length} window(s) Settled; node parts ${nodeTotal} sats in ${settledInvoices.length} invoice(s)`,
    );
    t.is(paid, nodeTotal, "the managed lnd settled exactly the node's parts, once");
  },
);

test.serial(
  "Prometheus scrapes every platform pod: each dashboard panel's query returns series, blocks and sats paid equal the APIs, and TemplateProviderDown fires while hh-tp is scaled to zero",
  async (t) => {
    t.timeout(420_000);
    const p = prometheus!;
    t.log(`jobs up: ${(await p.waitForJobs()).join(", ")}`);
    // Every panel, as Grafana would ask it (its $__rate_interval: 4 scrape intervals at least).
    const empty: string[] = [];
    for (const q of dashboardQueries()) {
      const expr = q.expr.replaceAll("$__rate_interval", "1m");
      const samples = await p.query(expr);
      if (samples.length === 0 || samples.every((s) => !Number.isFinite(s.value))) {
        empty.push(`${q.dashboard} / ${q.panel}: ${expr}`);
      }
    }
    t.log(`${dashboardQueries().length} panel queries`);
    t.deepEqual(empty, [], "panel queries without a series");
    // Figures equal the services' own answers.
    const blocks = (await apiGet(
      `${platform.prefix}-pool`,
      8080,
      "poolOutbox",
      "/api/v1/blocks?limit=1000",
    )) as {
      blocks: unknown[];
    };
    await waitFor(
      async () =>
        (await p.query("max(hyperhash_pool_blocks_found_total)"))[0]?.value === blocks.blocks.length,
      {
        what: `hyperhash_pool_blocks_found_total = ${blocks.blocks.length} (the pool's API)`,
        timeoutMs: 30_000,
      },
    );
    const ledger = ledgerResponse.parse(await coreAdmin("/api/v1/ledger"));
    const paid = ledger.balances.reduce((sum, b) => sum + BigInt(b.paidSats), 0n);
    t.true(paid > 0n, "the ledger has payments");
    await waitFor(
      async () => (await p.query('sum(hyperhash_core_ledger_sats{state="paid"})'))[0]?.value === Number(paid),
      { what: `Core's ledger metric = ${paid} sats paid (Core's API)`, timeoutMs: 30_000 },
    );
    // An alert for real: hh-tp scaled to zero → TemplateProviderDown fires within its `for`.
    const tp = `deployment/${platform.prefix}-template-provider`;
    await cluster.kubectl(["-n", ns, "scale", tp, "--replicas=0"]);
    try {
      const fired = await waitFor(
        async () =>
          (await p.alerts()).find(
            (a) => a.labels.alertname === "TemplateProviderDown" && a.state === "firing",
          ),
        { what: "TemplateProviderDown firing", timeoutMs: 240_000, intervalMs: 1_000 },
      );
      t.is(fired.labels.severity, "critical");
    } finally {
      await cluster.kubectl(["-n", ns, "scale", tp, "--replicas=1"]);
      await cluster.kubectl(["-n", ns, "rollout", "status", tp, "--timeout=180s"]);
    }
    await waitFor(
      async () => !(await p.alerts()).some((a) => a.labels.alertname === "TemplateProviderDown"),
      { what: "TemplateProviderDown resolved once hh-tp is back", timeoutMs: 120_000, intervalMs: 1_000 },
    );
  },
);

test.serial(
  "a HyperNode whose translator image cannot be pulled says so in WorkloadsAvailable and is Ready again once the image is fixed",
  async (t) => {
    t.timeout(420_000);
    const upgrade = (image: string) =>
      platform.helm([
        "upgrade",
        release,
        chartDir,
        "-n",
        ns,
        "--reuse-values",
        "--set",
        `operator.workloadImages.translator=${image}`,
        "--wait",
        "--timeout",
        "180s",
      ]);
    // The operator rolls with the new setting and re-renders every translator; the devnet's
    // pull policy is Never, so the missing image fails on the node and nothing is fetched.
    await upgrade("ghcr.io/hyperhash/translator:missing");
    const failed = await waitFor(
      async () => {
        const c = condition(await statusOf(external), "WorkloadsAvailable");
        return c?.status === "False" && c.reason === "ImagePullFailed" ? c : undefined;
      },
      { what: "WorkloadsAvailable=False ImagePullFailed", timeoutMs: 180_000, intervalMs: 1000 },
    );
    t.regex(failed.message ?? "", /translator:missing cannot be pulled/);
    t.regex(failed.message ?? "", new RegExp(`pod ${external}-translator-`));
    t.is(condition(await statusOf(external), "Ready")?.status, "False");
    t.log(failed.message);
    // Fixed (back to the operator's default image): the new pods run and Ready returns.
    await upgrade("");
    await waitFor(async () => condition(await statusOf(external), "Ready")?.status === "True", {
      what: "Ready=True again once the image exists",
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    t.is(condition(await statusOf(external), "WorkloadsAvailable")?.status, "True");
  },
);

test.serial("deleting a HyperNode removes its pods and children and deregisters it at Core", async (t) => {
  t.timeout(300_000);
  const { nodeId } = await statusOf(managed);
  await cluster.kubectl(["-n", ns, "delete", "hypernode", managed, "--wait=true", "--timeout=180s"]);
  // Kept on purpose: the managed wallet's seed and static channel backup (and the macaroons the
  // agent baked), Secrets the node agent wrote. The wallet's coins and the channels the operator
  // leaves open (LightningChannel deletionPolicy Retain) outlive the HyperNode; without the seed
  // they would be lost. Everything else goes.
  const retained = [
    `secret/${managed}-lnd-seed`,
    `secret/${managed}-lnd-scb`,
    `secret/${managed}-lnd-macaroons`,
  ];
  const left = async () =>
    (
      await kget([
        "pods,deployments,statefulsets,services,secrets,configmaps,persistentvolumeclaims,networkpolicies,lightningchannels",
        "-l",
        `hyperhash.network/hypernode=${managed}`,
        "-o",
        "name",
      ])
    )
      .split("\n")
      .map((l) => l.trim().replace(/^([a-z]+)(\.[a-z0-9.]+)?\//, "$1/"))
      .filter(Boolean);
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await left();
      return last.every((name) => retained.includes(name));
    },
    { what: "the HyperNode's children to go", timeoutMs: 180_000, intervalMs: 500 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; still there: ${last.filter((n) => !retained.includes(n)).join(", ")}`);
  });
  t.regex(await kget(["secret", `${managed}-lnd-seed`, "-o", "name"]), /lnd-seed/, "the wallet seed is kept");
  const nodes = listNodesResponse.parse(await coreAdmin("/api/v1/nodes"));
  t.false(
    nodes.nodes.some((n) => n.nodeId === nodeId),
    "Core no longer lists the node",
  );
});
