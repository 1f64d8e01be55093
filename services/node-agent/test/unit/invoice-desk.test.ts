import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightningInvoice } from "@hyperhash/lightning";
import { createLogger } from "@hyperhash/telemetry";
import test from "ava";
import { createInvoiceDesk } from "../../src/invoice-desk.ts";
import { jsonInvoiceStore } from "../../src/invoice-store.ts";
import type { ChannelLiquidity, InvoiceState } from "../../src/lnd-reads.ts";

const TREASURY = `02${"aa".repeat(32)}`;
const NODE = `03${"bb".repeat(32)}`;
const WINDOW = "cd".repeat(32);

const channel = (remote: bigint, over: Partial<ChannelLiquidity> = {}): ChannelLiquidity => ({
  id: "1x2x0",
  peerPubkey: TREASURY,
  capacitySats: 2_000_000n,
  localBalanceSats: 0n,
  remoteBalanceSats: remote,
  localReserveSats: 20_000n,
  remoteReserveSats: 20_000n,
  active: true,
  ...over,
});

function desk(
  channels: ChannelLiquidity[],
  states = new Map<string, InvoiceState>(),
  now = () => new Date(),
) {
  const dir = mkdtempSync(join(tmpdir(), "hh-desk-"));
  const created: bigint[] = [];
  let n = 0;
  const wallet = {
    async createInvoice({ sats }: { sats: bigint }): Promise<LightningInvoice> {
      created.push(sats);
      const id = (++n).toString(16).padStart(64, "0");
      states.set(id, {
        id,
        isConfirmed: false,
        isCanceled: false,
        expiresAt: new Date(now().getTime() + 3_600_000),
      });
      return { id, request: `lnbcrt${sats}n1${id}`, sats, isConfirmed: false, receivedSats: 0n };
    },
  };
  const reads = {
    listChannelLiquidity: async () => channels,
    getInvoiceState: async (id: string) => states.get(id)!,
  };
  const store = jsonInvoiceStore(join(dir, "invoices.json"));
  const d = createInvoiceDesk({
    wallet,
    reads,
    store,
    nodePubkey: NODE,
    treasuryPubkey: TREASURY,
    invoiceExpirySeconds: 3600,
    logger: createLogger({ service: "test", level: "error" }),
    now,
  });
  return {
    d,
    created,
    dir,
    states,
    storePath: join(dir, "invoices.json"),
    cleanup: () => rmSync(dir, { recursive: true }),
  };
}

test("issue 7 §3: one invoice per (window, amount), the same one on repeat and after a restart", async (t) => {
  const { d, created, storePath, cleanup } = desk([channel(1_000_000n)]);
  t.teardown(cleanup);
  const first = await d.request({ windowBlockHash: WINDOW, amountSats: "5000" });
  const again = await d.request({ windowBlockHash: WINDOW, amountSats: "5000" });
  t.true(first.ok && first.created);
  t.true(again.ok && !again.created);
  t.deepEqual(first.ok && first.invoice, again.ok && again.invoice);
  t.deepEqual(created, [5000n]);
  t.is(jsonInvoiceStore(storePath).all().length, 1, "a fresh store over the same file has it");
});

test("issue 7 §3: concurrent asks for the same key create one invoice", async (t) => {
  const { d, created, cleanup } = desk([channel(1_000_000n)]);
  t.teardown(cleanup);
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => d.request({ windowBlockHash: WINDOW, amountSats: "7000" })),
  );
  t.deepEqual(created, [7000n]);
  t.is(new Set(answers.map((a) => a.ok && a.invoice.paymentHash)).size, 1);
});

test("issue 7 §3: inbound is the treasury's balance less its reserve on ONE active treasury channel", async (t) => {
  const other = `02${"ee".repeat(32)}`;
  const { d, created, cleanup } = desk([
    channel(600_000n),
    channel(600_000n),
    channel(5_000_000n, { active: false }),
    channel(5_000_000n, { peerPubkey: other }),
  ]);
  t.teardown(cleanup);
  const ok = await d.request({ windowBlockHash: WINDOW, amountSats: "580000" });
  t.true(ok.ok);
  const refused = await d.request({ windowBlockHash: WINDOW, amountSats: "580001" });
  t.false(refused.ok);
  if (!refused.ok) {
    t.is(refused.refusal.reason, "insufficient-inbound");
    t.is(refused.refusal.inboundSats, "580000");
    t.is(refused.refusal.requiredSats, "580001");
  }
  t.deepEqual(created, [580_000n]);
});

test("issue 7 §3: an expired invoice lnd cancelled is replaced; an expired one not yet cancelled is not", async (t) => {
  let clock = new Date("2025-01-01T00:00:00Z");
  const { d, created, states, cleanup } = desk([channel(1_000_000n)], new Map(), () => clock);
  t.teardown(cleanup);
  const first = await d.request({ windowBlockHash: WINDOW, amountSats: "1000" });
  if (!first.ok) return t.fail();
  clock = new Date("2025-01-01T02:00:00Z");
  const same = await d.request({ windowBlockHash: WINDOW, amountSats: "1000" });
  t.is(same.ok && same.invoice.paymentHash, first.invoice.paymentHash);
  states.set(first.invoice.paymentHash, { ...states.get(first.invoice.paymentHash)!, isCanceled: true });
  const fresh = await d.request({ windowBlockHash: WINDOW, amountSats: "1000" });
  t.true(fresh.ok && fresh.created);
  t.not(fresh.ok && fresh.invoice.paymentHash, first.invoice.paymentHash);
  t.is(created.length, 2);
});

test("the invoice store makes its directory when missing (a managed sidecar's fresh volume) and keeps what it was given", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-agent-store-"));
  try {
    const path = join(dir, "node-agent", "deeper", "invoices.json");
    const store = jsonInvoiceStore(path);
    t.deepEqual(store.all(), []);
    store.put({
      windowBlockHash: WINDOW,
      amountSats: "1562500",
      paymentHash: "ab".repeat(32),
      request: "lnbcrt15625u1pexample",
      destination: NODE,
      expiresAt: "2026-12-03T18:00:00.000Z",
      createdAt: "2026-12-03T17:00:00.000Z",
    });
    t.is(jsonInvoiceStore(path).all().length, 1, "written under the new directory and read back");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
