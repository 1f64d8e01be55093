import { join } from "node:path";
import { type ExitStatus, startProcess, waitFor } from "@hyperhash/devnet";
import { lnServiceHandle } from "@hyperhash/lightning";
import { payoutDescription } from "@hyperhash/node-agent";
import test from "ava";
import * as ln from "ln-service";
import { parseAgents, startTreasury, type TreasuryConfig } from "../../src/index.ts";
import { FAULT_EXIT_CODE } from "../support/fault.ts";
import { AGENT_TOKEN, type Harness, startHarness, TREASURY_TOKEN } from "../support/harness.ts";

let h: Harness;
let minerAddress: string;

test.before(async () => {
  h = await startHarness({ channelSats: 5_000_000n, treasuryOnchainSats: 1_400_000_000n });
  minerAddress = await h.nodes[0]!.lnd.wallet.createAddress();
});
test.after.always(async () => {
  await h?.stop();
});

// The pubkey the operator registered for the node (Core lets only admins and the node read it).
const agentsJson = () =>
  JSON.stringify(
    Object.fromEntries(
      h.nodes.map((n) => [n.nodeId, { url: n.agent.url, token: AGENT_TOKEN, pubkey: n.lnd.pubkey }]),
    ),
  );

const treasuryEnv = (fault?: string): NodeJS.ProcessEnv => ({
  ...process.env,
  HH_TREASURY_CORE_URL: h.coreUrl,
  HH_TREASURY_CORE_TOKEN: TREASURY_TOKEN,
  HH_TREASURY_LND_SOCKET: h.devnet.treasury.grpcSocket,
  HH_TREASURY_LND_CERT_PATH: h.devnet.treasury.tlsCertPath,
  HH_TREASURY_LND_MACAROON_PATH: h.devnet.treasury.adminMacaroonPath,
  HH_TREASURY_DB_PATH: join(h.dir, "treasury.db"),
  HH_TREASURY_AGENTS: agentsJson(),
  HH_TREASURY_POLL_INTERVAL_MS: "300",
  HH_TREASURY_CONCURRENCY: "1",
  HH_TREASURY_LOG_LEVEL: "info",
  HH_FAULT: fault ?? "",
});

const treasuryLndHandle = () =>
  lnServiceHandle({
    socket: h.devnet.treasury.grpcSocket,
    certPem: h.devnet.treasury.certPem,
    macaroonHex: h.devnet.treasury.macaroonHex,
  });

interface LndPayment {
  id: string;
  destination: string;
  tokens: number;
  fee: number;
  is_confirmed: boolean;
}
const confirmedPayments = async () =>
  ((await ln.getPayments({ lnd: treasuryLndHandle() })) as { payments: LndPayment[] }).payments.filter(
    (p) => p.is_confirmed,
  );

const payoutInvoices = async (i: number, blockHash: string) => {
  const n = h.nodes[i]!;
  const lnd = lnServiceHandle({
    socket: n.lnd.grpcSocket,
    certPem: n.lnd.certPem,
    macaroonHex: n.lnd.macaroonHex,
  });
  const { invoices } = (await ln.getInvoices({ lnd })) as {
    invoices: Array<{ id: string; description: string; is_confirmed: boolean; received: number }>;
  };
  return invoices.filter((inv) => inv.description === payoutDescription(blockHash));
};

const windowPhase = async (blockHash: string) =>
  (await h.admin<{ phase: string }>("GET", `/api/v1/windows/${blockHash}`)).phase;

async function exitedWithin(p: { exited: Promise<ExitStatus> }, ms: number): Promise<ExitStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const result = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  return result;
}

