/**
 * STYLE rule 1 and issue 19 item 4: one contract for Core's API and the pool's outbox, and a
 * test that fails when a client's expectations drift from it. Core runs in-process on
 * 127.0.0.1 with a real SQLite file; its clients are the real ones — the operator's and the
 * treasury's `httpCoreClient`, the node agent's telemetry reporter, the pool's credential
 * registry and the pool's share store as the outbox producer — and every route they call is
 * also read raw and parsed with the @hyperhash/contracts schema the clients (and the devnet and
 * the end-to-end tests) import, which must take Core's body exactly: nothing missing, nothing
 * undeclared, nothing left to normalise. A route Core serves that no step here calls fails the
 * last test, so a new route comes with its contract check.
 */

import * as contract from "@hyperhash/contracts";
import { invoiceRequestSchema, startTelemetryReporter } from "@hyperhash/node-agent";
import { httpCoreClient as operatorCoreClient } from "@hyperhash/operator";
import { coreNodeRegistry, createCredentialCache, type NodeBinding, openSqliteStore } from "@hyperhash/pool";
import { createLogger } from "@hyperhash/telemetry";
import { httpCoreClient as treasuryCoreClient } from "@hyperhash/treasury";
import test, { type ExecutionContext } from "ava";
import type { z } from "zod";
import { coreRoutes } from "../../src/api/routes.ts";
import type { PaymentContext } from "../../src/payments.ts";
import {
  ADMIN,
  fakeChain,
  hashOf,
  POOL,
  removeDir,
  startTestCore,
  type TestCore,
  TREASURY,
} from "../support/harness.ts";
import { addr, startPoolOutbox } from "../support/pool-outbox.ts";

const quiet = createLogger({ service: "client-contract-test", level: "error", write: () => {} });
const PUBKEY = `02${"ab".repeat(32)}`;
const PEER = `03${"cd".repeat(32)}`;
const AGENT = { url: "http://edge-agent.hyperhash.svc:9740", token: "agent-token-0123456789abcdef" };

/** The body parses with the contract's schema, and the schema keeps it exactly as Core sent it. */
function servedExactly<S extends z.ZodType>(
  t: ExecutionContext,
  schema: S,
  answer: { status: number; body: unknown },
  what: string,
): z.output<S> {
  t.true(
    answer.status >= 200 && answer.status < 300,
    `${what}: ${answer.status} ${JSON.stringify(answer.body)}`,
  );
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) t.fail(`${what}: Core's answer does not match the contract: ${parsed.error.message}`);
  else t.deepEqual(parsed.data, answer.body, `${what}: Core serves exactly the contract`);
  return parsed.data as z.output<S>;
}

/** A refusal in the contract's error form, with the code expected. */
function refusedWith(
  t: ExecutionContext,
  answer: { status: number; body: unknown },
  status: number,
  code: string,
) {
  t.is(answer.status, status);
  const e = contract.errorResponse.safeParse(answer.body);
  t.true(e.success, `error body in the contract's form: ${JSON.stringify(answer.body)}`);
  if (e.success) t.is(e.data.error.code, code);
}

/** `METHOD /path` of every route that answered 2xx, from Core's own access log. */
function answeredRoutes(h: TestCore): Set<string> {
  const seen = new Set<string>();
  for (const line of h.logs) {
    const r = JSON.parse(line) as { msg?: string; method?: string; route?: string; status?: number };
    if (r.msg === "api call" && r.status !== undefined && r.status < 300) seen.add(`${r.method} ${r.route}`);
  }
  return seen;
}

