/**
 * Noise throughput on this machine: encrypted frames/s (encrypt only, and encrypt + decode)
 * for 64-byte and 64 KiB payloads, and full NX handshakes/s (both sides in one process).
 * Run: `npx tsx services/sv2/bench/noise.bench.ts`.
 */
import type { Frame } from "../src/framing.ts";
import {
  createCipherState,
  createInitiator,
  createResponder,
  encryptFrame,
  NoiseFrameDecoder,
  xOnlyPublicKey,
} from "../src/noise/index.ts";

const BENCH_MS = 1500;

/** Call `body` repeatedly for about {@link BENCH_MS}; returns operations per second. */
function rate(body: () => void): number {
  for (let i = 0; i < 20; i++) body(); // warm-up for the JIT
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < BENCH_MS) {
    for (let i = 0; i < 10; i++) body();
    count += 10;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

function frameOf(size: number): Frame {
  return {
    header: { extensionType: 0, channelMsg: true, msgType: 0x1b, msgLength: size },
    payload: new Uint8Array(size).fill(0xab),
  };
}

function benchFrames(size: number): void {
  const key = new Uint8Array(32).fill(1);
  const frame = frameOf(size);
  const sender = createCipherState(key);
  const encryptRate = rate(() => encryptFrame(sender, frame));
  const tx = createCipherState(key);
  const rx = new NoiseFrameDecoder(createCipherState(key));
  const roundTripRate = rate(() => {
    if (rx.push(encryptFrame(tx, frame)).length !== 1) throw new Error("frame lost");
  });
  const mb = (r: number) => ((r * size) / 1e6).toFixed(1);
  console.log(
    `${String(size).padStart(6)} B payload: encrypt ${Math.round(encryptRate)} frames/s (${mb(encryptRate)} MB/s), ` +
      `encrypt+decode ${Math.round(roundTripRate)} frames/s (${mb(roundTripRate)} MB/s)`,
  );
}

function benchHandshake(): void {
  const authoritySecretKey = new Uint8Array(32).fill(3);
  const staticSecretKey = new Uint8Array(32).fill(4);
  const authorityPublicKey = xOnlyPublicKey(authoritySecretKey);
  const now = () => Date.now();
  const handshakes = rate(() => {
    const initiator = createInitiator({ authorityPublicKey, now });
    const responder = createResponder({
      staticSecretKey,
      authoritySecretKey,
      certificateValiditySeconds: 60,
      now,
    });
    initiator.readAct2(responder.readAct1(initiator.writeAct1()).act2);
  });
  console.log(
    `Noise NX handshakes (initiator + responder, certificate signed and verified): ${handshakes.toFixed(1)}/s`,
  );
}

benchFrames(64);
benchFrames(64 * 1024);
benchHandshake();
