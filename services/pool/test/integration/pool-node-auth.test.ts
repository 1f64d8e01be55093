/**
 * ARCHITECTURE.md "Node identity" against real processes (btcd → hh-tp → hh-pool, and the real
 * Core): the pool verifies a node credential at Core's verify endpoint, a deregistered node
 * stops binding within the cache TTL; the HTTP API needs the bearer token Core sends; one
 * connection holds at most `maxChannelsPerConnection` channels and one address at most
 * `maxConnectionsPerAddress` connections.
 */
import { join } from "node:path";
import { type RunningCore, startCore } from "@hyperhash/core";
import { waitFor } from "@hyperhash/devnet";
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import type { RunningPool } from "../../src/pool.ts";
import { MINER_A, metric, startTestPool } from "../helpers/pool-fixture.ts";
import { type RealStack, useRealStack } from "../helpers/real-stack.ts";
import { connectRawClient } from "../helpers/sv2-client.ts";

const test = anyTest as TestFn<RealStack>;
useRealStack(test, "node-auth");

const ADMIN = "admin-token-0123456789abcdef";
const POOL = "pool-token-0123456789abcdef";
const OUTBOX = "outbox-token-0123456789abcdef";

async function realCore(t: ExecutionContext<RealStack>, name: string) {
  const core: RunningCore = await startCore(
    {
      network: "regtest",
      dbPath: join(t.context.dir, `${name}-core.sqlite`),
      adminToken: ADMIN,
      poolToken: POOL,
      treasuryToken: "treasury-token-0123456789abc",
      logLevel: "warn",
    },
    { rpc: t.context.btcd.rpc },
  );
  t.teardown(() => core.stop());
  const url = `http://127.0.0.1:${core.port}`;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, string>;
  };
  return { url, admin };
}

async function readyPool(t: ExecutionContext<RealStack>, overrides: Parameters<typeof startTestPool>[2]) {
  const { pool } = await startTestPool(t, t.context.tpAddress, overrides);
  await waitFor(() => pool.ready, { what: "a template and tip from hh-tp", timeoutMs: 60_000 });
  return pool;
}

const get = (pool: RunningPool, path: string, token?: string) =>
  fetch(`http://127.0.0.1:${pool.httpPort}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

test.serial(
  "Core is the source of node credentials: bound through Core's verify, refused after deregistration within the TTL",
  async (t) => {
    const core = await realCore(t, "verify");
    const reg = await core.admin("POST", "/api/v1/nodes", { name: "edge-1", visibility: "public" });
    const nodeId = reg.nodeId as string;
    const credential = reg.credential as string;
    const ttlMs = 1500;
    const pool = await readyPool(t, {
      core: { url: core.url, token: POOL, cacheTtlMs: ttlMs, negativeCacheTtlMs: 500 },
    });

    const bound = await connectRawClient(pool, { deviceId: `${nodeId}:${credential}` });
    t.teardown(() => bound.close());
    t.like(await bound.open("extended", { requestId: 1, userIdentity: `${nodeId}/${MINER_A}.rig` }), {
      type: "OpenExtendedMiningChannel.Success",
    });
    await t.throwsAsync(connectRawClient(pool, { deviceId: `${nodeId}:hnc_${"A".repeat(43)}` }), {
      message: /invalid-node-credential/,
    });
    // Without a credential, naming the node is refused at channel open.
    const plain = await connectRawClient(pool);
    t.teardown(() => plain.close());
    t.like(await plain.open("extended", { requestId: 2, userIdentity: `${nodeId}/${MINER_A}` }), {
      type: "OpenMiningChannel.Error",
      errorCode: "unauthorized-node",
    });

    t.like(await core.admin("DELETE", `/api/v1/nodes/${nodeId}`), { nodeId });
    await new Promise((r) => setTimeout(r, ttlMs + 100));
    await t.throwsAsync(connectRawClient(pool, { deviceId: `${nodeId}:${credential}` }), {
      message: /invalid-node-credential/,
    });
    // The connection bound before deregistration opens no further node channel either.
    t.like(await bound.open("extended", { requestId: 3, userIdentity: `${nodeId}/${MINER_A}.rig2` }), {
      type: "OpenMiningChannel.Error",
      errorCode: "unauthorized-node",
    });
    t.true((await metric(pool, "hyperhash_pool_node_verifications_total", 'result="valid"')) >= 1);
  },
);

test.serial(
  "Core unreachable: a node connection is refused with node-registry-unavailable (never cached)",
  async (t) => {
    const pool = await readyPool(t, { core: { url: "http://127.0.0.1:1", token: POOL } });
    await t.throwsAsync(connectRawClient(pool, { deviceId: `hn_aaaaaaaaaaaaaaaa:hnc_${"A".repeat(43)}` }), {
      message: /node-registry-unavailable/,
    });
    const plain = await connectRawClient(pool, { deviceId: "bitaxe-1" });
    t.teardown(() => plain.close());
    t.like(await plain.open("standard", { requestId: 1, userIdentity: MINER_A }), {
      type: "OpenStandardMiningChannel.Success",
    });
  },
);

test.serial(
  "the pool's HTTP API needs the bearer token Core sends; off loopback it will not start without one",
  async (t) => {
    const pool = await readyPool(t, { apiToken: OUTBOX });
    for (const path of ["/api/v1/outbox?after=0", "/api/v1/stats", "/api/v1/blocks"]) {
      t.is((await get(pool, path)).status, 401, path);
      t.is((await get(pool, path, "wrong-token-0123456789abcdef")).status, 401, path);
      t.is((await get(pool, path, OUTBOX)).status, 200, path);
    }
    t.is((await fetch(`http://127.0.0.1:${pool.opsPort}/healthz`)).status, 200, "probes stay open");
    await t.throwsAsync(startTestPool(t, t.context.tpAddress, { httpHost: "0.0.0.0" }), {
      message: /needs an API token/,
    });
  },
);

test.serial(
  "caps: channels per connection (too-many-channels) and connections per address (refused at accept, counted)",
  async (t) => {
    const pool = await readyPool(t, { maxChannelsPerConnection: 3, maxConnectionsPerAddress: 2 });
    const client = await connectRawClient(pool);
    t.teardown(() => client.close());
    for (let i = 1; i <= 3; i++) {
      t.like(await client.open("standard", { requestId: i, userIdentity: `${MINER_A}.w${i}` }), {
        type: "OpenStandardMiningChannel.Success",
      });
    }
    t.like(await client.open("standard", { requestId: 4, userIdentity: `${MINER_A}.w4` }), {
      type: "OpenMiningChannel.Error",
      requestId: 4,
      errorCode: "too-many-channels",
    });
    const second = await connectRawClient(pool);
    t.teardown(() => second.close());
    await t.throwsAsync(connectRawClient(pool));
    t.is(await metric(pool, "hyperhash_pool_connections_refused_total", 'reason="per-address-limit"'), 1);
    second.close();
    await second.closed;
    await waitFor(
      async () => {
        const again = await connectRawClient(pool).catch(() => undefined);
        again?.close();
        return again !== undefined;
      },
      { what: "a freed slot to admit a new connection", timeoutMs: 10_000 },
    );
  },
);
