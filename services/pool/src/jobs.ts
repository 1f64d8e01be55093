/**
 * Jobs from templates (sv2-spec §5.3.15–5.3.17, §7.2–7.3). Pure state: the job board keeps
 * the templates hh-tp sent, the chain tip, and which jobs are current, stale or gone.
 *
 * One job per template, shared by every channel: the coinbase depends only on the template,
 * the pool's payout output and the channel's extranonce, and the extranonce sits between
 * `coinbase_tx_prefix` and `coinbase_tx_suffix`, so extended channels all get the same
 * prefix/suffix and a standard channel's merkle root is that coinbase with its own prefix.
 * Job ids are pool-wide, so they are valid in every channel's (and group's) namespace.
 */
import {
  buildCoinbase,
  type CoinbaseSpec,
  type CoinbaseTemplate,
  coinbaseJobParts,
  merkleRootFromPath,
  nBitsToTarget,
  parseBip34Height,
  type TxOutput,
  txid,
} from "@hyperhash/bitcoin";
import type { NewTemplate, SetNewPrevHashTdp } from "@hyperhash/sv2";

/** The chain tip jobs build on (from TDP SetNewPrevHash). */
export interface ChainTip {
  /** Increases with every new tip; jobs of older epochs are stale. */
  readonly epoch: number;
  /** Previous block hash, internal byte order. */
  readonly prevHash: Uint8Array;
  /** Compact network target. */
  readonly nBits: number;
  /** Network target (from nBits). */
  readonly networkTarget: bigint;
  /** Lowest ntime a share may carry (the TP's header_timestamp). */
  readonly minNtime: number;
}

/** One job: a template turned into what miners hash. */
export interface PoolJob {
  /** Pool-wide job id (U32). */
  readonly jobId: number;
  /** The template it came from. */
  readonly templateId: bigint;
  /** Block version of the template. */
  readonly version: number;
  /** Height the coinbase commits to (BIP34 push of the template's coinbase_prefix). */
  readonly height: number;
  /** Subsidy + fees the template leaves for the coinbase. */
  readonly coinbaseValue: bigint;
  /** How the coinbase is built. */
  readonly spec: CoinbaseSpec;
  /** Coinbase merkle path (the template's). */
  readonly merklePath: readonly Uint8Array[];
  /** Non-witness coinbase bytes before the full extranonce. */
  readonly coinbaseTxPrefix: Uint8Array;
  /** Non-witness coinbase bytes after the full extranonce. */
  readonly coinbaseTxSuffix: Uint8Array;
  /** Tip it is mined on; null while it is a future job. */
  tip: ChainTip | null;
}

/** How the pool turns templates into coinbases. */
export interface JobFactoryConfig {
  /** scriptPubKey of the treasury: the pool's payout output gets all of the value remaining. */
  readonly payoutScript: Uint8Array;
  /** Coinbase tag bytes (`Sv2/<pool>//`). */
  readonly tag: Uint8Array;
  /** Every channel's full extranonce size. */
  readonly fullExtranonceSize: number;
}

/** The coinbase fields of a NewTemplate. */
export function coinbaseTemplateOf(t: NewTemplate): CoinbaseTemplate {
  return {
    coinbaseTxVersion: t.coinbaseTxVersion,
    coinbasePrefix: t.coinbasePrefix,
    coinbaseTxInputSequence: t.coinbaseTxInputSequence,
    coinbaseTxValueRemaining: t.coinbaseTxValueRemaining,
    coinbaseTxOutputsCount: t.coinbaseTxOutputsCount,
    coinbaseTxOutputs: t.coinbaseTxOutputs,
    coinbaseTxLocktime: t.coinbaseTxLocktime,
  };
}

/**
 * Builds the job of a template. Throws `CoinbaseError` when the template cannot carry the
 * pool's coinbase (bad outputs, scriptSig over 100 bytes); the caller drops that template.
 */
export function buildJob(
  jobId: number,
  template: NewTemplate,
  rewardOutputs: readonly TxOutput[],
  tag: Uint8Array,
  fullExtranonceSize: number,
): PoolJob {
  const spec: CoinbaseSpec = { template: coinbaseTemplateOf(template), rewardOutputs, tag };
  const parts = coinbaseJobParts(spec, fullExtranonceSize);
  return {
    jobId,
    templateId: template.templateId,
    version: template.version,
    height: parseBip34Height(template.coinbasePrefix),
    coinbaseValue: template.coinbaseTxValueRemaining,
    spec,
    merklePath: template.merklePath,
    coinbaseTxPrefix: parts.coinbaseTxPrefix,
    coinbaseTxSuffix: parts.coinbaseTxSuffix,
    tip: null,
  };
}