test.serial(
  "issue 7 crash safety: HH_FAULT exits right after paying the first node; restarted, the window settles with exactly one payment per recipient",
  async (t) => {
    const [n1, n2] = h.nodes as [Harness["nodes"][0], Harness["nodes"][0]];
    const keysendMiner = n2.lnd.pubkey;
    const { blockHash } = await h.publishWindow(
      [
        { destination: minerAddress, nodeId: n1.nodeId, work: "1000000", count: 10 },
        { destination: minerAddress, nodeId: n2.nodeId, work: "1000000", count: 10 },
        { destination: keysendMiner, nodeId: null, work: "1000", count: 1 },
      ],
      minerAddress,
    );
    const { recipients } = await h.admin<{ recipients: Array<{ recipientId: string; amountSats: string }> }>(
      "GET",
      `/api/v1/windows/${blockHash}/payouts`,
    );
    const owed = new Map(recipients.map((r) => [r.recipientId, BigInt(r.amountSats)]));

    // Due order is by recipient id: the keysend miner ("miner:02…/03…") comes first, then (on-chain
    // miners are batched after Lightning) the first node. Exit after the 2nd payment = the first node.
    const cwd = join(import.meta.dirname, "..", "..");
    const faulty = startProcess({
      name: "treasury (fault)",
      command: process.execPath,
      args: ["--import", "tsx", "test/support/main-fault.ts"],
      cwd,
      env: treasuryEnv("exit-after-payment:2"),
      logPath: join(h.dir, "treasury-fault.log"),
    });
    t.teardown(() => faulty.stop());
    const exit = await exitedWithin(faulty, 180_000);
    t.is(exit?.code, FAULT_EXIT_CODE, faulty.tail(30).join("\n"));

    // At the crash lnd has settled two payments; Core has the first node's intent but no result.
    const atCrash = await confirmedPayments();
    t.is(atCrash.length, 2);
    const firstNode = [n1, n2].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1))[0]!;
    t.true(
      atCrash.some(
        (p) =>
          p.destination === firstNode.lnd.pubkey && BigInt(p.tokens) === owed.get(`node:${firstNode.nodeId}`),
      ),
    );
    t.not(await windowPhase(blockHash), "Settled");

    const restarted = startProcess({
      name: "treasury",
      command: process.execPath,
      args: ["--import", "tsx", "src/main.ts"],
      cwd,
      env: treasuryEnv(),
      logPath: join(h.dir, "treasury.log"),
    });
    t.teardown(() => restarted.stop());
    await waitFor(async () => (await windowPhase(blockHash)) === "Settled", {
      what: "the window to settle after the restart",
      timeoutMs: 180_000,
      intervalMs: 300,
      watch: [restarted],
    });
    await restarted.stop();

    // Exactly one Lightning payment per recipient in the treasury lnd's payment list.
    const payments = await confirmedPayments();
    t.is(payments.length, 3);
    t.is(new Set(payments.map((p) => p.id)).size, 3);
    for (const [i, n] of [n1, n2].entries()) {
      const invoices = await payoutInvoices(i, blockHash);
      t.is(invoices.length, 1, `one payout invoice on node ${i + 1}`);
      t.true(invoices[0]!.is_confirmed);
      t.is(BigInt(invoices[0]!.received), owed.get(`node:${n.nodeId}`)!);
      t.is(payments.filter((p) => p.id === invoices[0]!.id).length, 1);
    }
    const keysend = payments.filter(
      (p) => p.destination === keysendMiner && BigInt(p.tokens) === owed.get(`miner:${keysendMiner}`),
    );
    t.is(keysend.length, 1);

    // One labelled on-chain batch paid the address miner (winner: S share + F), seen by its wallet.
    const { transactions } = (await ln.getChainTransactions({ lnd: treasuryLndHandle() })) as {
      transactions: Array<{ id: string; description?: string }>;
    };
    t.is(transactions.filter((tx) => tx.description?.startsWith("hyperhash-payout-batch:")).length, 1);
    await h.devnet.btcd.mine(1);
    await waitFor(async () => (await n1.lnd.wallet.getChainBalance()) === owed.get(`miner:${minerAddress}`), {
      what: "the miner's wallet to see its on-chain payout",
      timeoutMs: 60_000,
    });

    // Core's audit log and ledger match lnd's records.
    const { entries } = await h.admin<{
      entries: Array<{
        event: string;
        recipientId: string;
        paymentHash: string | null;
        amountSats: string;
        feeSats: string | null;
        channelId: string | null;
      }>;
    }>("GET", "/api/v1/audit");
    const succeeded = entries.filter((e) => e.event === "succeeded");
    t.is(succeeded.length, 4);
    t.is(entries.filter((e) => e.event === "failed" || e.event === "attempt-failed").length, 0);
    for (const e of succeeded.filter((s) => s.paymentHash !== null)) {
      const inLnd = payments.find((p) => p.id === e.paymentHash);
      t.truthy(inLnd, `audit hash ${e.paymentHash} is in lnd`);
      t.is(BigInt(e.amountSats), BigInt(inLnd!.tokens));
      t.is(BigInt(e.feeSats ?? "0"), BigInt(inLnd!.fee));
      t.is(BigInt(e.amountSats), owed.get(e.recipientId)!);
    }
    const { balances } = await h.admin<{
      balances: Array<{ recipientId: string; creditedSats: string; paidSats: string; inFlightSats: string }>;
    }>("GET", "/api/v1/ledger");
    for (const [recipientId, amount] of owed) {
      if (recipientId === "treasury") continue;
      const b = balances.find((x) => x.recipientId === recipientId)!;
      t.is(BigInt(b.paidSats), amount, recipientId);
      t.is(b.inFlightSats, "0");
    }
  },
);

