/** Every REST route of Core: contract and handler side by side (see route.ts). */

import { deregisterNode, registerNode, rotateCredential, verifyCredential } from "../nodes.ts";
import { accepted, refused } from "../outcome.ts";
import { duePayments, type PaymentContext, recordPaymentIntent, recordPaymentResult } from "../payments.ts";
import * as api from "../schemas.ts";
import { settleWindows } from "../windows.ts";
import { describePrincipal } from "./auth.ts";
import {
  normaliseTelemetry,
  presentAudit,
  presentBalance,
  presentNode,
  presentNodeAgent,
  presentPayment,
  presentPayouts,
  presentWindow,
} from "./presenters.ts";
import { type RouteSpec, route } from "./route.ts";

/** Builds the route table over Core's state. */
export function coreRoutes(ctx: PaymentContext): RouteSpec[] {
  const { repo } = ctx;
  const now = () => ctx.now();
  const windowOr404 = (blockHash: string) => repo.findWindow(blockHash);
  return [
    route({
      method: "post",
      path: "/api/v1/nodes",
      summary: "Register a HyperNode; the credential is shown once",
      access: ["admin"],
      body: api.registerNodeBody,
      success: { status: 201, schema: api.credentialResponse, description: "registered" },
      refusals: { 409: "node-exists: the name is registered (error.nodeId names it)" },
      handle: ({ body }) => registerNode(repo, body, now),
    }),
    route({
      method: "get",
      path: "/api/v1/nodes",
      summary: "List registered nodes",
      access: ["admin"],
      success: { status: 200, schema: api.listNodesResponse, description: "nodes" },
      handle: () =>
        accepted({ nodes: repo.listNodes().map((n) => presentNode(n, repo.getTelemetry(n.nodeId))) }),
    }),
    route({
      method: "post",
      path: "/api/v1/nodes/verify",
      summary: "Check a node credential (for the pool)",
      access: ["pool"],
      body: api.verifyNodeBody,
      // The pool caches answers (positive and negative) for a bounded TTL: core-node-registry.ts.
      success: { status: 200, schema: api.verifyNodeResponse, description: "the answer" },
      handle: ({ body }) => accepted({ valid: verifyCredential(repo, body.nodeId, body.credential) }),
    }),
    route({
      method: "get",
      path: "/api/v1/nodes/:nodeId/agent",
      // The node agent reports it with its telemetry; the token is served to the treasury only.
      summary: "The node agent's payout API endpoint and its bearer token (for the treasury)",
      access: ["treasury"],
      params: api.nodeParams,
      success: { status: 200, schema: api.nodeAgentResponse, description: "the endpoint" },
      refusals: { 404: "unknown-node | no-agent: the node has not reported an agent endpoint" },
      handle: ({ params }) => {
        const n = repo.findNodeById(params.nodeId);
        if (!n) return refused(404, "unknown-node", "no node with this id");
        const agent = presentNodeAgent(n.nodeId, repo.getTelemetry(n.nodeId));
        if (!agent) return refused(404, "no-agent", "the node has not reported an agent endpoint");
        return accepted(agent);
      },
    }),
    route({
      method: "get",
      path: "/api/v1/nodes/:nodeId",
      // The treasury reads it for the node's Lightning pubkey (invoice destination check).
      summary: "One node with its latest telemetry",
      access: ["admin", "treasury", "node-self"],
      params: api.nodeParams,
      success: { status: 200, schema: api.nodeResponse, description: "the node" },
      refusals: { 404: "unknown-node" },
      handle: ({ params }) => {
        const n = repo.findNodeById(params.nodeId);
        if (!n) return refused(404, "unknown-node", "no node with this id");
        return accepted(presentNode(n, repo.getTelemetry(n.nodeId)));
      },
    }),
    route({
      method: "delete",
      path: "/api/v1/nodes/:nodeId",
      summary:
        "Deregister a node (its credential stops working); idempotent, refused while money is owed to it",
      access: ["admin"],
      params: api.nodeParams,
      success: { status: 200, schema: api.deregisteredResponse, description: "deregistered (now or before)" },
      refusals: {
        404: "unknown-node: no node with this id was ever registered",
        409: "payment-in-flight | unpaid-balance | pending-window: money is still owed to the node",
      },
      // Audited in node_deregistrations (who, when); the app logs the call as every call.
      handle: ({ params, principal }) =>
        deregisterNode(repo, params.nodeId, describePrincipal(principal), now),
    }),
    route({
      method: "post",
      path: "/api/v1/nodes/:nodeId/credential",
      summary: "Rotate a node's credential; the old one stops working",
      access: ["admin"],
      params: api.nodeParams,
      success: { status: 200, schema: api.credentialResponse, description: "the new credential" },
      refusals: { 404: "unknown-node" },
      handle: ({ params }) => rotateCredential(repo, params.nodeId),
    }),
    route({
      method: "post",
      path: "/api/v1/nodes/:nodeId/telemetry",
      summary: "Report Lightning telemetry (the node's own credential)",
      access: ["node-self"],
      params: api.nodeParams,
      body: api.telemetryBody,
      success: { status: 200, schema: api.telemetryAcceptedResponse, description: "stored" },
      handle: ({ params, body }) => {
        const reportedAt = now().toISOString();
        repo.putTelemetry({
          nodeId: params.nodeId,
          body: JSON.stringify(normaliseTelemetry(body)),
          reportedAt,
        });
        return accepted({ reportedAt });
      },
    }),
    route({
      method: "get",
      path: "/api/v1/windows",
      summary: "Window summaries in window order",
      access: ["admin", "treasury"],
      query: api.listWindowsQuery,
      success: { status: 200, schema: api.listWindowsResponse, description: "windows" },
      handle: ({ query }) => {
        const windows = repo.listWindows({
          ...(query.phase ? { phases: [query.phase] } : {}),
          limit: query.limit ?? 1000,
        } as Parameters<typeof repo.listWindows>[0]);
        return accepted({ windows: windows.map((w) => presentWindow(w, repo.windowMoney(w.blockHash))) });
      },
    }),
    route({
      method: "get",
      path: "/api/v1/windows/:blockHash",
      summary: "One window's summary",
      access: ["admin", "treasury"],
      params: api.windowParams,
      success: { status: 200, schema: api.windowSummary, description: "the window" },
      refusals: { 404: "unknown-window" },
      handle: ({ params }) => {
        const w = windowOr404(params.blockHash);
        if (!w) return refused(404, "unknown-window", "no window with this block hash");
        return accepted(presentWindow(w, repo.windowMoney(w.blockHash)));
      },
    }),
    route({
      method: "get",
      path: "/api/v1/windows/:blockHash/payouts",
      summary: "The canonical payout list and its SHA-256 digest",
      access: ["admin", "treasury"],
      params: api.windowParams,
      success: { status: 200, schema: api.payoutsResponse, description: "the frozen list" },
      refusals: { 404: "unknown-window", 409: "not-calculated: the window has no payout list (yet)" },
      handle: ({ params }) => {
        const w = windowOr404(params.blockHash);
        if (!w) return refused(404, "unknown-window", "no window with this block hash");
        if (w.payoutList === null || w.payoutDigest === null)
          return refused(409, "not-calculated", `window is ${w.phase}`);
        return accepted(presentPayouts({ ...w, payoutList: w.payoutList, payoutDigest: w.payoutDigest }));
      },
    }),
    route({
      method: "patch",
      path: "/api/v1/windows/:blockHash",
      summary: "Hold (pause paying) or release a window",
      access: ["admin"],
      params: api.windowParams,
      body: api.patchWindowBody,
      success: { status: 200, schema: api.windowSummary, description: "the window" },
      refusals: { 404: "unknown-window" },
      handle: ({ params, body }) => {
        const w = windowOr404(params.blockHash);
        if (!w) return refused(404, "unknown-window", "no window with this block hash");
        repo.setHold(w.blockHash, body.hold, now().toISOString());
        settleWindows(ctx);
        const after = repo.findWindow(w.blockHash) ?? w;
        return accepted(presentWindow(after, repo.windowMoney(w.blockHash)));
      },
    }),
    route({
      method: "get",
      path: "/api/v1/ledger",
      summary: "Per-recipient balances: credits from windows, debits from payments",
      access: ["admin", "treasury"],
      success: { status: 200, schema: api.ledgerResponse, description: "balances" },
      handle: () =>
        accepted({
          thresholdSats: ctx.payoutThresholdSats.toString(),
          balances: repo.ledgerBalances().map(presentBalance),
        }),
    }),
    route({
      method: "get",
      path: "/api/v1/audit",
      summary: "The audit log of every payment event",
      access: ["admin"],
      query: api.auditQuery,
      success: { status: 200, schema: api.auditResponse, description: "entries in order" },
      handle: ({ query }) => accepted({ entries: repo.listAudit(query).map(presentAudit) }),
    }),
    route({
      method: "get",
      path: "/api/v1/payments/due",
      summary: "Recipients whose balance over non-held windows reaches the payout threshold",
      access: ["treasury", "admin"],
      success: { status: 200, schema: api.dueResponse, description: "what to pay" },
      handle: () =>
        accepted({
          thresholdSats: ctx.payoutThresholdSats.toString(),
          due: duePayments(ctx).map((d) => ({ ...d, amountSats: d.amountSats.toString() })),
        }),
    }),
    route({
      method: "post",
      path: "/api/v1/payments",
      summary: "Record a payment intent BEFORE paying (idempotent per window and recipient)",
      access: ["treasury"],
      body: api.paymentIntentBody,
      success: {
        status: 201,
        schema: api.paymentOutput,
        description: "recorded (200 with the stored one on replay)",
      },
      refusals: {
        404: "unknown-window",
        409: "payment-conflict | window-not-payable | window-on-hold | nothing-due | amount-mismatch | below-threshold",
      },
      handle: ({ body }) => mapPayment(recordPaymentIntent(ctx, body)),
    }),
    route({
      method: "post",
      path: "/api/v1/payments/:id/result",
      summary: "Report the result of a payment attempt",
      access: ["treasury"],
      params: api.paymentParams,
      body: api.paymentResultBody,
      success: { status: 200, schema: api.paymentOutput, description: "the payment" },
      refusals: { 404: "unknown-payment", 409: "payment-final" },
      handle: ({ params, body }) => mapPayment(recordPaymentResult(ctx, params.id, body)),
    }),
  ];
}

function mapPayment(o: ReturnType<typeof recordPaymentIntent>) {
  return o.ok ? { ...o, value: presentPayment(o.value) } : o;
}