/** A standard channel's merkle root for `job`: its prefix is the whole extranonce. */
export function standardMerkleRoot(job: PoolJob, fullExtranonce: Uint8Array): Uint8Array {
  return merkleRootFromPath(txid(buildCoinbase(job.spec, fullExtranonce)), job.merklePath);
}

/** What a template or tip change means for the channels. */
export type BoardEvent =
  | { readonly kind: "future-job"; readonly job: PoolJob }
  | { readonly kind: "job"; readonly job: PoolJob; readonly tip: ChainTip }
  | { readonly kind: "new-tip"; readonly job: PoolJob; readonly tip: ChainTip };

/** Errors the board reports (logged; the TP connection carries on). */
export type BoardError =
  | { readonly kind: "bad-template"; readonly templateId: bigint; readonly reason: string }
  | { readonly kind: "unknown-template"; readonly templateId: bigint };

/** Pool-wide jobs state. */
export interface JobBoard {
  /** Handles a NewTemplate. */
  onNewTemplate(t: NewTemplate): BoardEvent | BoardError;
  /** Handles a TDP SetNewPrevHash. */
  onSetNewPrevHash(m: SetNewPrevHashTdp): BoardEvent | BoardError;
  /** The newest job on the current tip, or null before the first tip. */
  readonly activeJob: PoolJob | null;
  /** The current tip. */
  readonly tip: ChainTip | null;
  /** A job by id: `live` (current tip), `stale` (an earlier tip), or undefined when unknown/future. */
  lookup(jobId: number): { job: PoolJob; stale: boolean } | undefined;
  /** Ids forgotten since the last call (channels drop their per-job state). */
  takeForgotten(): number[];
}

/** Tips whose jobs are still recognised (as stale) after they are replaced. */
const STALE_EPOCHS_KEPT = 2;

/** Creates the board; `firstJobId` lets a restarted pool avoid reusing recent ids. */
export function createJobBoard(config: JobFactoryConfig, firstJobId = 1): JobBoard {
  const jobs = new Map<number, PoolJob>();
  const byTemplate = new Map<bigint, PoolJob>();
  let nextJobId = firstJobId >>> 0 || 1;
  let tip: ChainTip | null = null;
  let active: PoolJob | null = null;
  let forgotten: number[] = [];

  const allocateId = () => {
    const id = nextJobId;
    nextJobId = nextJobId >= 0xffff_ffff ? 1 : nextJobId + 1;
    return id;
  };

  function prune(currentEpoch: number): void {
    for (const [id, job] of jobs) {
      const epoch = job.tip?.epoch;
      if (epoch !== undefined && epoch < currentEpoch - STALE_EPOCHS_KEPT) {
        jobs.delete(id);
        byTemplate.delete(job.templateId);
        forgotten.push(id);
      }
    }
  }

  return {
    onNewTemplate(t) {
      let job: PoolJob;
      try {
        const reward: TxOutput = { value: t.coinbaseTxValueRemaining, scriptPubKey: config.payoutScript };
        job = buildJob(allocateId(), t, [reward], config.tag, config.fullExtranonceSize);
      } catch (err) {
        return { kind: "bad-template", templateId: t.templateId, reason: String(err) };
      }
      jobs.set(job.jobId, job);
      byTemplate.set(t.templateId, job);
      if (t.futureTemplate || tip === null) return { kind: "future-job", job };
      job.tip = tip;
      active = job;
      return { kind: "job", job, tip };
    },
    onSetNewPrevHash(m) {
      const job = byTemplate.get(m.templateId);
      if (!job) return { kind: "unknown-template", templateId: m.templateId };
      tip = {
        epoch: (tip?.epoch ?? 0) + 1,
        prevHash: m.prevHash,
        nBits: m.nBits,
        networkTarget: nBitsToTarget(m.nBits),
        minNtime: m.headerTimestamp,
      };
      job.tip = tip;
      active = job;
      // Future jobs never activated belong to no tip; they are dropped with the old tip.
      for (const [id, other] of jobs) {
        if (other.tip === null && other !== job) {
          jobs.delete(id);
          byTemplate.delete(other.templateId);
          forgotten.push(id);
        }
      }
      prune(tip.epoch);
      return { kind: "new-tip", job, tip };
    },
    get activeJob() {
      return active;
    },
    get tip() {
      return tip;
    },
    lookup(jobId) {
      const job = jobs.get(jobId);
      if (!job?.tip || !tip) return undefined;
      return { job, stale: job.tip.epoch !== tip.epoch };
    },
    takeForgotten() {
      const out = forgotten;
      forgotten = [];
      return out;
    },
  };
}
