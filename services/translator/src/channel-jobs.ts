/**
 * Job state of one upstream extended channel (sv2-spec §5.3.16 NewExtendedMiningJob,
 * §5.3.17 SetNewPrevHash), as pure functions: which job miners should work on now.
 *
 * A job with `min_ntime` is active at once on the current prev hash; a future job
 * (`min_ntime` null) waits for the SetNewPrevHash naming it, which also makes every
 * other job stale (clean_jobs for SV1).
 */
import type { NewExtendedMiningJob, SetNewPrevHash } from "@hyperhash/sv2";

/** The chain tip jobs build on, from the last SetNewPrevHash. */
export interface ChannelTip {
  /** Previous block hash, header byte order. */
  readonly prevHash: Uint8Array;
  /** Earliest nTime allowed. */
  readonly minNtime: number;
  /** Compact network target. */
  readonly nBits: number;
}

/** Parts of NewExtendedMiningJob the translator uses. */
export type ExtendedJob = Pick<
  NewExtendedMiningJob,
  | "jobId"
  | "minNtime"
  | "version"
  | "versionRollingAllowed"
  | "merklePath"
  | "coinbaseTxPrefix"
  | "coinbaseTxSuffix"
>;

/** A job miners can hash: the job plus the tip it builds on. */
export interface ActiveJob {
  readonly job: ExtendedJob;
  readonly tip: ChannelTip;
  /** nTime to hand out (≥ the tip's min_ntime). */
  readonly ntime: number;
}

/** Job state of one channel. */
export interface ChannelJobs {
  /** Known jobs by id, future ones included; bounded. */
  readonly jobs: ReadonlyMap<number, ExtendedJob>;
  readonly tip: ChannelTip | null;
  readonly active: ActiveJob | null;
}

/** Jobs remembered per channel; older ones are dropped (a future job is never that old). */
export const MAX_REMEMBERED_JOBS = 16;

/** Empty state of a freshly opened channel. */
export function emptyChannelJobs(): ChannelJobs {
  return { jobs: new Map(), tip: null, active: null };
}

/** What a message changed: a new active job, and whether miners must drop older work. */
export interface JobUpdate {
  readonly state: ChannelJobs;
  /** Set when miners should get a new notify. */
  readonly notify: ActiveJob | null;
  /** True when earlier jobs are stale (new prev hash). */
  readonly clean: boolean;
}

function remember(jobs: ReadonlyMap<number, ExtendedJob>, job: ExtendedJob): Map<number, ExtendedJob> {
  const next = new Map(jobs);
  next.delete(job.jobId);
  next.set(job.jobId, job);
  while (next.size > MAX_REMEMBERED_JOBS) next.delete(next.keys().next().value!);
  return next;
}

/** Applies NewExtendedMiningJob. */
export function applyExtendedJob(state: ChannelJobs, job: ExtendedJob): JobUpdate {
  const jobs = remember(state.jobs, job);
  if (job.minNtime === null || state.tip === null) {
    return { state: { ...state, jobs }, notify: null, clean: false };
  }
  const active: ActiveJob = { job, tip: state.tip, ntime: Math.max(job.minNtime, state.tip.minNtime) };
  return { state: { jobs, tip: state.tip, active }, notify: active, clean: false };
}

/** Applies SetNewPrevHash (mining): the named job becomes active and every other job stale. */
export function applyPrevHash(
  state: ChannelJobs,
  message: Pick<SetNewPrevHash, "jobId" | "prevHash" | "minNtime" | "nbits">,
): JobUpdate {
  const tip: ChannelTip = { prevHash: message.prevHash, minNtime: message.minNtime, nBits: message.nbits };
  const job = state.jobs.get(message.jobId);
  // Only the named job survives: the others were built on the old tip.
  const jobs = new Map<number, ExtendedJob>(job ? [[job.jobId, job]] : []);
  if (!job) return { state: { jobs, tip, active: null }, notify: null, clean: true };
  const active: ActiveJob = { job, tip, ntime: message.minNtime };
  return { state: { jobs, tip, active }, notify: active, clean: true };
}
