/**
 * Codec robustness (SRI keeps equivalent fuzz targets): 100,000 random and mutated-valid
 * frames through decodeMessage and a bounded FrameDecoder. Invariants checked inside
 * runFuzz: only Sv2CodecError escapes, every accepted message re-encodes to an equal
 * message, and FrameDecoder.pending never exceeds 6 + maxPayload.
 */
import test from "ava";
import { runFuzz } from "../support/codec-fuzz.ts";

test("§3.1/§3.2 fuzz: 100,000 random and mutated frames only ever raise Sv2CodecError", (t) => {
  const started = performance.now();
  const stats = runFuzz(100_000, 20_260_101);
  const seconds = (performance.now() - started) / 1000;
  t.log(JSON.stringify({ seconds: Number(seconds.toFixed(2)), ...stats }));
  t.is(stats.iterations, 100_000);
  // Both paths must actually be exercised, or the fuzz proves nothing.
  t.true(stats.decoded > 10_000);
  t.true(Object.values(stats.rejected).reduce((a, b) => a + b, 0) > 10_000);
  t.true(stats.streamFrames > 10_000);
  t.true(seconds < 30, `fuzz took ${seconds}s`);
});
