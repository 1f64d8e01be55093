import { subsidy } from "@hyperhash/bitcoin";
import test from "ava";
import { calculatePayout, canonicalPayoutList, payoutDigest } from "../../src/index.ts";
import {
  ADMIN,
  fakeChain,
  hashOf,
  type Json,
  POOL,
  removeDir,
  startTestCore,
  TREASURY,
} from "../support/harness.ts";
import { addr, blockFound, startPoolOutbox } from "../support/pool-outbox.ts";

async function setup(t: import("ava").ExecutionContext, overrides = {}) {
  const chain = fakeChain();
  const outbox = await startPoolOutbox();
  const h = await startTestCore(chain, { poolUrl: outbox.url, ...overrides });
  t.teardown(async () => {
    await h.stop();
    await outbox.close();
    removeDir(h.dir);
  });
  return { chain, outbox, h };
}

const S = (height: number) => subsidy(height, "regtest");

test("Outbox: an event delivered twice is applied once, and the cursor survives a restart", async (t) => {
  const chain = fakeChain();
  const outbox = await startPoolOutbox();
  let h = await startTestCore(chain, { poolUrl: outbox.url, payoutConfirmations: 5 });
  const dir = h.dir;
  t.teardown(async () => {
    await h.stop();
    await outbox.close();
    removeDir(dir);
  });
  const e = blockFound({
    seq: 1,
    blockHash: hashOf(1),
    height: 10,
    winner: "m",
    shares: [{ destination: "m", nodeId: null, work: 1n }],
  });
  outbox.events.push(e, { ...e, seq: 2 }); // the same block again under another seq (at-least-once)
  await h.core.tick();
  t.is(h.core.repo.listWindows().length, 1);
  t.is(h.core.repo.getOutboxCursor(), 2);
  await h.stop();
  const served = outbox.requests;
  h = await startTestCore(chain, { poolUrl: outbox.url, payoutConfirmations: 5 }, dir);
  await h.core.tick();
  t.true(outbox.requests > served);
  t.is(h.core.repo.listWindows().length, 1, "nothing re-applied after the restart");
  t.is(h.core.repo.getOutboxCursor(), 2);
});

test("Lifecycle: Maturing until payoutConfirmations, then Calculated with the canonical list and digest", async (t) => {
  const { chain, outbox, h } = await setup(t, { payoutConfirmations: 3 });
  chain.blocks.set(200, hashOf(200));
  const shares = [
    { destination: "alice", nodeId: null, work: 3n },
    { destination: "bob", nodeId: null, work: 1n },
  ];
  outbox.events.push(
    blockFound({ seq: 1, blockHash: hashOf(200), height: 200, feesSats: 777n, winner: "bob", shares }),
  );
  await h.core.tick();
  chain.blocks.set(201, hashOf(201));
  await h.core.tick();
  let w = await h.call("GET", `/api/v1/windows/${hashOf(200)}`, { token: ADMIN });
  t.is(w.body.phase, "Maturing", "2 confirmations < 3");
  t.is(w.body.payoutDigest, null);
  t.is(
    (await h.call("GET", `/api/v1/windows/${hashOf(200)}/payouts`, { token: ADMIN })).body.error.code,
    "not-calculated",
  );
  chain.blocks.set(202, hashOf(202));
  await h.core.tick();
  w = await h.call("GET", `/api/v1/windows/${hashOf(200)}`, { token: ADMIN });
  t.is(w.body.phase, "Calculated");
  const expected = calculatePayout({
    subsidySats: S(200),
    coinbaseValueSats: S(200) + 777n,
    shares: shares.map((x) => ({ ...x, destination: addr(x.destination) })),
    winnerDestination: addr("bob"),
    carriedNodeNetworkSats: 0n,
  });
  const list = canonicalPayoutList({ blockHash: hashOf(200), height: 200 }, expected);
  t.is(w.body.payoutDigest, payoutDigest(list));
  t.is(w.body.S, S(200).toString());
  t.is(w.body.F, "777");
  t.is(w.body.carriedForwardSats, expected.carriedForwardSats.toString());
  const payouts = await h.call("GET", `/api/v1/windows/${hashOf(200)}/payouts`, { token: TREASURY });
  t.is(payouts.body.canonical, list);
  t.is(payouts.body.payoutDigest, payoutDigest(payouts.body.canonical));
  t.deepEqual(
    payouts.body.recipients.map((r: { recipientId: string }) => r.recipientId),
    [`miner:${addr("alice")}`, `miner:${addr("bob")}`, "treasury"],
  );
});

