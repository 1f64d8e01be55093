/**
 * The translation hot path: mining.submit line → parse → validate → judge (coinbase,
 * merkle root, header hash, two targets) → SubmitSharesExtended frame. Also the bytes on
 * the wire per accepted share, SV1 (submit + answer) against SV2 (Noise-encrypted
 * SubmitSharesExtended + SubmitShares.Success).
 */
import { MAX_TARGET } from "@hyperhash/bitcoin";
import {
  authorize,
  configure,
  encodeRequest,
  encodeResult,
  initialSessionState,
  parseRequestLine,
  subscribe,
  validateRequest,
} from "@hyperhash/sv1";
import { encodeMessage, encryptedFrameLength } from "@hyperhash/sv2";
import { judgeSubmit } from "../src/submit.ts";
import { type IssuedJob, sv1JobFor } from "../src/translation.ts";
import type { ChannelGrant } from "../src/upstream/upstream.ts";
import { activeJobFor } from "../test/unit/fixtures.ts";

const extranonce1 = Uint8Array.of(0, 1);
const grant: ChannelGrant = {
  channelId: 1,
  groupChannelId: 0,
  target: MAX_TARGET,
  extranoncePrefix: Uint8Array.of(0, 0, 0, 1),
  extranonceSize: 16,
  epoch: 1,
};
const active = activeJobFor(
  840_000,
  Array.from({ length: 12 }, (_, i) => new Uint8Array(32).fill(i)),
);
const sv1 = sv1JobFor(
  active,
  { channelPrefix: grant.extranoncePrefix, channelRollableSize: 16, extranonce1, extranonce2Size: 4 },
  "1a",
  true,
  1_700_000_000,
);
const issued: IssuedJob = {
  sv1,
  upstreamJobId: 7,
  upstreamEpoch: 1,
  versionRollingAllowed: true,
  minNtime: 1_700_000_000,
  minerTarget: MAX_TARGET,
};
let state = configure(initialSessionState(), ["version-rolling"], {}, 0x1fffe000).state;
state = subscribe(state, null, extranonce1, 4, "1").state;
const a = authorize(state, "bc1qexampleaddress000000000000000000000.rig01", "", {
  min: 2 ** -32,
  max: 2 ** 32,
});
if ("state" in a) state = a.state;

const line = (i: number) =>
  encodeRequest(i, "mining.submit", [
    "bc1qexampleaddress000000000000000000000.rig01",
    "1a",
    (i >>> 0).toString(16).padStart(8, "0"),
    "6553f100",
    "a1b2c3d4",
    "00002000",
  ]).slice(0, -1);

const N = Number(process.env.SUBMITS ?? 100_000);
let forwarded = 0;
let bytes = 0;
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const parsed = parseRequestLine(line(i));
  if (!parsed.ok) throw new Error("parse");
  const v = validateRequest(parsed.request);
  if (!v.ok || v.message.method !== "mining.submit") throw new Error("validate");
  const o = judgeSubmit({
    state,
    submit: v.message.submit,
    issued,
    grant,
    extranonce1,
    seen: new Set(),
    nowSeconds: 1_700_000_000,
  });
  if (o.kind !== "forward") throw new Error(o.kind);
  const frame = encodeMessage({ type: "SubmitSharesExtended", channelId: 1, sequenceNumber: i, ...o.share });
  bytes += frame.payload.length;
  forwarded++;
}
const seconds = (performance.now() - t0) / 1000;
console.log(
  `submits translated: ${Math.round(forwarded / seconds)} /s (${N} in ${seconds.toFixed(2)} s, merkle path of 12, ${bytes / forwarded} B payload each)`,
);

const sv1Bytes = line(1).length + 1 + encodeResult(1, true).length;
const submitPayload = encodeMessage({
  type: "SubmitSharesExtended",
  channelId: 1,
  sequenceNumber: 1,
  jobId: 7,
  nonce: 1,
  ntime: 1,
  version: 1,
  extranonce: new Uint8Array(16),
}).payload.length;
const successPayload = encodeMessage({
  type: "SubmitShares.Success",
  channelId: 1,
  lastSequenceNumber: 1,
  newSubmitsAcceptedCount: 1,
  newSharesSum: 1n,
}).payload.length;
const sv2Plain = 6 + submitPayload + 6 + successPayload;
const sv2Wire = encryptedFrameLength(submitPayload) + encryptedFrameLength(successPayload);
console.log(`bytes per accepted share: SV1 ${sv1Bytes} (submit + answer, worker name of 45 chars)`);
console.log(
  `bytes per accepted share: SV2 ${sv2Wire} encrypted (${sv2Plain} plaintext), 16-byte rollable extranonce`,
);
