/**
 * ARCHITECTURE.md "Node identity": the pool verifies node credentials at Core through a
 * bounded TTL cache (positive and negative), and caps connections per remote address.
 */
import test from "ava";
import { coreNodeRegistry, createCredentialCache } from "../../src/core-node-registry.ts";
import { parseNodeClaim, staticNodeRegistry } from "../../src/node-registry.ts";
import { createAddressLimiter } from "../../src/pool.ts";

const NODE = "hn_aaaaaaaaaaaaaaaa";
const GOOD = `${NODE}:hnc_good`;
const BAD = `${NODE}:hnc_bad`;

function clock() {
  let ms = 1_000_000;
  return { now: () => ms, advance: (d: number) => (ms += d) };
}

/** A Core stand-in for `POST /api/v1/nodes/verify`: answers from `valid`, counts calls. */
function fakeCore(valid: Set<string>, status = 200) {
  const calls: Array<{ auth: string | null; body: { nodeId: string; credential: string } }> = [];
  const fetchFn = (async (_url: URL, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as { nodeId: string; credential: string };
    calls.push({ auth: new Headers(init.headers).get("authorization"), body });
    await new Promise((r) => setTimeout(r, 5));
    if (status !== 200) return new Response("{}", { status });
    return Response.json({ valid: valid.has(`${body.nodeId}:${body.credential}`) });
  }) as unknown as typeof fetch;
  return { calls, fetchFn };
}

test("device ids: only `<issued node id>:<credential>` claims a node; anything else is an ordinary device", (t) => {
  t.deepEqual(parseNodeClaim(GOOD), { nodeId: NODE, credential: "hnc_good" });
  for (const id of ["", "bitaxe", "bitaxe:1234", ":x", `${NODE}:`, "hn_short:x"])
    t.is(parseNodeClaim(id), null);
});

test("cache: a valid answer lives positiveTtlMs, an invalid one negativeTtlMs; the size bound evicts the oldest", (t) => {
  const c = clock();
  const cache = createCredentialCache({
    positiveTtlMs: 30_000,
    negativeTtlMs: 10_000,
    maxEntries: 2,
    now: c.now,
  });
  cache.set(GOOD, "valid");
  cache.set(BAD, "invalid");
  t.is(cache.get(GOOD), "valid");
  t.is(cache.get(BAD), "invalid");
  c.advance(10_000);
  t.is(cache.get(BAD), undefined, "negative entry expired");
  t.is(cache.get(GOOD), "valid");
  c.advance(20_000);
  t.is(cache.get(GOOD), undefined, "positive entry expired at the TTL");
  cache.set("a", "valid");
  cache.set("b", "valid");
  cache.set("c", "valid");
  t.is(cache.size, 2);
  t.is(cache.get("a"), undefined, "the oldest went first");
  t.is(cache.get("c"), "valid");
  t.throws(() => createCredentialCache({ positiveTtlMs: -1, negativeTtlMs: 0, maxEntries: 1, now: c.now }));
});

test("Core registry: the pool token is sent, concurrent binds share one request, answers are cached both ways", async (t) => {
  const c = clock();
  const core = fakeCore(new Set([GOOD]));
  const results: string[] = [];
  const registry = coreNodeRegistry({
    url: "http://core.invalid",
    token: "pool-token-0123456789",
    cache: createCredentialCache({
      positiveTtlMs: 30_000,
      negativeTtlMs: 10_000,
      maxEntries: 100,
      now: c.now,
    }),
    observe: (r) => results.push(r),
    fetch: core.fetchFn,
  });
  const storm = await Promise.all(Array.from({ length: 20 }, () => registry.bind(GOOD)));
  t.true(storm.every((b) => b.kind === "bound" && b.nodeId === NODE));
  t.is(core.calls.length, 1, "one request for a reconnect storm");
  t.is(core.calls[0]?.auth, "Bearer pool-token-0123456789");
  t.deepEqual(core.calls[0]?.body, { nodeId: NODE, credential: "hnc_good" });
  t.deepEqual(await registry.bind(BAD), { kind: "refused", nodeId: NODE });
  t.deepEqual(await registry.bind(BAD), { kind: "refused", nodeId: NODE });
  t.is(core.calls.length, 2, "the negative answer is cached");
  t.deepEqual(await registry.bind("plain-device"), { kind: "unbound" });
  t.is(core.calls.length, 2, "an ordinary device id never reaches Core");
  t.true(results.includes("cached") && results.includes("valid") && results.includes("invalid"));
});

test("Core registry: a deregistered node stops binding once its cached answer expires (within the TTL)", async (t) => {
  const c = clock();
  const valid = new Set([GOOD]);
  const core = fakeCore(valid);
  const registry = coreNodeRegistry({
    url: "http://core.invalid",
    token: "pool-token-0123456789",
    cache: createCredentialCache({
      positiveTtlMs: 30_000,
      negativeTtlMs: 10_000,
      maxEntries: 100,
      now: c.now,
    }),
    fetch: core.fetchFn,
  });
  t.is((await registry.bind(GOOD)).kind, "bound");
  valid.delete(GOOD); // Core deregisters the node
  c.advance(29_999);
  t.is((await registry.bind(GOOD)).kind, "bound", "still cached just before the TTL");
  c.advance(1);
  t.deepEqual(await registry.bind(GOOD), { kind: "refused", nodeId: NODE });
});

test("Core registry: Core unreachable or erroring is `unavailable` and never cached", async (t) => {
  const c = clock();
  const cache = createCredentialCache({
    positiveTtlMs: 30_000,
    negativeTtlMs: 10_000,
    maxEntries: 100,
    now: c.now,
  });
  const down = coreNodeRegistry({
    url: "http://core.invalid",
    token: "pool-token-0123456789",
    cache,
    fetch: (async () => {
      throw new Error("ECONNREFUSED");
    }) as unknown as typeof fetch,
  });
  t.like(await down.bind(GOOD), { kind: "unavailable", nodeId: NODE });
  const erroring = fakeCore(new Set([GOOD]), 503);
  const registry = coreNodeRegistry({
    url: "http://core.invalid",
    token: "t".repeat(16),
    cache,
    fetch: erroring.fetchFn,
  });
  t.like(await registry.bind(GOOD), { kind: "unavailable", detail: "core answered 503" });
  t.like(await registry.bind(GOOD), { kind: "unavailable" });
  t.is(erroring.calls.length, 2, "nothing was cached");
  t.is(cache.size, 0);
});

test("static registry (tests without Core): constant-time match; unknown nodes stay unbound", async (t) => {
  const registry = staticNodeRegistry([{ nodeId: NODE, credential: "hnc_good" }]);
  t.deepEqual(await registry.bind(GOOD), { kind: "bound", nodeId: NODE });
  t.deepEqual(await registry.bind(BAD), { kind: "refused", nodeId: NODE });
  t.deepEqual(await registry.bind("hn_bbbbbbbbbbbbbbbb:x"), { kind: "unbound" });
});

test("connections per address: the cap refuses the next one and a close frees a slot", (t) => {
  const limiter = createAddressLimiter(2);
  t.true(limiter.acquire("10.0.0.1"));
  t.true(limiter.acquire("10.0.0.1"));
  t.false(limiter.acquire("10.0.0.1"));
  t.true(limiter.acquire("10.0.0.2"), "other addresses are counted apart");
  limiter.release("10.0.0.1");
  t.is(limiter.count("10.0.0.1"), 1);
  t.true(limiter.acquire("10.0.0.1"));
  t.throws(() => createAddressLimiter(0));
});