test.serial(
  "issue 7: a node without enough inbound capacity waits with InsufficientLiquidity, and is paid once capacity exists",
  async (t) => {
    const n2 = h.nodes[1]!;
    const { blockHash } = await h.publishWindow(
      [{ destination: minerAddress, nodeId: n2.nodeId, work: "1", count: 1 }],
      minerAddress,
    );
    const config: TreasuryConfig = {
      core: { url: h.coreUrl, token: TREASURY_TOKEN },
      lnd: {
        socket: h.devnet.treasury.grpcSocket,
        certPem: h.devnet.treasury.certPem,
        macaroonHex: h.devnet.treasury.macaroonHex,
      },
      dbPath: join(h.dir, "treasury.db"),
      agents: parseAgents(agentsJson()),
      feeLimits: { baseSats: 10n, ppm: 5000n },
      minInvoiceLifeSeconds: 120,
      onchainMinSats: 100_000n,
      pollIntervalMs: 1000,
      metricsIntervalMs: 500,
      concurrency: 2,
      opsHost: "127.0.0.1",
      opsPort: 0,
      logLevel: "warn",
    };
    const treasury = await startTreasury(config, { autoRun: false });
    t.teardown(() => treasury.stop());

    const first = await treasury.runRound();
    const wait = first.waits.get(`node:${n2.nodeId}`);
    t.is(wait?.reason, "InsufficientLiquidity");
    t.regex(wait?.detail ?? "", /node inbound/);
    const metrics = await (await fetch(`http://127.0.0.1:${treasury.opsPort}/metrics`)).text();
    t.regex(metrics, /hyperhash_treasury_waiting_payments\{reason="InsufficientLiquidity"\} 1/);
    t.is((await payoutInvoices(1, blockHash)).length, 0, "no invoice while the inbound is short");

    await h.devnet.btcd.mine(1);
    const { openActiveChannel } = await import("@hyperhash/devnet");
    await openActiveChannel(h.devnet.btcd, h.devnet.treasury, n2.lnd, 4_000_000n);
    await waitFor(
      async () => {
        await treasury.runRound();
        return (await windowPhase(blockHash)) === "Settled";
      },
      { what: "the waiting node to be paid and the window settled", timeoutMs: 120_000, intervalMs: 500 },
    );
    const invoices = await payoutInvoices(1, blockHash);
    t.is(invoices.length, 1);
    t.true(invoices[0]!.is_confirmed);
    t.is(treasury.waits().size, 0);
    const after = await (await fetch(`http://127.0.0.1:${treasury.opsPort}/metrics`)).text();
    t.regex(after, /hyperhash_treasury_payouts_total\{method="invoice",result="succeeded"\} 1/);
    await waitFor(
      async () =>
        /hyperhash_treasury_channels\{status="active"\} 3/.test(
          await (await fetch(`http://127.0.0.1:${treasury.opsPort}/metrics`)).text(),
        ),
      { what: "the channel inventory metric to count the new channel", timeoutMs: 30_000 },
    );
  },
);
