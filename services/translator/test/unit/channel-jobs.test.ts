/**
 * sv2-spec §5.3.16/§5.3.17 on the translator side: future jobs wait for SetNewPrevHash,
 * which activates the named job as clean work; jobs with min_ntime are active at once.
 */
import test from "ava";
import fc from "fast-check";
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

test("§5.3.17 crossed order: a SetNewPrevHash naming a job not yet received activates it when it comes", (t) => {
  const tipped = applyPrevHash(applyExtendedJob(emptyChannelJobs(), job(1, null)).state, prev(1, 100)).state;
  const early = applyPrevHash(tipped, prev(2, 200));
  // Nothing to hand out yet; the old tip's jobs are gone.
  t.is(early.notify, null);
  t.is(early.state.active, null);
  t.deepEqual([...early.state.jobs.keys()], []);
  const late = applyExtendedJob(early.state, job(2, null));
  t.is(late.notify?.job.jobId, 2);
  t.true(late.clean);
  t.deepEqual(late.notify?.tip.prevHash, prev(2).prevHash);
  t.is(late.notify?.ntime, 200);
  // Once activated, it is an ordinary active job: later jobs on the tip are not clean.
  const next = applyExtendedJob(late.state, job(3, 210));
  t.is(next.notify?.job.jobId, 3);
  t.false(next.clean);
});

test("§5.3.16: after a new tip whose job is missing, the first min_ntime job is clean work on that tip", (t) => {
  const tipped = applyPrevHash(applyExtendedJob(emptyChannelJobs(), job(1, null)).state, prev(1, 100)).state;
  const early = applyPrevHash(tipped, prev(2, 200));
  const u = applyExtendedJob(early.state, job(5, 205));
  t.is(u.notify?.job.jobId, 5);
  t.true(u.clean, "miners still hash the old tip: they must drop it");
  t.deepEqual(u.notify?.tip.prevHash, prev(2).prevHash);
  t.false(applyExtendedJob(u.state, job(6, 206)).clean);
});

/** One tip of a pool's script: future jobs, the SetNewPrevHash naming one, then jobs with min_ntime. */
interface ScriptTip {
  readonly futures: readonly number[];
  readonly named: number;
  /** The SetNewPrevHash overtakes the future job it names (sent before it). */
  readonly crossed: boolean;
  readonly later: readonly number[];
  readonly prevHashByte: number;
}

const scriptArb = fc
  .array(
    fc.record({
      futures: fc.integer({ min: 1, max: 3 }),
      namedIndex: fc.nat(),
      crossed: fc.boolean(),
      later: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((tips) => {
    // Job ids are never reused on one channel (§5.3.16), so the script numbers them in order.
    let next = 1;
    const take = (n: number) => Array.from({ length: n }, () => next++);
    return tips.map((tip, i): ScriptTip => {
      const futures = take(tip.futures);
      return {
        futures,
        named: futures[tip.namedIndex % futures.length]!,
        crossed: tip.crossed,
        later: take(tip.later),
        prevHashByte: i + 1,
      };
    });
  });

test("property (§5.3.16/§5.3.17, clean_jobs): miners get each tip's named job first and clean, then its min_ntime jobs, never a future job early", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(scriptArb, (script) => {
        let state = emptyChannelJobs();
        const sent: { jobId: number; prevHashByte: number; clean: boolean }[] = [];
        const apply = (u: ReturnType<typeof applyPrevHash>) => {
          state = u.state;
          if (u.notify)
            sent.push({ jobId: u.notify.job.jobId, prevHashByte: u.notify.tip.prevHash[0]!, clean: u.clean });
        };
        const expected: typeof sent = [];
        for (const tip of script) {
          const tipMessage = {
            ...prev(0, 100 + tip.prevHashByte),
            prevHash: new Uint8Array(32).fill(tip.prevHashByte),
            jobId: tip.named,
          };
          for (const id of tip.futures)
            if (!(tip.crossed && id === tip.named)) apply(applyExtendedJob(state, job(id, null)));
          apply(applyPrevHash(state, tipMessage));
          if (tip.crossed) apply(applyExtendedJob(state, job(tip.named, null)));
          for (const id of tip.later) apply(applyExtendedJob(state, job(id, 100 + tip.prevHashByte)));
          expected.push({ jobId: tip.named, prevHashByte: tip.prevHashByte, clean: true });
          for (const id of tip.later)
            expected.push({ jobId: id, prevHashByte: tip.prevHashByte, clean: false });
        }
        return JSON.stringify(sent) === JSON.stringify(expected);
      }),
    ),
  );
});