test("Orphaned (getblockhash(height) ≠ blockHash): its shares roll into the next window; N carries forward", async (t) => {
  const { chain, outbox, h } = await setup(t);
  chain.blocks.set(300, hashOf(0xbeef)); // another block holds height 300: ours left the main chain
  chain.blocks.set(301, hashOf(301));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(300),
      height: 300,
      winner: "alice",
      shares: [{ destination: "alice", nodeId: "hn_aaaaaaaaaaaaaaaa", work: 5n }],
    }),
    blockFound({
      seq: 2,
      blockHash: hashOf(301),
      height: 301,
      winner: "bob",
      shares: [{ destination: "bob", nodeId: null, work: 5n }],
    }),
  );
  await h.core.tick();
  const orphan = await h.call("GET", `/api/v1/windows/${hashOf(300)}`, { token: ADMIN });
  t.is(orphan.body.phase, "Orphaned");
  t.is(orphan.body.rolledInto, hashOf(301));
  const next = await h.call("GET", `/api/v1/windows/${hashOf(301)}/payouts`, { token: ADMIN });
  const ids = next.body.recipients.map((r: { recipientId: string }) => r.recipientId);
  t.deepEqual(
    ids,
    [`miner:${addr("alice")}`, `miner:${addr("bob")}`, "node:hn_aaaaaaaaaaaaaaaa", "treasury"],
    "alice's orphaned shares and her node count",
  );
  const alice = next.body.recipients.find(
    (r: { recipientId: string }) => r.recipientId === `miner:${addr("alice")}`,
  );
  const bob = next.body.recipients.find(
    (r: { recipientId: string }) => r.recipientId === `miner:${addr("bob")}`,
  );
  t.true(
    BigInt(alice.amountSats) - BigInt(bob.amountSats) <= 1n &&
      BigInt(bob.amountSats) - BigInt(alice.amountSats) <= 1n,
  );

  // A window without HyperNode shares carries N into the next one.
  chain.blocks.set(302, hashOf(302));
  chain.blocks.set(303, hashOf(303));
  outbox.events.push(
    blockFound({
      seq: 3,
      blockHash: hashOf(302),
      height: 302,
      winner: "bob",
      shares: [{ destination: "bob", nodeId: null, work: 1n }],
    }),
    blockFound({
      seq: 4,
      blockHash: hashOf(303),
      height: 303,
      winner: "bob",
      shares: [{ destination: "bob", nodeId: "hn_bbbbbbbbbbbbbbbb", work: 1n }],
    }),
  );
  await h.core.tick();
  const w302 = (await h.call("GET", `/api/v1/windows/${hashOf(302)}`, { token: ADMIN })).body;
  const w303 = (await h.call("GET", `/api/v1/windows/${hashOf(303)}`, { token: ADMIN })).body;
  t.is(w302.carriedForwardSats, w302.N);
  t.is(w303.carriedInSats, w302.N);
  const node = (
    await h.call("GET", `/api/v1/windows/${hashOf(303)}/payouts`, { token: ADMIN })
  ).body.recipients.find((r: { kind: string }) => r.kind === "node");
  t.is(BigInt(node.amountSats), BigInt(w302.N) + BigInt(w303.N));
});

test("Failed: a window whose S is not subsidy(height) is not calculated, and its shares roll into the next window", async (t) => {
  const { chain, outbox, h } = await setup(t);
  chain.blocks.set(400, hashOf(400));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(400),
      height: 400,
      subsidySats: 1n,
      winner: "m",
      shares: [{ destination: "m", nodeId: null, work: 1n }],
    }),
  );
  await h.core.tick();
  const w = await h.call("GET", `/api/v1/windows/${hashOf(400)}`, { token: ADMIN });
  t.is(w.body.phase, "Failed");
  t.regex(w.body.reason, /subsidy/);
  t.deepEqual((await h.call("GET", "/api/v1/ledger", { token: ADMIN })).body.balances, []);

  // README "Window phases": a Failed window loses no shares — they roll into the next
  // calculated window, like an orphan's (real SQLite store, real API).
  chain.blocks.set(401, hashOf(401));
  chain.blocks.set(402, hashOf(402));
  outbox.events.push(
    blockFound({
      seq: 2,
      blockHash: hashOf(401),
      height: 401,
      winner: "n",
      shares: [{ destination: "n", nodeId: null, work: 1n }],
    }),
  );
  await h.core.tick();
  const failed = await h.call("GET", `/api/v1/windows/${hashOf(400)}`, { token: ADMIN });
  t.is(failed.body.phase, "Failed");
  t.is(failed.body.rolledInto, hashOf(401));
  const next = await h.call("GET", `/api/v1/windows/${hashOf(401)}/payouts`, { token: ADMIN });
  const amounts = Object.fromEntries(
    next.body.recipients.map((r: { recipientId: string; amountSats: string }) => [
      r.recipientId,
      r.amountSats,
    ]),
  );
  const minersPart = S(401) - S(401) / 100n;
  // Equal work (1 each): m's share from the Failed window is paid here, not dropped.
  t.is(BigInt(amounts[`miner:${addr("m")}`]) + BigInt(amounts[`miner:${addr("n")}`]), minersPart);
  t.true(BigInt(amounts[`miner:${addr("m")}`]) >= minersPart / 2n);
});

