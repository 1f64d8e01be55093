import anyTest, { type TestFn } from "ava";
import {
  ADMIN,
  fakeChain,
  hashOf,
  type Json,
  POOL,
  removeDir,
  startTestCore,
  type TestCore,
  TREASURY,
} from "../support/harness.ts";
import { addr, blockFound, type PoolOutbox, startPoolOutbox } from "../support/pool-outbox.ts";

const test = anyTest as TestFn<{
  h: TestCore;
  outbox: PoolOutbox;
  nodeA: { nodeId: string; credential: string };
  nodeB: { nodeId: string; credential: string };
}>;

const PUBKEY = `02${"ab".repeat(32)}`;
const goodTelemetry = {
  lightning: {
    pubkey: PUBKEY,
    syncedToChain: true,
    channels: [
      {
        id: "123x1x0",
        peerPubkey: `03${"cd".repeat(32)}`,
        capacitySats: "2000000",
        localBalanceSats: 0,
        remoteBalanceSats: "1990000",
        active: true,
      },
    ],
    onchainBalanceSats: "0",
    routingFeesSats: 12,
  },
};

test.before(async (t) => {
  const chain = fakeChain();
  const outbox = await startPoolOutbox();
  const h = await startTestCore(chain, { poolUrl: outbox.url, maxBodyBytes: 4096 });
  const a = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "node-a", visibility: "public" },
  });
  const b = await h.call("POST", "/api/v1/nodes", {
    token: ADMIN,
    body: { name: "node-b", visibility: "private" },
  });
  // One calculated window, so payment routes have something real to refuse against.
  chain.blocks.set(500, hashOf(500));
  outbox.events.push(
    blockFound({
      seq: 1,
      blockHash: hashOf(500),
      height: 500,
      winner: "m1",
      shares: [{ destination: "m1", nodeId: null, work: 10n }],
    }),
  );
  await h.core.tick();
  t.context = { h, outbox, nodeA: a.body, nodeB: b.body };
});

test.after.always(async (t) => {
  await t.context.h?.stop();
  await t.context.outbox?.close();
  if (t.context.h) removeDir(t.context.h.dir);
});

/** Everything a refused call must not change. */
async function snapshot(h: TestCore) {
  const nodes = await h.call("GET", "/api/v1/nodes", { token: ADMIN });
  const audit = await h.call("GET", "/api/v1/audit", { token: ADMIN });
  const ledger = await h.call("GET", "/api/v1/ledger", { token: ADMIN });
  const windows = await h.call("GET", "/api/v1/windows", { token: ADMIN });
  return JSON.stringify(
    [nodes.body, audit.body, ledger.body, windows.body, h.core.repo.listPayments()],
    (_k, v) => (typeof v === "bigint" ? v.toString() : v),
  );
}

function isRefusal(
  t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void },
  res: { status: number; body: Json },
  status: number,
  code: string,
) {
  t.is(res.status, status, JSON.stringify(res.body));
  t.is(res.body?.error?.code, code);
  t.true(typeof res.body?.error?.message === "string" && res.body.error.message.length > 0, "a message");
}

