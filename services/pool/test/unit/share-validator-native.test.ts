/**
 * The share validator's native hashing (the addon's `shareHash` on Node's OpenSSL) against the
 * TypeScript reference: the same verdict — accepted or not, block, hash, header, target it was
 * weighed by, coinbase, reject code and reason — for random coinbases (well-formed and not),
 * merkle paths, extranonces, header fields and targets, on extended and standard channels.
 */
import { concat, MAX_TARGET, toHex } from "@hyperhash/bitcoin";
import { noiseBackend } from "@hyperhash/sv2";
import { nativeShareCrypto } from "@hyperhash/sv2/native";
import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import {
  type ShareChannelView,
  type ShareJobView,
  type ShareVerdict,
  type SubmittedShare,
  validateReference,
  validateShare,
} from "../../src/share-validator.ts";

const bytes = (min: number, max = min) => fc.uint8Array({ minLength: min, maxLength: max });
const le32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const MASK = 0x1fff_ffe0;

/** A coinbase split around its extranonce, as NewExtendedMiningJob carries it (stripped of BIP141). */
const coinbaseParts = fc
  .record({
    version: fc.integer({ min: 1, max: 2 }),
    scriptHead: bytes(2, 40),
    scriptTail: bytes(0, 8),
    sequence: fc.nat(),
    outputs: fc.array(fc.record({ value: fc.bigInt({ min: 0n, max: 2n ** 40n }), script: bytes(0, 40) }), {
      minLength: 1,
      maxLength: 3,
    }),
    lockTime: fc.nat(),
    // Mangles the job: a byte more or less at the end (the vectors' "fails to deserialize").
    mangle: fc.constantFrom("none", "none", "none", "extra", "short"),
  })
  .map((r) => (fullSize: number) => {
    const scriptLength = r.scriptHead.length + fullSize + r.scriptTail.length;
    const prefix = concat(
      le32(r.version),
      Uint8Array.of(1),
      new Uint8Array(32),
      le32(0xffff_ffff),
      Uint8Array.of(scriptLength),
      r.scriptHead,
    );
    const outs = r.outputs.map((o) => {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigUint64(0, o.value, true);
      return concat(v, Uint8Array.of(o.script.length), o.script);
    });
    let suffix = concat(
      r.scriptTail,
      le32(r.sequence),
      Uint8Array.of(outs.length),
      ...outs,
      le32(r.lockTime),
    );
    if (r.mangle === "extra") suffix = concat(suffix, Uint8Array.of(0));
    if (r.mangle === "short") suffix = suffix.subarray(0, suffix.length - 1);
    return { prefix, suffix };
  });

/** A target whose size decides how many hashes meet it (none, some, all). */
const target = fc.oneof(
  fc.constant(MAX_TARGET),
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 2n ** 256n - 1n }).map((t) => t >> BigInt(Math.floor(Number(t % 8n)))),
);

const header = fc.record({
  version: fc.oneof(
    { arbitrary: fc.constant(0x2000_0000), weight: 3 },
    { arbitrary: fc.nat({ max: MASK }).map((bits) => (0x2000_0000 | (bits & MASK)) >>> 0), weight: 3 },
    { arbitrary: fc.nat({ max: 0xffff_ffff }), weight: 1 },
  ),
  ntime: fc.integer({ min: 1_700_000_000, max: 1_700_008_000 }),
  nonce: fc.nat({ max: 0xffff_ffff }),
  nBits: fc.nat({ max: 0xffff_ffff }),
  prevHash: bytes(32),
  minNtime: fc.integer({ min: 1_699_999_000, max: 1_700_000_300 }),
  jobVersion: fc.oneof(
    { arbitrary: fc.constant(0x2000_0000), weight: 4 },
    { arbitrary: fc.nat({ max: 0xffff_ffff }), weight: 1 },
  ),
});

const channelOf = (
  kind: "standard" | "extended",
  extranoncePrefix: Uint8Array,
  rollableSize: number,
  t: bigint,
  grace: bigint | null,
  rolling: boolean,
): ShareChannelView => ({
  kind,
  extranoncePrefix,
  rollableSize,
  versionRollingAllowed: rolling,
  versionRollingMask: MASK,
  target: t,
  graceTarget: grace,
});

/** Outcomes seen across a property run: the run must reach accepted shares, blocks and refusals. */
const tally = new Map<string, number>();
const outcome = (v: ShareVerdict) => (v.ok ? (v.block ? "block" : "accepted") : v.reason);

/** Everything a verdict says, comparable. */
const summary = (v: ShareVerdict) =>
  v.ok
    ? {
        ok: true,
        block: v.block,
        hash: toHex(v.hash),
        hashHex: v.hashHex,
        hashValue: v.hashValue.toString(16),
        acceptedTarget: v.acceptedTarget.toString(16),
        header: toHex(v.header),
        coinbase: v.coinbase ? toHex(v.coinbase) : null,
      }
    : { ok: false, code: v.code, reason: v.reason };

