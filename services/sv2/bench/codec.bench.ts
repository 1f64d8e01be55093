/**
 * Single-core codec throughput for the hot message, SubmitSharesExtended (§5.3.12):
 * `npx tsx services/sv2/bench/codec.bench.ts [seconds-per-case]`.
 * "decode+validate" = header parse + full payload decode with every length/bound check
 * (what a pool does per share before share validation); "stream" adds FrameDecoder.
 */
import { decodeHeader, FrameDecoder, HEADER_SIZE } from "../src/framing.ts";
import { decodeMessage, messageToFrameBytes, type Sv2Message } from "../src/messages/index.ts";

const seconds = Number(process.argv[2] ?? 1);

const share: Sv2Message = {
  type: "SubmitSharesExtended",
  channelId: 1,
  sequenceNumber: 42,
  jobId: 7,
  nonce: 0xdeadbeef,
  ntime: 1_745_596_971,
  version: 0x20000000,
  extranonce: Uint8Array.from({ length: 16 }, (_, i) => i),
};
const frameBytes = messageToFrameBytes(share);

/** Runs `fn` in batches until the time budget is spent; returns operations per second. */
function measure(label: string, opsPerCall: number, fn: () => void): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm-up so the JIT has optimised the path
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    elapsed = performance.now() - start;
  }
  const perSecond = (calls * opsPerCall) / (elapsed / 1000);
  console.log(`${label.padEnd(52)} ${Math.round(perSecond).toLocaleString("en-US").padStart(12)} /s`);
}

let sink = 0;
measure("SubmitSharesExtended decode+validate (frame bytes)", 1, () => {
  const header = decodeHeader(frameBytes);
  const m = decodeMessage({ header, payload: frameBytes.subarray(HEADER_SIZE) });
  sink += m.type.length;
});

const BATCH = 100;
const stream = new Uint8Array(frameBytes.length * BATCH);
for (let i = 0; i < BATCH; i++) stream.set(frameBytes, i * frameBytes.length);
const decoder = new FrameDecoder();
measure(`SubmitSharesExtended stream decode (${BATCH} per chunk)`, BATCH, () => {
  for (const f of decoder.push(stream)) sink += decodeMessage(f).type.length;
});

measure("SubmitSharesExtended encode (frame bytes)", 1, () => {
  sink += messageToFrameBytes(share).length;
});

if (sink === 0) console.log("unreachable");
console.log(`node ${process.version}, ${seconds}s per case, frame ${frameBytes.length} bytes`);
