/**
 * Noise throughput on this machine: encrypted frames/s (encrypt only, and encrypt + decode)
 * for 64-byte and 64 KiB payloads; full NX handshakes/s (both sides in one process); and the
 * responder side alone (what a pool pays per reconnecting miner) beside its physical reference:
 * the libsecp256k1 calls a responder cannot avoid (one EllSwift key, two x-only ECDHs), timed
 * alone in the same run. The reference TypeScript backend (noble) runs in a child process with
 * HH_NOISE_BACKEND=js for the side-by-side figure.
 * Run: `npx tsx services/sv2/bench/noise.bench.ts`.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Frame } from "../src/framing.ts";
import {
  createCipherState,
  createInitiator,
  createResponder,
  encryptFrame,
  NoiseFrameDecoder,
  noiseBackend,
  xOnlyPublicKey,
} from "../src/noise/index.ts";
import { nativeSecp256k1 } from "../src/noise/native.ts";

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

/** Responder handshakes/s on act 1 messages made beforehand (the initiators' work is not timed). */
function benchResponder(): number {
  const authoritySecretKey = new Uint8Array(32).fill(3);
  const staticSecretKey = new Uint8Array(32).fill(4);
  const now = () => Date.now();
  const act1s = Array.from({ length: 256 }, () => createInitiator({ now }).writeAct1());
  let i = 0;
  return rate(() => {
    const responder = createResponder({
      staticSecretKey,
      authoritySecretKey,
      certificateValiditySeconds: 60,
      now,
    });
    responder.readAct1(act1s[i++ % act1s.length]!);
  });
}

/** The floor: one EllSwift key and two BIP324 ECDHs, straight into libsecp256k1. */
function benchFloor(): number | null {
  const native = nativeSecp256k1;
  if (!native) return null;
  const sk = new Uint8Array(randomBytes(32));
  const aux = new Uint8Array(32);
  const theirs = native.ellswiftCreate(new Uint8Array(randomBytes(32)), aux)!;
  return rate(() => {
    const ours = native.ellswiftCreate(sk, aux)!;
    native.ellswiftXdh(theirs, ours, sk, 1);
    native.ellswiftXdh(theirs, ours, sk, 1);
  });
}

if (process.env.NOISE_BENCH_CHILD === "responder") {
  console.log(JSON.stringify({ responder: benchResponder(), backend: noiseBackend().name }));
  process.exit(0);
}

benchFrames(64);
benchFrames(64 * 1024);
benchHandshake();

const backend = noiseBackend();
const responder = benchResponder();
const floor = benchFloor();
console.log(
  `Noise NX responder handshakes/s/core (${backend.name}${backend.reason ? `: ${backend.reason}` : ""}): ${Math.round(responder)}` +
    (floor
      ? `; floor (EllSwift create + 2 ECDH in libsecp256k1) ${Math.round(floor)}/s, ratio ${(responder / floor).toFixed(2)}`
      : ""),
);
const child = JSON.parse(
  execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    env: { ...process.env, HH_NOISE_BACKEND: "js", NOISE_BENCH_CHILD: "responder" },
    encoding: "utf8",
  }),
) as { responder: number; backend: string };
console.log(
  `Noise NX responder handshakes/s/core, reference backend (${child.backend}): ${child.responder.toFixed(1)}; ` +
    `native is ${(responder / child.responder).toFixed(0)}×`,
);