/** The pool's share store writes a window (alice direct, bob through `nodeId`) and its outbox event. */
function poolWindow(dir: string, nodeId: string, blockHash: string, height: number) {
  const store = openSqliteStore({ path: `${dir}/pool.sqlite` });
  try {
    const share = (n: number, destination: string, node: string | null) => ({
      kind: "share" as const,
      share: {
        hashHex: hashOf(0x5000 + n),
        destination,
        nodeId: node,
        worker: "rig1",
        channelId: 1,
        sequenceNumber: n,
        jobId: 1,
        work: 1n << BigInt(40 + n),
        acceptedAtMs: 1_700_000_000_000 + n,
      },
    });
    store.commit([
      share(1, addr("alice"), null),
      share(2, addr("bob"), nodeId),
      share(3, addr("alice"), null),
      {
        kind: "block",
        block: {
          blockHash,
          height,
          subsidySats: 5_000_000_000n,
          feesSats: 12_345n,
          coinbaseValueSats: 5_000_012_345n,
          winner: { destination: addr("alice"), nodeId: null, worker: "rig1" },
          templateId: 1n,
          foundAtMs: 1_700_000_001_000,
        },
      },
    ]);
    return store.outbox(0, 100);
  } finally {
    store.close();
  }
}

test("Core's clients and the contract agree on every route Core serves (real Core, real clients, real SQLite)", async (t) => {
  const chain = fakeChain();
  const outbox = await startPoolOutbox();
  const h = await startTestCore(chain, {
    poolUrl: outbox.url,
    payoutConfirmations: 1,
    payoutThresholdSats: 1n,
  });
  t.teardown(async () => {
    await h.stop();
    await outbox.close();
    removeDir(h.dir);
  });
  const operator = operatorCoreClient({ baseUrl: h.base, adminToken: ADMIN });
  const treasury = treasuryCoreClient({ url: h.base, token: TREASURY });
  const admin = (method: string, path: string, body?: unknown) =>
    h.call(method, path, { token: ADMIN, body });

  // The operator registers a HyperNode and rotates its credential.
  const registered = await operator.registerNode({ name: "hyperhash.edge", visibility: "public" });
  if (!registered.ok) return t.fail(`registerNode: ${JSON.stringify(registered.error)}`);
  const { nodeId } = registered.value;
  const again = await operator.registerNode({ name: "hyperhash.edge", visibility: "public" });
  t.like(
    again,
    { ok: false, error: { status: 409, code: "node-exists", nodeId } },
    "the refusal names the node",
  );
  const rotated = await operator.rotateCredential(nodeId);
  if (!rotated.ok) return t.fail(`rotateCredential: ${JSON.stringify(rotated.error)}`);
  const { credential } = rotated.value;

  // The node agent reports telemetry (its own credential) with its payout API endpoint.
  const reporter = startTelemetryReporter({
    target: { coreUrl: h.base, nodeId, credential, agent: AGENT },
    intervalMs: 3_600_000,
    logger: quiet,
    snapshot: async () => ({
      pubkey: PUBKEY,
      syncedToChain: true,
      channels: [
        {
          id: "101x1x0",
          peerPubkey: PEER,
          capacitySats: 16_000_000n,
          localBalanceSats: 1_000n,
          remoteBalanceSats: 15_990_000n,
          localReserveSats: 160_000n,
          remoteReserveSats: 160_000n,
          active: true,
        },
      ],
      onchainBalanceSats: 42n,
      routingFeesSats: 0n,
    }),
  });
  t.teardown(() => reporter.stop());
  t.deepEqual(await reporter.reportNow(), { ok: true }, "Core takes the agent's telemetry body");
  servedExactly(
    t,
    contract.telemetryAcceptedResponse,
    await h.call("POST", `/api/v1/nodes/${nodeId}/telemetry`, {
      token: credential,
      body: {
        lightning: {
          pubkey: PUBKEY,
          syncedToChain: true,
          channels: [],
          onchainBalanceSats: "42",
          routingFeesSats: "0",
        },
        agent: AGENT,
      },
    }),
    "POST telemetry",
  );

  // The pool verifies the node's credential at Core (and refuses a wrong one).
  const registry = coreNodeRegistry({
    url: h.base,
    token: POOL,
    cache: createCredentialCache({ positiveTtlMs: 0, negativeTtlMs: 0, maxEntries: 10, now: Date.now }),
  });
  t.deepEqual(await registry.bind(`${nodeId}:${credential}`), {
    kind: "bound",
    nodeId,
  } satisfies NodeBinding);
  t.is((await registry.bind(`${nodeId}:not-the-credential`)).kind, "refused");
  t.deepEqual(
    servedExactly(
      t,
      contract.verifyNodeResponse,
      await h.call("POST", "/api/v1/nodes/verify", { token: POOL, body: { nodeId, credential } }),
      "POST verify",
    ),
    { valid: true },
  );

  // The pool's share store produces the window's outbox event; Core consumes it.
  const height = 10;
  const blockHash = hashOf(0xb10c);
  chain.blocks.set(height, blockHash);
  const events = poolWindow(h.dir, nodeId, blockHash, height);
  t.is(events.length, 1);
  for (const e of events)
    t.true(contract.blockFoundEvent("regtest").safeParse(e).success, "the pool's event");
  t.true(contract.outboxPage.safeParse({ events }).success);
  outbox.events.push(...events);
  await h.core.tick();

  // The operator's view: windows, the node with its telemetry, a hold and its release.
  const windows = await operator.listWindows();
  if (!windows.ok) return t.fail(`listWindows: ${JSON.stringify(windows.error)}`);
  t.like(windows.value, [{ blockHash, height, phase: "Calculated", recipientCount: 4 }]);
  const node = await operator.getNode(nodeId);
  if (!node.ok) return t.fail(`getNode: ${JSON.stringify(node.error)}`);
  t.is(node.value.telemetry?.lightning.pubkey, PUBKEY);
  t.deepEqual(node.value.telemetry?.agent, { url: AGENT.url }, "the agent's token is not in the node's view");
  t.like(
    await operator.setWindowHold(blockHash.toUpperCase(), true),
    { ok: true },
    "upper-case hash, same window",
  );
  t.true(
    servedExactly(t, contract.windowSummary, await admin("GET", `/api/v1/windows/${blockHash}`), "GET window")
      .hold,
  );
  t.like(await operator.setWindowHold(blockHash, false), { ok: true });

  // The treasury's view: what is due, the node's pubkey and agent, an intent and its result.
  const due = await treasury.listDue();
  t.deepEqual(due.map((d) => d.recipientId).sort(), [
    `miner:${addr("alice")}`,
    `miner:${addr("bob")}`,
    `node:${nodeId}`,
  ]);
  t.deepEqual(await treasury.nodePubkey(nodeId), { ok: true, value: PUBKEY }, "from the node's telemetry");
  t.deepEqual(await treasury.nodeAgent(nodeId), { ok: true, value: AGENT });
  t.like(invoiceRequestSchema.parse({ windowBlockHash: blockHash.toUpperCase(), amountSats: "1" }), {
    windowBlockHash: blockHash,
  });
  const alice = due.find((d) => d.recipientId === `miner:${addr("alice")}`)!;
  const intent = {
    windowBlockHash: alice.windowBlockHash,
    recipientId: alice.recipientId,
    amountSats: alice.amountSats,
    method: "onchain" as const,
  };
  const recorded = await treasury.recordIntent(intent);
  if (!recorded.ok) return t.fail(`recordIntent: ${recorded.code} ${recorded.message}`);
  t.like(recorded.value, { state: "pending", attempts: 0, amountSats: alice.amountSats });
  const replay = await h.call("POST", "/api/v1/payments", {
    token: TREASURY,
    body: { ...intent, amountSats: intent.amountSats.toString() },
  });
  t.is(replay.status, 200, "the stored intent on replay");
  servedExactly(t, contract.paymentOutput, replay, "POST payments (replay)");
  const nodeDue = due.find((d) => d.kind === "node")!;
  const nodeIntent = await treasury.recordIntent({
    windowBlockHash: nodeDue.windowBlockHash,
    recipientId: nodeDue.recipientId,
    amountSats: nodeDue.amountSats,
    method: "invoice",
    paymentHash: "ef".repeat(32),
    invoice: "lnbcrt1contracttestinvoice",
  });
  if (!nodeIntent.ok) return t.fail(`recordIntent (node): ${nodeIntent.code} ${nodeIntent.message}`);
  const failed = await treasury.reportResult(nodeIntent.value.id, { state: "failed", reason: "no route" });
  t.like(failed, { ok: true, value: { attempts: 1 } });
  const paid = await treasury.reportResult(recorded.value.id, { state: "succeeded", feeSats: 0n });
  t.like(paid, { ok: true, value: { state: "succeeded" } });
  const result = (body: unknown) =>
    h.call("POST", `/api/v1/payments/${recorded.value.id}/result`, { token: TREASURY, body });
  servedExactly(t, contract.paymentOutput, await result({ state: "succeeded" }), "POST result (replay)");
  refusedWith(t, await result({ state: "failed", reason: "late" }), 409, "payment-final");

  // Every read the devnet, the end-to-end tests and the clients make, parsed exactly.
  servedExactly(
    t,
    contract.listWindowsResponse,
    await admin("GET", "/api/v1/windows?limit=1000"),
    "GET windows",
  );
  servedExactly(
    t,
    contract.listWindowsResponse,
    await h.call("GET", "/api/v1/windows", { token: TREASURY }),
    "GET windows (treasury)",
  );
  const payouts = servedExactly(
    t,
    contract.payoutsResponse,
    await admin("GET", `/api/v1/windows/${blockHash}/payouts`),
    "GET payouts",
  );
  t.is(payouts.recipients.length, 4);
  servedExactly(t, contract.ledgerResponse, await admin("GET", "/api/v1/ledger"), "GET ledger");
  const audit = servedExactly(
    t,
    contract.auditResponse,
    await admin("GET", "/api/v1/audit?limit=1000"),
    "GET audit",
  );
  t.deepEqual(
    audit.entries.map((e) => e.event),
    ["intent", "intent", "attempt-failed", "succeeded"],
  );
  servedExactly(
    t,
    contract.dueResponse,
    await h.call("GET", "/api/v1/payments/due", { token: TREASURY }),
    "GET due",
  );
  const nodes = servedExactly(
    t,
    contract.listNodesResponse,
    await admin("GET", "/api/v1/nodes"),
    "GET nodes",
  );
  t.deepEqual(
    nodes.nodes.map((n) => n.nodeId),
    [nodeId],
  );
  servedExactly(
    t,
    contract.nodeResponse,
    await h.call("GET", `/api/v1/nodes/${nodeId}`, { token: TREASURY }),
    "GET node",
  );
  servedExactly(
    t,
    contract.nodeAgentResponse,
    await h.call("GET", `/api/v1/nodes/${nodeId}/agent`, { token: TREASURY }),
    "GET node agent",
  );
  refusedWith(t, await admin("GET", `/api/v1/windows/${hashOf(0xdead)}`), 404, "unknown-window");

  // The operator deregisters: refused while money is owed; a node owed nothing goes, twice.
  const owed = await operator.deregisterNode(nodeId);
  t.like(owed, { ok: false, error: { status: 409 } });
  const spare = await operator.registerNode({ name: "hyperhash.spare", visibility: "private" });
  if (!spare.ok) return t.fail(`registerNode (spare): ${JSON.stringify(spare.error)}`);
  const gone = await operator.deregisterNode(spare.value.nodeId);
  t.like(gone, {
    ok: true,
    value: { nodeId: spare.value.nodeId, name: "hyperhash.spare", deregisteredBy: "admin" },
  });
  servedExactly(
    t,
    contract.deregisteredResponse,
    await admin("DELETE", `/api/v1/nodes/${spare.value.nodeId}`),
    "DELETE node",
  );

  // Every route of Core's table answered a 2xx to a step above.
  const answered = answeredRoutes(h);
  const routes = coreRoutes({} as PaymentContext).map((r) => `${r.method.toUpperCase()} ${r.path}`);
  t.deepEqual(
    routes.filter((r) => !answered.has(r)),
    [],
    "routes Core serves that this test never called: add their client calls and contract checks",
  );
});
