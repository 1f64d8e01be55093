/**
 * share-validation.json (SRI channels-sv2 vectors) through the pool's own code: job creation
 * with `buildJob` / `standardMerkleRoot`, and every share outcome with `validateShare`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromHex, MAX_TARGET, nBitsToTarget, toHex } from "@hyperhash/bitcoin";
import type { NewTemplate } from "@hyperhash/sv2";
import test from "ava";
import { buildJob, standardMerkleRoot } from "../../src/jobs.ts";
import {
  type ShareChannelView,
  type ShareJobView,
  type ShareVerdict,
  validateReference,
  validateShare,
} from "../../src/share-validator.ts";

const VECTORS = fileURLToPath(
  new URL("../../../../../shared/vectors/share-validation.json", import.meta.url),
);
// biome-ignore lint/suspicious/noExplicitAny: vector JSON is walked field by field below
const file = JSON.parse(readFileSync(VECTORS, "utf8")) as any;
const SRI_MASK = 0x1fff_ffe0;

// biome-ignore lint/suspicious/noExplicitAny: vector JSON
function templateOf(t: any): NewTemplate {
  return {
    templateId: BigInt(t.template_id ?? 1),
    futureTemplate: Boolean(t.future_template),
    version: t.version,
    coinbaseTxVersion: t.coinbase_tx_version,
    coinbasePrefix: fromHex(t.coinbase_prefix_hex),
    coinbaseTxInputSequence: t.coinbase_tx_input_sequence,
    coinbaseTxValueRemaining: BigInt(t.coinbase_tx_value_remaining),
    coinbaseTxOutputsCount: t.coinbase_tx_outputs_count,
    coinbaseTxOutputs: fromHex(t.coinbase_tx_outputs_hex),
    coinbaseTxLocktime: t.coinbase_tx_locktime,
    merklePath: t.merkle_path.map(fromHex),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: vector JSON
function jobOf(inputs: any) {
  return buildJob(
    1,
    templateOf(inputs.template),
    // biome-ignore lint/suspicious/noExplicitAny: vector JSON
    inputs.coinbase_reward_outputs.map((o: any) => ({
      value: BigInt(o.value_sat),
      scriptPubKey: fromHex(o.script_pubkey_hex),
    })),
    new TextEncoder().encode(inputs.pool_miner_tag_ascii),
    inputs.full_extranonce_size ?? 32,
  );
}

test("share-validation.json: the pool sees every section", (t) => {
  t.is(file.job_creation_vectors.length, 6);
  t.is(file.share_vectors.length, 17);
  t.is(file.unverified_or_outcome_only.length, 17);
});

for (const v of file.job_creation_vectors) {
  test(`§5.3.15/5.3.16 job creation through buildJob: ${v.name}`, (t) => {
    const job = jobOf(v.inputs);
    const e = v.expected;
    if (e.new_extended_mining_job_coinbase_tx_prefix_hex !== undefined) {
      t.is(toHex(job.coinbaseTxPrefix), e.new_extended_mining_job_coinbase_tx_prefix_hex);
      t.is(toHex(job.coinbaseTxSuffix), e.new_extended_mining_job_coinbase_tx_suffix_hex);
    }
    if (e.new_mining_job_merkle_root_hex !== undefined) {
      t.is(
        toHex(standardMerkleRoot(job, fromHex(v.inputs.extranonce_prefix_hex))),
        e.new_mining_job_merkle_root_hex,
      );
    }
  });
}

// biome-ignore lint/suspicious/noExplicitAny: vector JSON
function views(v: any): { job: ShareJobView; channel: ShareChannelView } {
  const i = v.inputs;
  const tip = {
    prevHash: fromHex(i.chain_tip.prev_hash_hex),
    nBits: i.chain_tip.nbits,
    minNtime: i.chain_tip.min_ntime,
  };
  const kind = v.role.endsWith("standard") ? "standard" : "extended";
  const prefix = fromHex(i.extranonce_prefix_hex);
  const target = i.channel_target_be_hex ? BigInt(`0x${i.channel_target_be_hex}`) : MAX_TARGET;
  const rolling = i.version_rolling_allowed ?? i.job?.version_rolling_allowed ?? kind === "standard";
  const channel: ShareChannelView = {
    kind,
    extranoncePrefix: prefix,
    rollableSize: i.rollable_extranonce_size ?? 0,
    versionRollingAllowed: rolling,
    versionRollingMask: SRI_MASK,
    target,
  };
  if (v.role.startsWith("server")) {
    const job = jobOf(i);
    const view: ShareJobView =
      kind === "standard"
        ? { version: job.version, tip, merkleRoot: standardMerkleRoot(job, prefix) }
        : {
            version: job.version,
            tip,
            coinbaseTxPrefix: job.coinbaseTxPrefix,
            coinbaseTxSuffix: job.coinbaseTxSuffix,
            merklePath: job.merklePath,
          };
    return { job: view, channel };
  }
  const j = i.job;
  const view: ShareJobView =
    kind === "standard"
      ? { version: j.version, tip, merkleRoot: fromHex(j.merkle_root_hex) }
      : {
          version: j.version,
          tip,
          coinbaseTxPrefix: fromHex(j.coinbase_tx_prefix_hex),
          coinbaseTxSuffix: fromHex(j.coinbase_tx_suffix_hex),
          merklePath: (j.merkle_path ?? []).map(fromHex),
        };
  return { job: view, channel };
}

/** What a vector's stated outcome means in the pool's vocabulary. */
function expectation(text: string): (verdict: ShareVerdict) => boolean {
  if (text.startsWith("header hash only")) return (x) => x.ok;
  if (text.startsWith("BlockFound")) return (x) => x.ok && x.block;
  if (text.startsWith("Valid")) return (x) => x.ok && !x.block;
  if (text.startsWith("Ok")) return (x) => x.ok;
  if (text.startsWith("DoesNotMeetTarget")) return (x) => !x.ok && x.code === "difficulty-too-low";
  if (text.startsWith("DuplicateShare")) return (x) => !x.ok && x.code === "duplicate-share";
  if (text.startsWith("VersionRollingNotAllowed"))
    return (x) => !x.ok && x.code === "version-rolling-not-allowed";
  if (text.includes("non-rollable")) return (x) => !x.ok && x.reason === "invalid-non-rollable-version-bit";
  if (text.includes("deserialize")) return (x) => !x.ok && x.reason === "bad-coinbase";
  if (text.includes("ntime")) return (x) => !x.ok && x.reason === "ntime-out-of-range";
  throw new Error(`unmapped outcome ${text}`);
}