const same = (
  job: ShareJobView,
  channel: ShareChannelView,
  share: SubmittedShare,
  blockTarget: bigint,
  nowSeconds: number,
) => {
  // The same duplicate history on both sides: a fresh set, then the share again.
  const a = new Set<string>();
  const b = new Set<string>();
  const context = (seen: Set<string>) => ({ blockTarget, nowSeconds, seen });
  for (let round = 0; round < 2; round++) {
    const verdict = validateShare(job, channel, share, context(a));
    tally.set(outcome(verdict), (tally.get(outcome(verdict)) ?? 0) + 1);
    const native = summary(verdict);
    const reference = summary(validateReference(job, channel, share, context(b)));
    if (JSON.stringify(native) !== JSON.stringify(reference)) {
      throw new Error(
        `round ${round}: native ${JSON.stringify(native)} ≠ reference ${JSON.stringify(reference)}`,
      );
    }
  }
  return true;
};

/** 400 runs of `property` hold, and between them they reached every outcome in `reached`. */
function holdsReaching(
  t: ExecutionContext,
  property: fc.IProperty<unknown[]>,
  reached: readonly string[],
): void {
  tally.clear();
  const result = fc.check(property, { numRuns: 400 });
  t.false(result.failed, result.failed ? fc.defaultReportMessage(result) : "");
  t.true(result.numRuns >= 400);
  t.log(JSON.stringify(Object.fromEntries(tally)));
  for (const o of reached) t.true((tally.get(o) ?? 0) > 0, `the run reached ${o}`);
}

test("the addon's share hashing is loaded (built by the bootstrap: node services/sv2/native/build.mjs)", (t) => {
  t.not(nativeShareCrypto, null, noiseBackend().reason ?? "the addon has no OpenSSL functions");
});

test.serial(
  "extended shares: native verdicts equal the reference's (property: coinbases, paths, extranonces, headers, targets)",
  (t) => {
    const property = fc.property(
      coinbaseParts,
      bytes(0, 12),
      fc.integer({ min: 0, max: 16 }),
      fc.array(bytes(32), { maxLength: 12 }),
      header,
      target,
      fc.option(target, { nil: null }),
      target,
      fc.boolean(),
      fc.constantFrom(0, 0, 0, 0, 0, -1, 1),
      bytes(0, 32),
      (
        parts,
        extranoncePrefix,
        rollableSize,
        path,
        h,
        channelTarget,
        grace,
        blockTarget,
        rolling,
        sizeError,
        filler,
      ) => {
        const { prefix, suffix } = parts(extranoncePrefix.length + rollableSize);
        const extranonce = Uint8Array.from(
          { length: Math.max(0, rollableSize + sizeError) },
          (_, i) => filler[i % 32] ?? i,
        );
        const job: ShareJobView = {
          version: h.jobVersion,
          tip: { prevHash: h.prevHash, nBits: h.nBits, minNtime: h.minNtime },
          coinbaseTxPrefix: prefix,
          coinbaseTxSuffix: suffix,
          merklePath: path,
        };
        const channel = channelOf("extended", extranoncePrefix, rollableSize, channelTarget, grace, rolling);
        return same(
          job,
          channel,
          { nonce: h.nonce, ntime: h.ntime, version: h.version, extranonce },
          blockTarget,
          1_700_000_000,
        );
      },
    );
    holdsReaching(t, property, [
      "accepted",
      "block",
      "duplicate-share",
      "difficulty-too-low",
      "bad-coinbase",
      "bad-extranonce-size",
      "ntime-out-of-range",
      "invalid-non-rollable-version-bit",
    ]);
  },
);

test.serial("standard shares: native verdicts equal the reference's (property)", (t) => {
  const property = fc.property(
    header,
    bytes(32),
    bytes(32),
    target,
    fc.option(target, { nil: null }),
    target,
    (h, root, extranonce, channelTarget, grace, blockTarget) => {
      const job: ShareJobView = {
        version: h.jobVersion,
        tip: { prevHash: h.prevHash, nBits: h.nBits, minNtime: h.minNtime },
        merkleRoot: root,
      };
      const channel = channelOf("standard", extranonce, 0, channelTarget, grace, true);
      return same(
        job,
        channel,
        { nonce: h.nonce, ntime: h.ntime, version: h.version },
        blockTarget,
        1_700_000_000,
      );
    },
  );
  holdsReaching(t, property, [
    "accepted",
    "block",
    "duplicate-share",
    "difficulty-too-low",
    "ntime-out-of-range",
  ]);
});

test("a job whose coinbase does not deserialize refuses every share as bad-coinbase, natively too", (t) => {
  const prefix = concat(
    le32(1),
    Uint8Array.of(1),
    new Uint8Array(32),
    le32(0xffff_ffff),
    Uint8Array.of(12),
    new Uint8Array(4),
  );
  // scriptSig of 12 = 4 + the 8-byte extranonce; then a truncated output list.
  const suffix = concat(le32(0), Uint8Array.of(2), new Uint8Array(9));
  const job: ShareJobView = {
    version: 0x2000_0000,
    tip: { prevHash: new Uint8Array(32), nBits: 0x207f_ffff, minNtime: 0 },
    coinbaseTxPrefix: prefix,
    coinbaseTxSuffix: suffix,
    merklePath: [],
  };
  const channel = channelOf("extended", new Uint8Array(4), 4, MAX_TARGET, null, true);
  for (const validate of [validateShare, validateReference]) {
    const v = validateShare === validate ? "native" : "reference";
    const verdict = validate(
      job,
      channel,
      { nonce: 1, ntime: 10, version: 0x2000_0000, extranonce: new Uint8Array(4) },
      { blockTarget: 0n, nowSeconds: 10, seen: new Set() },
    );
    t.deepEqual(summary(verdict), { ok: false, code: "invalid-share", reason: "bad-coinbase" }, v);
  }
});