test("Payments: intent before paying (idempotent per window+recipient) → Paying → succeeded → Settled, audited", async (t) => {
  const { chain, outbox, h } = await setup(t);
  const reg = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "n1", visibility: "public" },
  });
  const nodeId = reg.body.nodeId as string;
  chain.blocks.set(600, hashOf(600));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(600),
      height: 600,
      winner: "alice",
      shares: [
        { destination: "alice", nodeId, work: 1n },
        { destination: "bob", nodeId: null, work: 1n },
      ],
    }),
  );
  await h.core.tick();
  const due = (await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Json[];
  t.deepEqual(
    due.map((d) => d.recipientId),
    [`miner:${addr("alice")}`, `miner:${addr("bob")}`, `node:${nodeId}`],
  );
  const nodeDue = due.find((d) => d.kind === "node");
  t.is(nodeDue.nodeId, nodeId);
  const intent = {
    windowBlockHash: hashOf(600),
    recipientId: nodeDue.recipientId,
    amountSats: nodeDue.amountSats,
    method: "invoice",
    invoice: "lnbcrt1invoice",
    paymentHash: "11".repeat(32),
  };
  const first = await h.call("POST", "/api/v1/payments", { token: TREASURY, body: intent });
  t.is(first.status, 201);
  const replay = await h.call("POST", "/api/v1/payments", {
    token: TREASURY,
    body: { ...intent, invoice: undefined },
  });
  t.is(replay.status, 200);
  t.is(replay.body.id, first.body.id);
  t.is(replay.body.invoice, "lnbcrt1invoice", "the stored invoice is reused after a restart");
  const conflict = await h.call("POST", "/api/v1/payments", {
    token: TREASURY,
    body: { ...intent, method: "keysend", invoice: undefined },
  });
  t.is(conflict.body.error.code, "payment-conflict");
  t.is((await h.call("GET", `/api/v1/windows/${hashOf(600)}`, { token: ADMIN })).body.phase, "Paying");
  t.false(
    ((await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Json[]).some(
      (d) => d.kind === "node",
    ),
  );

  const ok = await h.call("POST", `/api/v1/payments/${first.body.id}/result`, {
    token: TREASURY,
    body: { state: "succeeded", feeSats: 1, preimage: "22".repeat(32), channelId: "600x1x0" },
  });
  t.is(ok.body.state, "succeeded");
  t.is(ok.body.preimage, undefined, "the preimage is not served back");
  for (const d of due.filter((x) => x.kind === "miner")) {
    const p = await h.call("POST", "/api/v1/payments", {
      token: TREASURY,
      body: {
        windowBlockHash: d.windowBlockHash,
        recipientId: d.recipientId,
        amountSats: d.amountSats,
        method: "keysend",
        paymentHash: "33".repeat(32),
      },
    });
    await h.call("POST", `/api/v1/payments/${p.body.id}/result`, {
      token: TREASURY,
      body: { state: "succeeded", channelId: "600x1x0" },
    });
  }
  const w = (await h.call("GET", `/api/v1/windows/${hashOf(600)}`, { token: ADMIN })).body;
  t.is(w.phase, "Settled");
  t.is(w.pendingSats, "0");
  t.is(
    BigInt(w.paidSats),
    due.reduce((s, d) => s + BigInt(d.amountSats), 0n),
  );
  const audit = (await h.call("GET", `/api/v1/audit?nodeId=${nodeId}`, { token: ADMIN })).body
    .entries as Json[];
  t.deepEqual(
    audit.map((e) => e.event),
    ["intent", "succeeded"],
  );
  t.like(audit[1], {
    nodeId,
    paymentHash: "11".repeat(32),
    invoice: "lnbcrt1invoice",
    amountSats: nodeDue.amountSats,
    channelId: "600x1x0",
    feeSats: "1",
  });
  t.truthy(Date.parse(audit[1].at));
  const ledger = (await h.call("GET", "/api/v1/ledger", { token: ADMIN })).body.balances as Json[];
  for (const b of ledger.filter((x) => x.kind !== "treasury")) t.is(b.balanceSats, "0");
});