// validateShare (the addon's hashing where it applies) and the TypeScript reference, each
// with its own duplicate sets.
const implementations = [
  ["validateShare", validateShare, new Map<string, Set<string>>()],
  ["validateReference", validateReference, new Map<string, Set<string>>()],
] as const;

for (const [implementation, validate, seenByChannel] of implementations)
  for (const v of [...file.share_vectors, ...file.unverified_or_outcome_only]) {
    test.serial(`§5.3.11–5.3.14 share through ${implementation}: ${v.name}`, (t) => {
      const stated: string = v.computed_outcome ?? v.expected_outcome;
      const expected = expectation(
        v.expected_outcome.startsWith("header hash only") ? v.expected_outcome : stated,
      );
      const { job, channel } = views(v);
      const legacy = v.expected_outcome.startsWith("header hash only");
      const key = `${v.role}:${v.name.replace(/_share\d$/, "")}`;
      const seen = seenByChannel.get(key) ?? new Set<string>();
      seenByChannel.set(key, seen);
      const share = v.inputs.share;
      const nonces: number[] =
        typeof share.nonce === "string" ? Array.from({ length: 1024 }, (_, n) => n) : [share.nonce];
      for (const nonce of nonces) {
        const verdict = validate(
          job,
          legacy ? { ...channel, target: MAX_TARGET } : channel,
          {
            nonce,
            ntime: share.ntime,
            version: share.version,
            ...(share.extranonce ? { extranonce: fromHex(share.extranonce) } : {}),
          },
          {
            blockTarget: nBitsToTarget(v.inputs.chain_tip.nbits),
            nowSeconds: share.ntime,
            seen: nonces.length > 1 ? new Set() : seen,
          },
        );
        t.true(
          expected(verdict),
          `${v.name} nonce ${nonce}: ${JSON.stringify(verdict.ok ? { ok: true, block: verdict.block } : verdict)}`,
        );
        if (verdict.ok && v.derived?.header_hex) {
          t.is(toHex(verdict.header), v.derived.header_hex);
          t.is(toHex(verdict.hash.slice().reverse()), v.derived.header_hash_hex);
        }
      }
    });
  }