test.serial(
  "API bad input: wrong types in a registration → 400 invalid-body with issues, nothing written",
  async (t) => {
    const { h } = t.context;
    const before = await snapshot(h);
    for (const body of [
      { name: 5, visibility: "public" },
      { name: "x", visibility: "hidden" },
      { visibility: "public" },
      { name: "x", visibility: "public", lightningPubkey: "zz" },
      { name: "x", visibility: "public", extra: true },
      [],
    ]) {
      const res = await h.call("POST", "/api/v1/nodes", { token: ADMIN, body });
      isRefusal(t, res, 400, "invalid-body");
      if (!Array.isArray(body))
        t.true(Array.isArray(res.body.error.issues) && res.body.error.issues.length > 0);
    }
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "API bad input: negative, fractional or oversized sats in telemetry → 400, telemetry unchanged",
  async (t) => {
    const { h, nodeA } = t.context;
    const before = await snapshot(h);
    const bad = (patch: Record<string, unknown>) => ({ lightning: { ...goodTelemetry.lightning, ...patch } });
    const channel = goodTelemetry.lightning.channels[0]!;
    for (const body of [
      bad({ onchainBalanceSats: -1 }),
      bad({ onchainBalanceSats: "-1" }),
      bad({ routingFeesSats: 1.5 }),
      bad({ routingFeesSats: "1.5" }),
      bad({ routingFeesSats: "1e3" }),
      bad({ onchainBalanceSats: "2100000000000001" }),
      bad({ onchainBalanceSats: 2 ** 60 }),
      bad({ channels: [{ ...channel, capacitySats: -5 }] }),
      bad({ syncedToChain: "yes" }),
    ]) {
      const res = await h.call("POST", `/api/v1/nodes/${nodeA.nodeId}/telemetry`, {
        token: nodeA.credential,
        body,
      });
      isRefusal(t, res, 400, "invalid-body");
    }
    const node = await h.call("GET", `/api/v1/nodes/${nodeA.nodeId}`, { token: nodeA.credential });
    t.is(node.body.telemetry, null);
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "API bad input: unknown or malformed node ids → 404 unknown-node / 400 invalid-params",
  async (t) => {
    const { h } = t.context;
    const before = await snapshot(h);
    const unknown = "hn_aaaaaaaaaaaaaaaa";
    isRefusal(t, await h.call("GET", `/api/v1/nodes/${unknown}`, { token: ADMIN }), 404, "unknown-node");
    isRefusal(
      t,
      await h.call("POST", `/api/v1/nodes/${unknown}/credential`, { token: ADMIN }),
      404,
      "unknown-node",
    );
    isRefusal(t, await h.call("GET", "/api/v1/nodes/not-a-node", { token: ADMIN }), 400, "invalid-params");
    const verify = await h.call("POST", "/api/v1/nodes/verify", {
      token: POOL,
      body: { nodeId: unknown, credential: `hnc_${"A".repeat(43)}` },
    });
    t.deepEqual(verify.body, { valid: false });
    isRefusal(
      t,
      await h.call("POST", "/api/v1/nodes/verify", { token: POOL, body: { nodeId: "x", credential: "y" } }),
      400,
      "invalid-body",
    );
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "API bad input: oversize bodies → 413 body-too-large; broken JSON → 400 invalid-json; nothing written",
  async (t) => {
    const { h, nodeA } = t.context;
    const before = await snapshot(h);
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...goodTelemetry.lightning.channels[0],
      id: `c${i}`,
    }));
    isRefusal(
      t,
      await h.call("POST", `/api/v1/nodes/${nodeA.nodeId}/telemetry`, {
        token: nodeA.credential,
        body: { lightning: { ...goodTelemetry.lightning, channels: many } },
      }),
      413,
      "body-too-large",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/nodes", { token: ADMIN, raw: `{"name":"${"x".repeat(5000)}"}` }),
      413,
      "body-too-large",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/nodes", { token: ADMIN, raw: "{not json" }),
      400,
      "invalid-json",
    );
    isRefusal(t, await h.call("POST", "/api/v1/nodes", { token: ADMIN }), 400, "invalid-body");
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "No write endpoint is unauthenticated: missing or wrong credentials → 401, wrong principal → 403",
  async (t) => {
    const { h, nodeA, nodeB } = t.context;
    const before = await snapshot(h);
    const window = hashOf(500);
    const writes: [string, string, unknown][] = [
      ["POST", "/api/v1/nodes", { name: "intruder", visibility: "public" }],
      ["POST", `/api/v1/nodes/${nodeA.nodeId}/credential`, undefined],
      ["POST", "/api/v1/nodes/verify", { nodeId: nodeA.nodeId, credential: nodeA.credential }],
      ["POST", `/api/v1/nodes/${nodeA.nodeId}/telemetry`, goodTelemetry],
      ["PATCH", `/api/v1/windows/${window}`, { hold: true }],
      [
        "POST",
        "/api/v1/payments",
        { windowBlockHash: window, recipientId: `miner:${addr("m1")}`, amountSats: "1", method: "keysend" },
      ],
      ["POST", "/api/v1/payments/1/result", { state: "succeeded" }],
    ];
    for (const [method, path, body] of writes) {
      isRefusal(t, await h.call(method, path, { body }), 401, "unauthenticated");
      isRefusal(
        t,
        await h.call(method, path, { body, token: "wrong-token-0123456789" }),
        401,
        "unauthenticated",
      );
      isRefusal(
        t,
        await h.call(method, path, { body, token: `hnc_${"B".repeat(43)}` }),
        401,
        "unauthenticated",
      );
    }
    // Authenticated, but not allowed.
    isRefusal(
      t,
      await h.call("POST", "/api/v1/nodes", {
        token: nodeA.credential,
        body: { name: "n", visibility: "public" },
      }),
      403,
      "forbidden",
    );
    isRefusal(
      t,
      await h.call("POST", `/api/v1/nodes/${nodeB.nodeId}/telemetry`, {
        token: nodeA.credential,
        body: goodTelemetry,
      }),
      403,
      "forbidden",
    );
    isRefusal(
      t,
      await h.call("GET", `/api/v1/nodes/${nodeB.nodeId}`, { token: nodeA.credential }),
      403,
      "forbidden",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/nodes/verify", {
        token: TREASURY,
        body: { nodeId: nodeA.nodeId, credential: nodeA.credential },
      }),
      403,
      "forbidden",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments", {
        token: POOL,
        body: {
          windowBlockHash: window,
          recipientId: `miner:${addr("m1")}`,
          amountSats: "1",
          method: "keysend",
        },
      }),
      403,
      "forbidden",
    );
    isRefusal(
      t,
      await h.call("PATCH", `/api/v1/windows/${window}`, { token: TREASURY, body: { hold: true } }),
      403,
      "forbidden",
    );
    isRefusal(t, await h.call("GET", "/api/v1/audit", { token: TREASURY }), 403, "forbidden");
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "API bad input: payments with bad sats, unknown windows or payments → 4xx, nothing written",
  async (t) => {
    const { h } = t.context;
    const before = await snapshot(h);
    const intent = { windowBlockHash: hashOf(500), recipientId: `miner:${addr("m1")}`, method: "keysend" };
    for (const amountSats of [-1, "-1", 0, 1.5, "1.5", "abc", null, true]) {
      isRefusal(
        t,
        await h.call("POST", "/api/v1/payments", { token: TREASURY, body: { ...intent, amountSats } }),
        400,
        "invalid-body",
      );
    }
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments", {
        token: TREASURY,
        body: { ...intent, amountSats: "5", method: "carrier-pigeon" },
      }),
      400,
      "invalid-body",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments", {
        token: TREASURY,
        body: { ...intent, recipientId: "bob", amountSats: "5" },
      }),
      400,
      "invalid-body",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments", {
        token: TREASURY,
        body: { ...intent, windowBlockHash: hashOf(9), amountSats: "5" },
      }),
      404,
      "unknown-window",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments", { token: TREASURY, body: { ...intent, amountSats: "5" } }),
      409,
      "amount-mismatch",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments/77/result", { token: TREASURY, body: { state: "succeeded" } }),
      404,
      "unknown-payment",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments/0/result", { token: TREASURY, body: { state: "succeeded" } }),
      400,
      "invalid-params",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments/1/result", { token: TREASURY, body: { state: "done" } }),
      400,
      "invalid-body",
    );
    isRefusal(
      t,
      await h.call("POST", "/api/v1/payments/1/result", {
        token: TREASURY,
        body: { state: "succeeded", feeSats: -3 },
      }),
      400,
      "invalid-body",
    );
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "API bad input: windows — bad hold, unknown hash, bad query → 4xx, nothing written",
  async (t) => {
    const { h } = t.context;
    const before = await snapshot(h);
    isRefusal(
      t,
      await h.call("PATCH", `/api/v1/windows/${hashOf(500)}`, { token: ADMIN, body: { hold: "yes" } }),
      400,
      "invalid-body",
    );
    isRefusal(
      t,
      await h.call("PATCH", `/api/v1/windows/${hashOf(501)}`, { token: ADMIN, body: { hold: true } }),
      404,
      "unknown-window",
    );
    isRefusal(
      t,
      await h.call("PATCH", "/api/v1/windows/xyz", { token: ADMIN, body: { hold: true } }),
      400,
      "invalid-params",
    );
    isRefusal(
      t,
      await h.call("GET", `/api/v1/windows/${hashOf(501)}`, { token: ADMIN }),
      404,
      "unknown-window",
    );
    isRefusal(t, await h.call("GET", "/api/v1/windows?limit=0", { token: ADMIN }), 400, "invalid-query");
    isRefusal(t, await h.call("GET", "/api/v1/windows?phase=Bogus", { token: ADMIN }), 400, "invalid-query");
    isRefusal(t, await h.call("GET", "/api/v1/windows?surprise=1", { token: ADMIN }), 400, "invalid-query");
    isRefusal(t, await h.call("GET", "/api/v1/nowhere", { token: ADMIN }), 404, "not-found");
    t.is(await snapshot(h), before);
  },
);

