/**
 * ARCHITECTURE.md "From block to payment" step 4: the treasury learns each node's agent
 * endpoint from Core. The agent reports `{ url, token }` with its telemetry (node credential);
 * Core serves the token to the treasury only and strips it from every other view.
 */

import { nodeAgentResponse, nodeResponse } from "@hyperhash/contracts";
import test from "ava";
import { ADMIN, fakeChain, POOL, removeDir, startTestCore, TREASURY } from "../support/harness.ts";

const telemetry = (agent?: { url: string; token: string }) => ({
  lightning: {
    pubkey: `02${"ab".repeat(32)}`,
    syncedToChain: true,
    channels: [],
    onchainBalanceSats: "5",
    routingFeesSats: "0",
  },
  ...(agent ? { agent } : {}),
});

test("node agent endpoint: reported with telemetry, served to the treasury only, token hidden elsewhere; 404 before a report", async (t) => {
  const h = await startTestCore(fakeChain(), {});
  t.teardown(async () => {
    await h.stop();
    removeDir(h.dir);
  });
  const reg = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "edge", visibility: "public" },
  });
  const { nodeId, credential } = reg.body as { nodeId: string; credential: string };
  const path = `/api/v1/nodes/${nodeId}/agent`;

  const none = await h.call("GET", path, { token: TREASURY });
  t.is(none.status, 404);
  t.is(none.body.error.code, "no-agent");
  t.is(
    (await h.call("GET", "/api/v1/nodes/hn_aaaaaaaaaaaaaaaa/agent", { token: TREASURY })).body.error.code,
    "unknown-node",
  );

  const agent = { url: "http://edge-agent.ns.svc:9740", token: "agent-token-0123456789abcdef" };
  t.is(
    (await h.call("POST", `/api/v1/nodes/${nodeId}/telemetry`, { token: credential, body: telemetry(agent) }))
      .status,
    200,
  );
  const bad = await h.call("POST", `/api/v1/nodes/${nodeId}/telemetry`, {
    token: credential,
    body: telemetry({ url: "ftp://x", token: "short" }),
  });
  t.is(bad.status, 400, "the agent endpoint is validated by the contract");

  const served = await h.call("GET", path, { token: TREASURY });
  t.is(served.status, 200);
  t.like(nodeAgentResponse.parse(served.body), { nodeId, url: agent.url, token: agent.token });
  for (const token of [ADMIN, POOL, credential]) t.is((await h.call("GET", path, { token })).status, 403);

  const node = nodeResponse.parse((await h.call("GET", `/api/v1/nodes/${nodeId}`, { token: ADMIN })).body);
  t.deepEqual(
    (node.telemetry as { agent?: unknown }).agent,
    { url: agent.url },
    "no token outside the treasury's route",
  );
  t.false(
    JSON.stringify((await h.call("GET", "/api/v1/nodes", { token: ADMIN })).body).includes(agent.token),
  );
});