test("Payments: after maxPaymentAttempts failures the amount returns to the ledger with the reason", async (t) => {
  const { chain, outbox, h } = await setup(t, { maxPaymentAttempts: 2 });
  chain.blocks.set(700, hashOf(700));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(700),
      height: 700,
      winner: "m",
      shares: [{ destination: "m", nodeId: null, work: 1n }],
    }),
  );
  await h.core.tick();
  const [d] = (await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Json[];
  const body = {
    windowBlockHash: d.windowBlockHash,
    recipientId: d.recipientId,
    amountSats: d.amountSats,
    method: "keysend",
  };
  const p = await h.call("POST", "/api/v1/payments", { token: TREASURY, body });
  const r1 = await h.call("POST", `/api/v1/payments/${p.body.id}/result`, {
    token: TREASURY,
    body: { state: "failed", reason: "no route" },
  });
  t.is(r1.body.state, "pending", "retried by the treasury");
  t.is((await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due.length, 0);
  const r2 = await h.call("POST", `/api/v1/payments/${p.body.id}/result`, {
    token: TREASURY,
    body: { state: "failed", reason: "InsufficientLiquidity" },
  });
  t.is(r2.body.state, "failed");
  t.is(r2.body.reason, "InsufficientLiquidity");
  const again = (await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Json[];
  t.deepEqual(
    again.map((x) => x.amountSats),
    [d.amountSats],
  );
  const retry = await h.call("POST", "/api/v1/payments", { token: TREASURY, body });
  t.is(retry.status, 201, "the key is free again");
  t.not(retry.body.id, p.body.id);
  const events = ((await h.call("GET", "/api/v1/audit", { token: ADMIN })).body.entries as Json[]).map(
    (e) => e.event,
  );
  t.deepEqual(events, ["intent", "attempt-failed", "failed", "intent"]);
});

test("Hold pauses paying; balances below the threshold wait and the window settles", async (t) => {
  // S(800) = 156,250,000: 'big' (99 %) is above the 10,000,000 threshold, 'small' (1 %) is not.
  const { chain, outbox, h } = await setup(t, { payoutThresholdSats: 10_000_000n });
  chain.blocks.set(800, hashOf(800));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(800),
      height: 800,
      winner: "big",
      shares: [
        { destination: "big", nodeId: null, work: 99n },
        { destination: "small", nodeId: null, work: 1n },
      ],
    }),
  );
  await h.core.tick();
  const hold = await h.call("PATCH", `/api/v1/windows/${hashOf(800)}`, {
    token: ADMIN,
    body: { hold: true },
  });
  t.true(hold.body.hold);
  t.deepEqual((await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due, []);
  const d0 = {
    windowBlockHash: hashOf(800),
    recipientId: `miner:${addr("big")}`,
    amountSats: "1",
    method: "keysend",
  };
  t.is(
    (await h.call("POST", "/api/v1/payments", { token: TREASURY, body: d0 })).body.error.code,
    "window-on-hold",
  );
  t.is((await h.call("GET", `/api/v1/windows/${hashOf(800)}`, { token: ADMIN })).body.phase, "Calculated");
  await h.call("PATCH", `/api/v1/windows/${hashOf(800)}`, { token: ADMIN, body: { hold: false } });
  const due = (await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Json[];
  t.deepEqual(
    due.map((d) => d.recipientId),
    [`miner:${addr("big")}`],
    "'small' waits below the threshold",
  );
  const p = await h.call("POST", "/api/v1/payments", {
    token: TREASURY,
    body: { ...d0, amountSats: due[0].amountSats },
  });
  await h.call("POST", `/api/v1/payments/${p.body.id}/result`, {
    token: TREASURY,
    body: { state: "succeeded" },
  });
  const w = (await h.call("GET", `/api/v1/windows/${hashOf(800)}`, { token: ADMIN })).body;
  t.is(w.phase, "Settled", "nothing in flight or due: what waits is ledger balance");
  const ledger = (await h.call("GET", "/api/v1/ledger", { token: ADMIN })).body.balances as Json[];
  t.true(ledger.some((b) => b.recipientId === `miner:${addr("small")}` && BigInt(b.balanceSats) > 0n));
  t.true(ledger.some((b) => b.recipientId === `miner:${addr("big")}` && b.balanceSats === "0"));
});

