/**
 * Shared fixtures for the Noise tests: a seeded random source (handshakes become replayable),
 * a fixed clock, and a helper that runs a full in-memory handshake.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { ExecutionContext } from "ava";
import fc from "fast-check";
import {
  createInitiator,
  createResponder,
  type HandshakeResult,
  type RandomSource,
  xOnlyPublicKey,
} from "../../src/noise/index.ts";

/** Deterministic byte stream: SHA256(seed ‖ counter) blocks. Not for production use. */
export function seededRandom(seed: string): RandomSource {
  const seedBytes = new TextEncoder().encode(seed);
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length: number) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (pool.length === 0) {
        const block = new Uint8Array(seedBytes.length + 4);
        block.set(seedBytes);
        new DataView(block.buffer).setUint32(seedBytes.length, counter++);
        pool = sha256(block);
      }
      const take = Math.min(pool.length, length - filled);
      out.set(pool.subarray(0, take), filled);
      pool = pool.subarray(take);
      filled += take;
    }
    return out;
  };
}

/** 2030-01-01T00:00:00Z in milliseconds: a fixed "now" for certificate windows. */
export const NOW_MS = 1_893_456_000_000;
/** {@link NOW_MS} in Unix seconds. */
export const NOW_S = NOW_MS / 1000;

/** Fixed keys derived from a seed, so failures are reproducible. */
export function testKeys(seed = "keys") {
  const random = seededRandom(seed);
  const authoritySecretKey = random(32);
  const staticSecretKey = random(32);
  const otherAuthoritySecretKey = random(32);
  return {
    authoritySecretKey,
    authorityPublicKey: xOnlyPublicKey(authoritySecretKey),
    staticSecretKey,
    otherAuthoritySecretKey,
  };
}

/** Run act 1 and act 2 in memory; returns both sides' sessions. */
export function handshakePair(seed = "pair"): { initiator: HandshakeResult; responder: HandshakeResult } {
  const keys = testKeys();
  const initiator = createInitiator({
    authorityPublicKey: keys.authorityPublicKey,
    now: () => NOW_MS,
    random: seededRandom(`${seed}-i`),
  });
  const responder = createResponder({
    staticSecretKey: keys.staticSecretKey,
    authoritySecretKey: keys.authoritySecretKey,
    certificateValiditySeconds: 3600,
    now: () => NOW_MS,
    random: seededRandom(`${seed}-r`),
  });
  const { act2, result } = responder.readAct1(initiator.writeAct1());
  return { initiator: initiator.readAct2(act2), responder: result };
}

/**
 * Asserts that a fast-check property holds, as an ava assertion: the counterexample and seed
 * are in the failure message, and a property that ran no case fails too.
 */
export function holds<Ts extends [unknown, ...unknown[]]>(
  t: ExecutionContext,
  property: fc.IProperty<Ts>,
  parameters?: fc.Parameters<Ts>,
): void {
  const result = fc.check(property, parameters);
  t.false(result.failed, fc.defaultReportMessage(result) ?? "property failed");
  t.true(result.numRuns > 0, "the property ran no case");
}
