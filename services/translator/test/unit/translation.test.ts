/**
 * SV2 extended job → SV1 work and back (SV2-NOTES "SV1"): the header an SV1 miner hashes
 * from coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 is the header the pool rebuilds from
 * coinbase_tx_prefix ‖ channel prefix ‖ submitted extranonce ‖ coinbase_tx_suffix.
 */
import { concat, extendedJobHeader, headerHashValue } from "@hyperhash/bitcoin";
import { createDownstreamAllocator, indexBytesNeeded } from "@hyperhash/sv2";
import test from "ava";
import fc from "fast-check";
import { rollableExtranonce, shareHeader, sv1JobFor } from "../../src/translation.ts";
import { activeJobFor, FULL_EXTRANONCE } from "./fixtures.ts";

test("coinb1/coinb2: the SV1 miner's header equals the pool's rebuild from the SubmitSharesExtended fields", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4_000 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 2, maxLength: 2 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 }),
      fc.nat(),
      fc.nat(),
      (height, channelPrefix, extranonce1, extranonce2, branches, nonce, bits) => {
        const active = activeJobFor(height, branches);
        const layout = {
          channelPrefix,
          channelRollableSize: FULL_EXTRANONCE - channelPrefix.length,
          extranonce1,
          extranonce2Size: 4,
        };
        const job = sv1JobFor(active, layout, "1", true, 1_700_000_100);
        const share = {
          version: (0x20000000 | (bits & 0x1fffe000)) >>> 0,
          ntime: job.ntime,
          nonce: nonce >>> 0,
        };
        const minerHeader = shareHeader(job, extranonce1, extranonce2, share);
        // The pool's side: full extranonce = channel prefix ‖ the share's rollable extranonce.
        const full = concat(channelPrefix, rollableExtranonce(layout, extranonce2));
        t.is(full.length, FULL_EXTRANONCE);
        const poolHeader = extendedJobHeader(active.tip, active.job, full, share);
        t.is(headerHashValue(minerHeader), headerHashValue(poolHeader));
      },
    ),
    { numRuns: 200 },
  );
});

test("mining.notify: ntime starts at min_ntime and follows the clock within the consensus window", (t) => {
  const active = activeJobFor(500);
  const layout = {
    channelPrefix: new Uint8Array(4),
    channelRollableSize: 16,
    extranonce1: new Uint8Array(2),
    extranonce2Size: 4,
  };
  t.is(sv1JobFor(active, layout, "1", false, 1_600_000_000).ntime, 1_700_000_000);
  t.is(sv1JobFor(active, layout, "1", false, 1_700_000_050).ntime, 1_700_000_050);
  t.throws(() => sv1JobFor(active, { ...layout, channelRollableSize: 5 }, "1", false, 0));
});

test("extranonce split: two miners' extranonce1 are disjoint, so their coinbases never coincide", (t) => {
  const maxMiners = 300;
  const width = indexBytesNeeded(maxMiners);
  const allocator = createDownstreamAllocator(new Uint8Array(0), width + 4, maxMiners, 4);
  const seen = new Set<string>();
  const live = [];
  for (let i = 0; i < maxMiners; i++) {
    const a = allocator.allocateExtended(`m${i}`, 4);
    if (!a.ok) return t.fail("allocation refused below capacity");
    t.is(a.allocation.prefix.length, width);
    const hex = Buffer.from(a.allocation.prefix).toString("hex");
    t.false(seen.has(hex));
    seen.add(hex);
    live.push(a.allocation);
  }
  t.false(allocator.allocateExtended("over", 4).ok);
  allocator.release(live[7]!);
  t.true(allocator.allocateExtended("again", 4).ok);
});