test("Node registry: credential shown once, verify for the pool, rotation, telemetry by the node itself, the treasury reads a node's pubkey", async (t) => {
  const { h } = await setup(t);
  const reg = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "edge-1", visibility: "private", lightningPubkey: `02${"ab".repeat(32)}` },
  });
  t.is(reg.status, 201);
  t.regex(reg.body.nodeId, /^hn_[a-z2-7]{16}$/);
  t.regex(reg.body.credential, /^hnc_[A-Za-z0-9_-]{43}$/);
  const dup = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "edge-1", visibility: "public" },
  });
  t.is(dup.status, 409);
  t.is(dup.body.error.nodeId, reg.body.nodeId);
  const verify = (credential: string) =>
    h.call("POST", "/api/v1/nodes/verify", { token: POOL, body: { nodeId: reg.body.nodeId, credential } });
  t.deepEqual((await verify(reg.body.credential)).body, { valid: true });
  const tel = {
    lightning: {
      pubkey: `02${"ab".repeat(32)}`,
      syncedToChain: true,
      channels: [],
      onchainBalanceSats: 5,
      routingFeesSats: "0",
    },
  };
  t.is(
    (
      await h.call("POST", `/api/v1/nodes/${reg.body.nodeId}/telemetry`, {
        token: reg.body.credential,
        body: tel,
      })
    ).status,
    200,
  );
  const self = await h.call("GET", `/api/v1/nodes/${reg.body.nodeId}`, { token: reg.body.credential });
  t.is(self.body.telemetry.lightning.onchainBalanceSats, "5");
  t.truthy(self.body.telemetry.reportedAt);
  // The treasury reads a node for its Lightning pubkey (the invoice destination check).
  const byTreasury = await h.call("GET", `/api/v1/nodes/${reg.body.nodeId}`, { token: TREASURY });
  t.is(byTreasury.status, 200);
  t.is(byTreasury.body.lightningPubkey, `02${"ab".repeat(32)}`);
  t.is((await h.call("GET", `/api/v1/nodes/${reg.body.nodeId}`, { token: POOL })).status, 403);
  const rotated = await h.call("POST", `/api/v1/nodes/${reg.body.nodeId}/credential`, { token: ADMIN });
  t.not(rotated.body.credential, reg.body.credential);
  t.deepEqual((await verify(reg.body.credential)).body, { valid: false });
  t.deepEqual((await verify(rotated.body.credential)).body, { valid: true });
  t.is((await h.call("GET", `/api/v1/nodes/${reg.body.nodeId}`, { token: reg.body.credential })).status, 401);
  const stored = h.core.repo.findNodeById(reg.body.nodeId);
  t.false(JSON.stringify(stored).includes(rotated.body.credential), "only the hash is stored");
});

test("Metrics and probes: windows by phase and ledger totals on /metrics; /healthz and /readyz", async (t) => {
  const { chain, outbox, h } = await setup(t);
  chain.blocks.set(900, hashOf(900));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(900),
      height: 900,
      winner: "m",
      shares: [{ destination: "m", nodeId: null, work: 1n }],
    }),
  );
  await h.core.tick();
  const ops = `http://127.0.0.1:${h.core.opsPort}`;
  const metrics = await (await fetch(`${ops}/metrics`)).text();
  t.regex(metrics, /hyperhash_core_windows_count\{phase="Calculated"\} 1/);
  t.regex(metrics, /hyperhash_core_ledger_sats\{state="credited",kind="miner"\} \d+/);
  t.regex(metrics, /hyperhash_core_outbox_cursor_seq 1/);
  t.is((await fetch(`${ops}/healthz`)).status, 200);
  t.is((await fetch(`${ops}/readyz`)).status, 200);
  outbox.failWith = 500;
  await h.core.tick();
  const ready = await fetch(`${ops}/readyz`);
  t.is(ready.status, 503);
  t.regex(await ready.text(), /outbox: outbox answered HTTP 500/);
});
