/**
 * Long codec fuzz run: `npx tsx services/sv2/scripts/fuzz-codec.ts [iterations] [seed]`.
 * Same invariants as test/unit/fuzz-codec.test.ts (only Sv2CodecError escapes,
 * decoded messages re-encode, FrameDecoder stays within its bound), just more cases.
 */
import { runFuzz } from "../test/support/codec-fuzz.ts";

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(iterations) || iterations <= 0) {
  console.error("usage: fuzz-codec.ts [iterations>0] [seed]");
  process.exit(2);
}
const started = performance.now();
const stats = runFuzz(iterations, seed);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seed, seconds: Number(seconds.toFixed(2)), ...stats }, null, 2));
