/**
 * Judging mining.submit (issue 6 §1, §3): the miner's own target decides acceptance, only
 * shares meeting the upstream target are forwarded, and every refusal is a JSON-RPC error
 * with Stratum's code.
 */
import { MAX_TARGET } from "@hyperhash/bitcoin";
import {
  authorize,
  configure,
  initialSessionState,
  SV1_ERROR,
  type Sv1Submit,
  subscribe,
} from "@hyperhash/sv1";
import test from "ava";
import { judgeSubmit, type SubmitInput } from "../../src/submit.ts";
import { type IssuedJob, sv1JobFor } from "../../src/translation.ts";
import type { ChannelGrant } from "../../src/upstream/upstream.ts";
import { activeJobFor } from "./fixtures.ts";

const extranonce1 = Uint8Array.of(0, 5);
const grant: ChannelGrant = {
  channelId: 3,
  groupChannelId: 1,
  target: MAX_TARGET,
  extranoncePrefix: Uint8Array.of(9, 9, 9, 9),
  extranonceSize: 16,
  epoch: 2,
};
const layout = {
  channelPrefix: grant.extranoncePrefix,
  channelRollableSize: 16,
  extranonce1,
  extranonce2Size: 4,
};
const active = activeJobFor(300);
const sv1 = sv1JobFor(active, layout, "a", true, 1_700_000_000);
const issued: IssuedJob = {
  sv1,
  upstreamJobId: 9,
  upstreamEpoch: 2,
  versionRollingAllowed: true,
  minNtime: 1_700_000_000,
  minerTarget: MAX_TARGET,
};
let state = configure(initialSessionState(), ["version-rolling"], {}, 0x1fffe000).state;
state = subscribe(state, null, extranonce1, 4, "1").state;
const authorized = authorize(state, "bcrt1qminer.rig", "", { min: 2 ** -32, max: 2 ** 32 });
if ("state" in authorized) state = authorized.state;

const submit = (over: Partial<Sv1Submit> = {}): Sv1Submit => ({
  worker: "bcrt1qminer.rig",
  jobId: "a",
  extranonce2: Uint8Array.of(1, 2, 3, 4),
  ntime: 1_700_000_000,
  nonce: 42,
  versionBits: 0x2000,
  ...over,
});
const input = (over: Partial<SubmitInput> = {}): SubmitInput => ({
  state,
  submit: submit(),
  issued,
  grant,
  extranonce1,
  seen: new Set(),
  nowSeconds: 1_700_000_000,
  ...over,
});
const code = (o: ReturnType<typeof judgeSubmit>) => (o.kind === "error" ? o.error.code : o.kind);

test("a share meeting the upstream target is forwarded as SubmitSharesExtended fields", (t) => {
  const o = judgeSubmit(input());
  t.is(o.kind, "forward");
  if (o.kind !== "forward") return;
  t.is(o.share.jobId, 9);
  t.is(o.share.version, 0x20002000);
  t.is(o.share.nonce, 42);
  // rollable = 10 zero bytes of padding ‖ extranonce1 ‖ extranonce2
  t.deepEqual([...o.share.extranonce], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4]);
});

test("a share meeting only the miner's target is accepted locally, never forwarded", (t) => {
  t.is(judgeSubmit(input({ grant: { ...grant, target: 0n } })).kind, "local");
});

test("a share above the miner's target is a low-difficulty error (23)", (t) => {
  t.is(
    code(judgeSubmit(input({ grant: { ...grant, target: 0n }, issued: { ...issued, minerTarget: 0n } }))),
    SV1_ERROR.LOW_DIFFICULTY,
  );
});

test("unknown job, stale upstream epoch and upstream down are job-not-found (21)", (t) => {
  t.is(code(judgeSubmit(input({ issued: undefined }))), SV1_ERROR.JOB_NOT_FOUND);
  t.is(code(judgeSubmit(input({ grant: { ...grant, epoch: 3 } }))), SV1_ERROR.JOB_NOT_FOUND);
  t.is(code(judgeSubmit(input({ grant: null }))), SV1_ERROR.JOB_NOT_FOUND);
});

test("version bits outside the negotiated mask, a wrong extranonce2 size and a bad ntime are refused", (t) => {
  const outside = judgeSubmit(input({ submit: submit({ versionBits: 0x1000 }) }));
  t.true(outside.kind === "error" && outside.reason === "bad-version");
  const size = judgeSubmit(input({ submit: submit({ extranonce2: Uint8Array.of(1, 2, 3) }) }));
  t.true(size.kind === "error" && size.reason === "bad-extranonce2");
  const old = judgeSubmit(input({ submit: submit({ ntime: 1_699_999_999 }) }));
  t.true(old.kind === "error" && old.reason === "bad-ntime");
  const noRolling = judgeSubmit(input({ issued: { ...issued, versionRollingAllowed: false } }));
  t.true(noRolling.kind === "error" && noRolling.reason === "bad-version");
});

test("the same header twice is a duplicate (22); another worker name is unauthorized (24)", (t) => {
  const first = judgeSubmit(input());
  if (first.kind === "error") return t.fail();
  t.is(code(judgeSubmit(input({ seen: new Set([first.judgement.hash]) }))), SV1_ERROR.DUPLICATE_SHARE);
  t.is(
    code(judgeSubmit(input({ submit: submit({ worker: "someone.else" }) }))),
    SV1_ERROR.UNAUTHORIZED_WORKER,
  );
});
