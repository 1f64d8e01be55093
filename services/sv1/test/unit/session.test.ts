/**
 * SV1 methods and session state: BIP310 version rolling, subscribe, authorize with d=,
 * suggest_difficulty, submit parsing, notify byte order.
 */
import test from "ava";
import fc from "fast-check";
import {
  authorize,
  clampDifficulty,
  configure,
  encodeSetExtranonce,
  encodeSetVersionMask,
  initialSessionState,
  notifyParams,
  parsePasswordOptions,
  parseWorkerName,
  prevHashFromSv1,
  prevHashToSv1,
  SV1_ERROR,
  shareVersion,
  submitAllowed,
  subscribe,
  suggestDifficulty,
  validateRequest,
} from "../../src/index.ts";

const bounds = { min: 2 ** -16, max: 2 ** 20 };

test("BIP310: mining.configure agrees on client mask ∩ server mask, before or after subscribe", (t) => {
  const before = configure(
    initialSessionState(),
    ["version-rolling", "minimum-difficulty"],
    { "version-rolling.mask": "ffffffff", "version-rolling.min-bit-count": 2 },
    0x1fffe000,
  );
  t.deepEqual(before.result, {
    "version-rolling": true,
    "version-rolling.mask": "1fffe000",
    "minimum-difficulty": false,
  });
  t.is(before.state.versionRollingMask, 0x1fffe000);
  const subscribed = subscribe(initialSessionState(), null, Uint8Array.of(1, 2), 4, "1").state;
  const after = configure(
    subscribed,
    ["version-rolling"],
    { "version-rolling.mask": "00fff000" },
    0x1fffe000,
  );
  t.is(after.state.versionRollingMask, 0x00ffe000);
  t.true(after.state.subscribed);
});

test("mining.subscribe answers [[[mining.notify, id]], extranonce1, extranonce2_size] and caps the size at 8", (t) => {
  const r = subscribe(initialSessionState(), "bmminer/2.0", Uint8Array.of(0xab, 0x01), 4, "s1");
  t.deepEqual(r.result, [[["mining.notify", "s1"]], "ab01", 4]);
  t.throws(() => subscribe(initialSessionState(), null, Uint8Array.of(1), 9, "s"));
  t.throws(() => subscribe(initialSessionState(), null, Uint8Array.of(1), 0, "s"));
});

test("mining.authorize: <payout destination>[.<worker>]; d= pins a power-of-two difficulty within bounds", (t) => {
  t.deepEqual(parseWorkerName("bcrt1qxyz.rig-1"), {
    username: "bcrt1qxyz.rig-1",
    payoutDestination: "bcrt1qxyz",
    worker: "rig-1",
  });
  t.true("code" in parseWorkerName("bad/name"));
  t.true("code" in parseWorkerName("addr.wo rker"));
  t.deepEqual(parsePasswordOptions("x,d=0.3"), { difficulty: 0.3 });
  t.deepEqual(parsePasswordOptions("d=abc"), { difficulty: null });
  const r = authorize(initialSessionState(), "bcrt1qxyz.a", "d=3000", bounds);
  t.true("state" in r);
  if ("state" in r) {
    t.is(r.state.requestedDifficulty, 2048);
    t.true(r.state.difficultyPinned);
    // A second, different identity on the same connection is refused.
    const again = authorize(r.state, "bcrt1qother", "", bounds);
    t.true("error" in again && again.error.code === SV1_ERROR.UNAUTHORIZED_WORKER);
    // d= pins: suggest_difficulty no longer moves it.
    t.is(suggestDifficulty(r.state, 1, bounds).requestedDifficulty, 2048);
  }
  const huge = authorize(initialSessionState(), "bcrt1qxyz", "d=1e30", bounds);
  t.true("state" in huge && huge.state.requestedDifficulty === 2 ** 20);
});

test("mining.suggest_difficulty is clamped to the bounds and rounded down to a power of two", (t) => {
  t.is(suggestDifficulty(initialSessionState(), 100, bounds).requestedDifficulty, 64);
  t.is(suggestDifficulty(initialSessionState(), 1e-9, bounds).requestedDifficulty, 2 ** -16);
  fc.assert(
    fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), (d) => {
      const c = clampDifficulty(d, bounds);
      return c >= bounds.min && c <= bounds.max && Number.isInteger(Math.log2(c));
    }),
  );
});

test("mining.submit: version bits only inside the negotiated mask; none without negotiation", (t) => {
  const rolling = configure(initialSessionState(), ["version-rolling"], {}, 0x1fffe000).state;
  t.is(shareVersion(rolling, 0x20000000, 0x00ffe000), 0x20ffe000);
  t.is(shareVersion(rolling, 0x20000000, null), 0x20000000);
  const outside = shareVersion(rolling, 0x20000000, 0x00001000);
  t.true(typeof outside === "object" && outside.code === SV1_ERROR.OTHER);
  const plain = initialSessionState();
  t.is(shareVersion(plain, 0x20000000, 0), 0x20000000);
  t.is(typeof shareVersion(plain, 0x20000000, 0x2000), "object");
});

test("mining.submit: params are validated and hex fields decoded (ntime/nonce big-endian hex)", (t) => {
  const v = validateRequest({
    id: 5,
    method: "mining.submit",
    params: ["addr.w", "1a", "00000001", "65f1a2b3", "deadbeef", "00002000"],
  });
  t.true(v.ok);
  if (v.ok && v.message.method === "mining.submit") {
    t.deepEqual([...v.message.submit.extranonce2], [0, 0, 0, 1]);
    t.is(v.message.submit.ntime, 0x65f1a2b3);
    t.is(v.message.submit.nonce, 0xdeadbeef);
    t.is(v.message.submit.versionBits, 0x2000);
  }
  t.false(validateRequest({ id: 1, method: "mining.submit", params: ["a", "1", "zz", "1", "2"] }).ok);
  const unknown = validateRequest({ id: 2, method: "mining.frobnicate", params: [] });
  t.true(!unknown.ok && unknown.error.code === SV1_ERROR.METHOD_NOT_FOUND);
  const unsubscribed = submitAllowed(initialSessionState(), "addr");
  t.is(unsubscribed?.code, SV1_ERROR.NOT_SUBSCRIBED);
});

test("mining.notify: prevhash is the header's bytes with each 32-bit word byte-swapped", (t) => {
  const prev = Uint8Array.from({ length: 32 }, (_, i) => i);
  t.is(prevHashToSv1(prev), "03020100070605040b0a09080f0e0d0c13121110171615141b1a19181f1e1d1c");
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      t.deepEqual(prevHashFromSv1(prevHashToSv1(bytes)), bytes);
    }),
  );
  const params = notifyParams({
    jobId: "1f",
    prevHash: prev,
    coinb1: Uint8Array.of(1, 2),
    coinb2: Uint8Array.of(3),
    merkleBranches: [new Uint8Array(32).fill(0xaa)],
    version: 0x20000000,
    nBits: 0x207fffff,
    ntime: 0x65000000,
    cleanJobs: true,
  });
  t.deepEqual(params.slice(2), ["0102", "03", ["aa".repeat(32)], "20000000", "207fffff", "65000000", true]);
  t.is(
    encodeSetVersionMask(0x1fffe000),
    '{"id":null,"method":"mining.set_version_mask","params":["1fffe000"]}\n',
  );
  t.is(
    encodeSetExtranonce(Uint8Array.of(0, 7), 3),
    '{"id":null,"method":"mining.set_extranonce","params":["0007",3]}\n',
  );
});
