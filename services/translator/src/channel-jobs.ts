/**
 * Job state of one upstream extended channel (sv2-spec §5.3.16 NewExtendedMiningJob,
 * §5.3.17 SetNewPrevHash), as pure functions: which job miners should work on now.
 *
 * A job with `min_ntime` is active at once on the current prev hash; a future job
 * (`min_ntime` null) waits for the SetNewPrevHash naming it, which also makes every
 * other job stale (clean_jobs for SV1). A channel in a group hears both the messages sent
 * to it and those sent to its group: the spec keeps their job ids distinct on one channel
 * ("MUST NOT assign a job_id that is already in use"), so one map per channel holds both.
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
  /**
   * Job id a SetNewPrevHash named before the job itself arrived (the messages crossed):
   * that job activates on the tip as soon as it comes.
   */
  readonly awaitedJobId: number | null;
  /** The tip moved after the last job miners were given: the next one must be clean. */
  readonly minersOnOldTip: boolean;
}

/** Jobs remembered per channel; older ones are dropped (a future job is never that old). */
export const MAX_REMEMBERED_JOBS = 16;

/** Empty state of a freshly opened channel. */
export function emptyChannelJobs(): ChannelJobs {
  return { jobs: new Map(), tip: null, active: null, awaitedJobId: null, minersOnOldTip: false };
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

function activate(
  state: ChannelJobs,
  jobs: ReadonlyMap<number, ExtendedJob>,
  job: ExtendedJob,
  tip: ChannelTip,
  clean: boolean,
): JobUpdate {
  const active: ActiveJob = { job, tip, ntime: Math.max(job.minNtime ?? 0, tip.minNtime) };
  return {
    state: { ...state, jobs, tip, active, awaitedJobId: null, minersOnOldTip: false },
    notify: active,
    clean,
  };
}

/** Applies NewExtendedMiningJob. */
export function applyExtendedJob(state: ChannelJobs, job: ExtendedJob): JobUpdate {
  const jobs = remember(state.jobs, job);
  if (state.tip !== null && state.awaitedJobId === job.jobId) {
    // The SetNewPrevHash naming this job came first: it is the new tip's work.
    return activate(state, new Map([[job.jobId, job]]), job, state.tip, true);
  }
  if (job.minNtime === null || state.tip === null) {
    return { state: { ...state, jobs }, notify: null, clean: false };
  }
  // Built on the last prev hash; clean only when miners have had nothing on that tip yet.
  return activate(state, jobs, job, state.tip, state.minersOnOldTip);
}

/** Applies SetNewPrevHash (mining): the named job becomes active and every other job stale. */
export function applyPrevHash(
  state: ChannelJobs,
  message: Pick<SetNewPrevHash, "jobId" | "prevHash" | "minNtime" | "nbits">,
): JobUpdate {
  const tip: ChannelTip = { prevHash: message.prevHash, minNtime: message.minNtime, nBits: message.nbits };
  const job = state.jobs.get(message.jobId);
  // Only the named job survives: the others were built on the old tip.
  if (job) return activate(state, new Map([[job.jobId, job]]), job, tip, true);
  return {
    state: { jobs: new Map(), tip, active: null, awaitedJobId: message.jobId, minersOnOldTip: true },
    notify: null,
    clean: true,
  };
}
