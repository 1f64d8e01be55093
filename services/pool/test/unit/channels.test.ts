/** `retarget` (channels.ts), a pure function: vardiff decisions applied to one channel. */
import { difficultyToTarget, MAX_TARGET } from "@hyperhash/bitcoin";
import { DEFAULT_VARDIFF, type VardiffConfig } from "@hyperhash/sv2";
import test from "ava";
import fc from "fast-check";
import { type MiningChannel, retarget } from "../../src/channels.ts";

const VARDIFF: VardiffConfig = { ...DEFAULT_VARDIFF, minWindowSeconds: 1, burstShares: 1_000_000 };

function channel(difficulty: number, shares: number, startedMs = 0): MiningChannel {
  return {
    id: 1,
    kind: "extended",
    groupChannelId: 2,
    identity: { destination: "x", nodeId: null, worker: "" } as MiningChannel["identity"],
    allocation: { index: 0, owner: "c1", prefix: new Uint8Array(4), rollableSize: 16 },
    versionRollingAllowed: true,
    maxTarget: MAX_TARGET,
    nominalHashRate: 0,
    difficulty,
    target: difficultyToTarget(difficulty),
    grace: null,
    window: { startedMs, shares },
    seen: new Map(),
    merkleRoots: new Map(),
    jobsSent: new Set(),
    hashRate: 0,
    bestDifficulty: 0,
  };
}

test("vardiff: a window without shares never raises the difficulty, however short it is", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: -20, max: 20 }),
      fc.integer({ min: 1000, max: 3_600_000 }),
      (k, elapsedMs) => {
        const c = channel(2 ** k, 0);
        retarget(c, elapsedMs, VARDIFF, 5000);
        return c.difficulty <= 2 ** k && c.window.startedMs === elapsedMs && c.window.shares === 0;
      },
    ),
  );
  t.is(channel(1, 0).difficulty, 1);
});

test("vardiff: a silent minute steps down ÷4; a fast window steps up by at most ×4 and keeps the old target as grace", (t) => {
  const silent = channel(1, 0);
  t.truthy(retarget(silent, 60_000, VARDIFF, 5000));
  t.is(silent.difficulty, 1 / 4);
  t.is(silent.grace, null, "an easier target needs no grace");
  const fast = channel(1, 600, 0); // 600 shares in 10 s against an aim of 6/min
  const change = retarget(fast, 10_000, VARDIFF, 5000);
  t.is(fast.difficulty, 4);
  t.is(change?.target, difficultyToTarget(4));
  t.deepEqual(fast.grace, { target: difficultyToTarget(1), untilMs: 15_000 });
});
