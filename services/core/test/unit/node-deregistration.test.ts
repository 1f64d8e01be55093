import test from "ava";
import { ADMIN, fakeChain, hashOf, POOL, removeDir, startTestCore, TREASURY } from "../support/harness.ts";
import { blockFound, startPoolOutbox } from "../support/pool-outbox.ts";

/** A regtest payout address (the pool's outbox carries real destinations). */
const MINER = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

async function setup(t: import("ava").ExecutionContext, overrides = {}) {
  const chain = fakeChain();
  const outbox = await startPoolOutbox();
  const h = await startTestCore(chain, { poolUrl: outbox.url, payoutConfirmations: 1, ...overrides });
  t.teardown(async () => {
    await h.stop();
    await outbox.close();
    removeDir(h.dir);
  });
  return { chain, outbox, h };
}

test("issue 20 deregistration: admin-only, the credential stops working, the name is free again, a repeat answers the audit record", async (t) => {
  const { h } = await setup(t);
  const reg = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "ns.edge", visibility: "public" },
  });
  const { nodeId, credential } = reg.body as { nodeId: string; credential: string };
  t.is((await h.call("DELETE", `/api/v1/nodes/${nodeId}`, { token: TREASURY })).status, 403);
  t.is(
    (await h.call("DELETE", `/api/v1/nodes/${nodeId}`, { token: credential })).status,
    403,
    "not by itself",
  );

  const first = await h.call("DELETE", `/api/v1/nodes/${nodeId}`, { token: ADMIN });
  t.is(first.status, 200);
  t.like(first.body, { nodeId, name: "ns.edge", deregisteredBy: "admin" });
  const again = await h.call("DELETE", `/api/v1/nodes/${nodeId}`, { token: ADMIN });
  t.is(again.status, 200, "idempotent");
  t.deepEqual(again.body, first.body, "the repeat answers the stored record");

  t.is((await h.call("GET", `/api/v1/nodes/${nodeId}`, { token: ADMIN })).status, 404);
  const verify = await h.call("POST", "/api/v1/nodes/verify", { token: POOL, body: { nodeId, credential } });
  t.false(verify.body.valid, "the pool no longer accepts the credential");
  const telemetry = await h.call("POST", `/api/v1/nodes/${nodeId}/telemetry`, {
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
  t.is(telemetry.status, 401, "the credential authenticates nothing");
  const again2 = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "ns.edge", visibility: "public" },
  });
  t.is(again2.status, 201, "the name may be registered again");
  t.not(again2.body.nodeId, nodeId);
  t.is(
    (await h.call("DELETE", "/api/v1/nodes/hn_aaaaaaaaaaaaaaaa", { token: ADMIN })).status,
    404,
    "never registered",
  );
});

test("issue 20 deregistration is refused (409) while money is owed: a Maturing window, an unpaid credit, a payment in flight", async (t) => {
  const { chain, outbox, h } = await setup(t, { payoutConfirmations: 2 });
  const reg = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "ns.owed", visibility: "public" },
  });
  const nodeId = reg.body.nodeId as string;
  const del = () => h.call("DELETE", `/api/v1/nodes/${nodeId}`, { token: ADMIN });
  chain.blocks.set(600, hashOf(600));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(600),
      height: 600,
      winner: MINER,
      shares: [
        { destination: MINER, nodeId, work: 1n },
        { destination: MINER, nodeId: null, work: 1n },
      ],
    }),
  );
  await h.core.tick();
  t.is((await h.call("GET", `/api/v1/windows/${hashOf(600)}`, { token: ADMIN })).body.phase, "Maturing");
  const maturing = await del();
  t.is(maturing.status, 409);
  t.is(maturing.body.error.code, "pending-window");
  t.deepEqual(maturing.body.error.blockHashes, [hashOf(600)]);

  chain.blocks.set(601, hashOf(601));
  await h.core.tick();
  const unpaid = await del();
  t.is(unpaid.body.error.code, "unpaid-balance");
  const due = (await h.call("GET", "/api/v1/payments/due", { token: TREASURY })).body.due as Array<{
    recipientId: string;
    amountSats: string;
    kind: string;
  }>;
  const nodeDue = due.find((d) => d.kind === "node")!;
  t.is(unpaid.body.error.unpaidSats, nodeDue.amountSats);

  const intent = await h.call("POST", "/api/v1/payments", {
    token: TREASURY,
    body: {
      windowBlockHash: hashOf(600),
      recipientId: nodeDue.recipientId,
      amountSats: nodeDue.amountSats,
      method: "invoice",
      invoice: "lnbcrt1invoice",
      paymentHash: "11".repeat(32),
    },
  });
  const inFlight = await del();
  t.is(inFlight.body.error.code, "payment-in-flight");
  t.deepEqual(inFlight.body.error.paymentIds, [intent.body.id]);
  t.is((await h.call("GET", `/api/v1/nodes/${nodeId}`, { token: ADMIN })).status, 200, "still registered");

  await h.call("POST", `/api/v1/payments/${intent.body.id}/result`, {
    token: TREASURY,
    body: { state: "succeeded", feeSats: 1, preimage: "22".repeat(32), channelId: "600x1x0" },
  });
  t.is((await del()).status, 200, "paid in full: the node may go");
});
