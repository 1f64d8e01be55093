/**
 * Judging one mining.submit, as a pure function of the session, the job it names and the
 * upstream grant: a JSON-RPC error, a share accepted at the miner's difficulty only, or a
 * share for the pool (it meets the upstream channel target).
 *
 * Checks run in SRI's order where they overlap (job, extranonce size, ntime, version,
 * then hash), so a miner hears the same reason the pool would give.
 */
import {
  SV1_ERROR,
  type Sv1Error,
  type Sv1SessionState,
  type Sv1Submit,
  shareVersion,
  submitAllowed,
} from "@hyperhash/sv1";
import {
  type IssuedJob,
  judgeShare,
  ntimeProblem,
  rollableExtranonce,
  type ShareJudgement,
  shareHeader,
} from "./translation.ts";
import type { ChannelGrant, UpstreamShare } from "./upstream/upstream.ts";

/** Everything a submit is judged against. */
export interface SubmitInput {
  readonly state: Sv1SessionState;
  readonly submit: Sv1Submit;
  /** The SV1 job it names, if still known. */
  readonly issued: IssuedJob | undefined;
  /** The channel's current grant (null while the pool is away). */
  readonly grant: ChannelGrant | null;
  readonly extranonce1: Uint8Array;
  /** Header hashes already accepted since the last prev hash. */
  readonly seen: ReadonlySet<bigint>;
  readonly nowSeconds: number;
}

/** Outcome of {@link judgeSubmit}. */
export type SubmitOutcome =
  | { readonly kind: "error"; readonly error: Sv1Error; readonly reason: string }
  | { readonly kind: "local"; readonly judgement: ShareJudgement }
  | { readonly kind: "forward"; readonly judgement: ShareJudgement; readonly share: UpstreamShare };

const error = (code: number, message: string, reason: string): SubmitOutcome => ({
  kind: "error",
  error: { code, message },
  reason,
});

/** Judges one submit. */
export function judgeSubmit(input: SubmitInput): SubmitOutcome {
  const { state, submit, issued, grant } = input;
  const denied = submitAllowed(state, submit.worker);
  if (denied) return { kind: "error", error: denied, reason: "unauthorized" };
  if (!issued) return error(SV1_ERROR.JOB_NOT_FOUND, "job not found", "job-not-found");
  if (!grant || grant.epoch !== issued.upstreamEpoch) {
    return error(SV1_ERROR.JOB_NOT_FOUND, "stale job (upstream reconnected)", "stale");
  }
  if (submit.extranonce2.length !== state.extranonce2Size) {
    return error(SV1_ERROR.OTHER, `extranonce2 must be ${state.extranonce2Size} bytes`, "bad-extranonce2");
  }
  const ntime = ntimeProblem(submit.ntime, issued.minNtime, input.nowSeconds);
  if (ntime) return error(SV1_ERROR.OTHER, ntime, "bad-ntime");
  const version = shareVersion(state, issued.sv1.version, submit.versionBits);
  if (typeof version !== "number") return { kind: "error", error: version, reason: "bad-version" };
  if (!issued.versionRollingAllowed && version !== issued.sv1.version >>> 0) {
    return error(SV1_ERROR.OTHER, "version rolling not allowed on this job", "bad-version");
  }
  const header = shareHeader(issued.sv1, input.extranonce1, submit.extranonce2, {
    version,
    ntime: submit.ntime,
    nonce: submit.nonce,
  });
  const judgement = judgeShare(header, issued.minerTarget, grant.target);
  if (input.seen.has(judgement.hash)) return error(SV1_ERROR.DUPLICATE_SHARE, "duplicate share", "duplicate");
  if (judgement.meetsUpstreamTarget) {
    const layout = {
      channelPrefix: grant.extranoncePrefix,
      channelRollableSize: grant.extranonceSize,
      extranonce1: input.extranonce1,
      extranonce2Size: state.extranonce2Size,
    };
    return {
      kind: "forward",
      judgement,
      share: {
        epoch: grant.epoch,
        jobId: issued.upstreamJobId,
        nonce: submit.nonce,
        ntime: submit.ntime,
        version,
        extranonce: rollableExtranonce(layout, submit.extranonce2),
      },
    };
  }
  if (!judgement.meetsMinerTarget)
    return error(SV1_ERROR.LOW_DIFFICULTY, "low difficulty share", "low-difficulty");
  return { kind: "local", judgement };
}
