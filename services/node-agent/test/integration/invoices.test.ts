import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Devnet, fundWallet, openActiveChannel, startDevnet, waitFor } from "@hyperhash/devnet";
import test from "ava";
import { type NodeAgent, payoutInvoiceSchema, refusalSchema, startNodeAgent } from "../../src/index.ts";
import { startStandInCore } from "../support/stand-in-core.ts";

const TOKEN = "treasury-token-for-agent-tests";
const WINDOW = "ab".repeat(32);

let devnet: Devnet;
let agent: NodeAgent;
let dir: string;
let core: Awaited<ReturnType<typeof startStandInCore>>;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hh-agent-it-"));
  devnet = await startDevnet({ nodes: 1, controlPlane: false });
  // Telemetry goes to a stand-in here; the treasury tests report to the real Core.
  core = await startStandInCore();
  const node = devnet.nodes[0]!;
  agent = await startNodeAgent({
    host: "127.0.0.1",
    port: 0,
    opsPort: 0,
    apiToken: TOKEN,
    lnd: { socket: node.grpcSocket, certPem: node.certPem, macaroonHex: node.macaroonHex },
    treasuryPubkey: devnet.treasury.pubkey,
    invoiceStorePath: join(dir, "invoices.json"),
    invoiceExpirySeconds: 3600,
    core: {
      url: core.url,
      nodeId: "hn_aaaaaaaaaaaaaaaa",
      credential: "node-credential-0123456789",
      telemetryIntervalMs: 60_000,
    },
    logLevel: "warn",
  });
});

test.after.always(async () => {
  await agent?.stop();
  await core?.stop();
  await devnet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ask = (body: unknown, token = TOKEN) =>
  fetch(`${agent.url}/api/v1/invoices`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

test.serial(
  "issue 7 §3: one invoice of exactly the amount per (window, amount); the same invoice when asked again",
  async (t) => {
    const res = await ask({ windowBlockHash: WINDOW, amountSats: "123457" });
    t.is(res.status, 201);
    const invoice = payoutInvoiceSchema.parse(await res.json());
    t.is(invoice.amountSats, "123457");
    t.is(invoice.destination, devnet.nodes[0]!.pubkey);
    // lnd's own record of the invoice: exactly the amount, to the millisat
    const inLnd = await devnet.nodes[0]!.wallet.getInvoice(invoice.paymentHash);
    t.is(inLnd.sats, 123_457n);
    t.is(inLnd.request, invoice.request);

    const again = await ask({ windowBlockHash: WINDOW, amountSats: "123457" });
    t.is(again.status, 200);
    t.deepEqual(payoutInvoiceSchema.parse(await again.json()), invoice);
    // a restart of the agent keeps the same invoice (the store is a file)
    const stored = JSON.parse(readFileSync(join(dir, "invoices.json"), "utf8")) as { invoices: unknown[] };
    t.is(stored.invoices.length, 1);
    // another amount for the same window is another invoice
    const other = payoutInvoiceSchema.parse(
      await (await ask({ windowBlockHash: WINDOW, amountSats: "1000" })).json(),
    );
    t.not(other.paymentHash, invoice.paymentHash);
  },
);

test.serial(
  "issue 7 §3: refused with insufficient-inbound when no treasury channel can carry it; issued once one can, and paid",
  async (t) => {
    const window = "cd".repeat(32);
    const amount = 2_500_000n; // above the 2,000,000-sat treasury channel
    const refused = await ask({ windowBlockHash: window, amountSats: amount.toString() });
    t.is(refused.status, 409);
    const refusal = refusalSchema.parse(await refused.json());
    t.is(refusal.reason, "insufficient-inbound");
    t.is(refusal.requiredSats, amount.toString());
    t.true(BigInt(refusal.inboundSats!) < amount);

    await fundWallet(devnet.btcd, devnet.treasury, 4_000_000n);
    await openActiveChannel(devnet.btcd, devnet.treasury, devnet.nodes[0]!, 3_500_000n);
    const issued = await ask({ windowBlockHash: window, amountSats: amount.toString() });
    t.is(issued.status, 201);
    const invoice = payoutInvoiceSchema.parse(await issued.json());
    const paid = await devnet.treasury.wallet.payInvoice({ request: invoice.request, maxFeeSats: 100n });
    t.is(paid.sats, amount);
    await waitFor(async () => (await devnet.nodes[0]!.wallet.getInvoice(invoice.paymentHash)).isConfirmed, {
      what: "the node's invoice to settle",
      timeoutMs: 60_000,
    });
    t.is((await devnet.nodes[0]!.wallet.getInvoice(invoice.paymentHash)).receivedSats, amount);
  },
);

test.serial(
  "payout API: a wrong token, a malformed body and a bad amount are refused with a reason",
  async (t) => {
    const wrong = await ask({ windowBlockHash: WINDOW, amountSats: "1" }, "not-the-token-at-all");
    t.is(wrong.status, 401);
    t.is(refusalSchema.parse(await wrong.json()).reason, "unauthorized");
    for (const body of [
      { windowBlockHash: "zz", amountSats: "1" },
      { windowBlockHash: WINDOW, amountSats: "0" },
      { windowBlockHash: WINDOW, amountSats: 5 },
    ]) {
      const res = await ask(body);
      t.is(res.status, 400, JSON.stringify(body));
      t.is(refusalSchema.parse(await res.json()).reason, "invalid-request");
    }
    const malformed = await fetch(`${agent.url}/api/v1/invoices`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    t.is(malformed.status, 400);
  },
);

test.serial("issue 7 §3: telemetry reports the node's channels, balances and routing fees", async (t) => {
  const result = await agent.reportTelemetry();
  t.deepEqual(result, { ok: true });
  const last = core.requests.at(-1)!;
  t.is(last.path, "/api/v1/nodes/hn_aaaaaaaaaaaaaaaa/telemetry");
  t.is(last.authorization, "Bearer node-credential-0123456789");
  const body = last.body as {
    lightning: {
      pubkey: string;
      channels: Array<{ peerPubkey: string; active: boolean }>;
      routingFeesSats: string;
    };
  };
  t.is(body.lightning.pubkey, devnet.nodes[0]!.pubkey);
  t.is(body.lightning.channels.filter((c) => c.peerPubkey === devnet.treasury.pubkey && c.active).length, 2);
  t.is(body.lightning.routingFeesSats, "0");
  const metrics = await (await fetch(`http://127.0.0.1:${agent.opsPort}/metrics`)).text();
  t.regex(metrics, /hyperhash_node_agent_channels\{status="active"\} 2/);
  t.regex(metrics, /hyperhash_node_agent_invoices_total\{outcome="refused"\} 1/);
});
