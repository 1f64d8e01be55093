/**
 * sv2-spec §5.3.16/§5.3.17 on the translator side: future jobs wait for SetNewPrevHash,
 * which activates the named job as clean work; jobs with min_ntime are active at once.
 */
import test from "ava";
import {
  applyExtendedJob,
  applyPrevHash,
  type ExtendedJob,
  emptyChannelJobs,
  MAX_REMEMBERED_JOBS,
} from "../../src/channel-jobs.ts";

const job = (jobId: number, minNtime: number | null): ExtendedJob => ({
  jobId,
  minNtime,
  version: 0x20000000,
  versionRollingAllowed: true,
  merklePath: [],
  coinbaseTxPrefix: Uint8Array.of(1),
  coinbaseTxSuffix: Uint8Array.of(2),
});
const prev = (jobId: number, minNtime = 100) => ({
  jobId,
  prevHash: new Uint8Array(32).fill(jobId),
  minNtime,
  nbits: 0x207fffff,
});

test("§5.3.16: a future job is not sent until SetNewPrevHash names it; then it is clean work", (t) => {
  const a = applyExtendedJob(emptyChannelJobs(), job(1, null));
  t.is(a.notify, null);
  const b = applyPrevHash(a.state, prev(1));
  t.is(b.notify?.job.jobId, 1);
  t.true(b.clean);
  t.is(b.notify?.ntime, 100);
});

test("§5.3.16: a job with min_ntime on a known tip is active at once and not clean", (t) => {
  const tipped = applyPrevHash(applyExtendedJob(emptyChannelJobs(), job(1, null)).state, prev(1, 100)).state;
  const u = applyExtendedJob(tipped, job(2, 150));
  t.is(u.notify?.job.jobId, 2);
  t.false(u.clean);
  t.is(u.notify?.ntime, 150);
  // Before any tip, even a non-future job has nothing to build on.
  t.is(applyExtendedJob(emptyChannelJobs(), job(3, 150)).notify, null);
});

test("§5.3.17: SetNewPrevHash drops the other jobs; an unknown job id activates nothing", (t) => {
  let state = emptyChannelJobs();
  for (let i = 1; i <= 3; i++) state = applyExtendedJob(state, job(i, null)).state;
  const u = applyPrevHash(state, prev(2));
  t.deepEqual([...u.state.jobs.keys()], [2]);
  const unknown = applyPrevHash(state, prev(99));
  t.is(unknown.notify, null);
  t.is(unknown.state.active, null);
});

test("job memory is bounded", (t) => {
  let state = emptyChannelJobs();
  for (let i = 0; i < MAX_REMEMBERED_JOBS * 3; i++) state = applyExtendedJob(state, job(i, null)).state;
  t.is(state.jobs.size, MAX_REMEMBERED_JOBS);
});