test.serial(
  "every call is attributed in the logs (who, route, status) and no secret reaches them",
  async (t) => {
    const { h, nodeA } = t.context;
    const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "api call");
    t.true(lines.some((l) => l.who === "admin" && l.route === "/api/v1/nodes" && l.status === 201));
    t.true(lines.some((l) => l.who === `node:${nodeA.nodeId}` && l.status === 400));
    t.true(lines.some((l) => l.who === "anonymous" && l.status === 401));
    const all = h.logs.join("\n");
    for (const secret of [ADMIN, POOL, TREASURY, nodeA.credential]) t.false(all.includes(secret));
  },
);

test.serial("/openapi.json is OpenAPI 3.1 generated from the request schemas", async (t) => {
  const { h } = t.context;
  const res = await fetch(`${h.base}/openapi.json`);
  const doc = (await res.json()) as Json;
  t.is(doc.openapi, "3.1.0");
  const register = doc.paths["/api/v1/nodes"].post;
  t.deepEqual(register.requestBody.content["application/json"].schema.required, ["name", "visibility"]);
  t.deepEqual(register.requestBody.content["application/json"].schema.properties.visibility.enum, [
    "public",
    "private",
  ]);
  const telemetry = doc.paths["/api/v1/nodes/{nodeId}/telemetry"].post;
  t.is(telemetry.parameters[0].name, "nodeId");
  t.truthy(
    telemetry.requestBody.content["application/json"].schema.properties.lightning.properties
      .onchainBalanceSats.anyOf,
  );
  t.deepEqual(doc.paths["/api/v1/payments"].post.security, [{ treasuryToken: [] }]);
  t.truthy(doc.components.securitySchemes.nodeCredential);
});
