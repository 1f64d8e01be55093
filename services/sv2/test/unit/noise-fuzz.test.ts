/**
 * Robustness of everything that reads peer bytes in the Noise layer (sv2-spec §4.5, §4.6):
 * random and mutated inputs may only raise NoiseError or Sv2CodecError, and the transport
 * decoder never holds more than one maximum-size encrypted frame.
 *
 * A valid-length handshake input costs two ECDHs (a few ms in pure JS), so those targets get
 * a few hundred full-cost inputs each plus many cheap malformed ones; the transport decoder,
 * where a peer can send unbounded data, gets the bulk (≥ 100,000).
 */
import test from "ava";
import { Sv2CodecError } from "../../src/errors.ts";
import type { Frame } from "../../src/framing.ts";
import {
  ACT1_SIZE,
  ACT2_SIZE,
  createCipherState,
  createInitiator,
  createResponder,
  encryptFrame,
  issueCertificate,
  NoiseError,
  NoiseFrameDecoder,
  xOnlyPublicKey,
} from "../../src/noise/index.ts";
import { NOW_MS, NOW_S, seededRandom, testKeys } from "./noise-fixtures.ts";

const SEED = Number(process.env.NOISE_FUZZ_SEED ?? 0x5eed);
const TRANSPORT_INPUTS = 100_000;
const HANDSHAKE_FULL_COST_INPUTS = 300;
const HANDSHAKE_MALFORMED_INPUTS = 5_000;

/** mulberry32: fast, seedable, good enough to drive mutations. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  const bytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = int(256);
    return out;
  };
  return { next, int, bytes };
}
type Prng = ReturnType<typeof prng>;

/** Bit flips, byte overwrites, truncation, insertion or duplication of a slice. */
function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  const out = Uint8Array.from(input);
  switch (rng.int(5)) {
    case 0:
      if (out.length > 0) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    case 1:
      for (let i = 0, n = 1 + rng.int(4); i < n && out.length > 0; i++)
        out[rng.int(out.length)] = rng.int(256);
      return out;
    case 2:
      return out.subarray(0, rng.int(out.length + 1));
    case 3: {
      const at = rng.int(out.length + 1);
      const extra = rng.bytes(1 + rng.int(40));
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out.subarray(0, at), 0);
      grown.set(extra, at);
      grown.set(out.subarray(at), at + extra.length);
      return grown;
    }
    default: {
      const from = rng.int(out.length + 1);
      const slice = out.subarray(from, from + rng.int(64));
      const grown = new Uint8Array(out.length + slice.length);
      grown.set(out, 0);
      grown.set(slice, out.length);
      return grown;
    }
  }
}

function expectTypedError(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof NoiseError || error instanceof Sv2CodecError) return null;
    return String(error instanceof Error ? error.stack : error);
  }
}

/** A length other than `size`, mostly nearby (off-by-one bugs), sometimes anywhere. */
function wrongLength(rng: Prng, size: number): number {
  const length = rng.next() < 0.5 ? size + rng.int(9) - 4 : rng.int(600);
  return length === size ? size + 1 : Math.max(0, length);
}

const keys = testKeys();

test("sv2-spec §4.5.1.2 fuzz: responder act-1 handler only throws typed errors", (t) => {
  const rng = prng(SEED);
  const certificate = issueCertificate({
    authoritySecretKey: keys.authoritySecretKey,
    serverStaticKey: xOnlyPublicKey(keys.staticSecretKey),
    validFrom: NOW_S,
    validitySeconds: 3600,
  });
  const failures: string[] = [];
  const total = HANDSHAKE_FULL_COST_INPUTS + HANDSHAKE_MALFORMED_INPUTS;
  for (let i = 0; i < total; i++) {
    const input = rng.bytes(i < HANDSHAKE_FULL_COST_INPUTS ? ACT1_SIZE : wrongLength(rng, ACT1_SIZE));
    const responder = createResponder({
      staticSecretKey: keys.staticSecretKey,
      certificate,
      now: () => NOW_MS,
      random: seededRandom(`act1-${i}`),
    });
    // Every 64-byte string is a valid EllSwift key, so a right-sized act 1 must succeed.
    const failure = expectTypedError(() => {
      const { act2 } = responder.readAct1(input);
      if (act2.length !== ACT2_SIZE) throw new Error(`act 2 has ${act2.length} bytes`);
    });
    if (failure) failures.push(failure);
    if (input.length !== ACT1_SIZE && responder.state !== "failed") failures.push(`state ${responder.state}`);
  }
  t.deepEqual(failures.slice(0, 3), []);
  t.log(`${total} act-1 inputs (${HANDSHAKE_FULL_COST_INPUTS} full-size), seed ${SEED}`);
});

test("sv2-spec §4.5.2.2 fuzz: initiator act-2 handler only throws typed errors", (t) => {
  const rng = prng(SEED + 1);
  const seed = "act2-initiator";
  const responder = createResponder({
    staticSecretKey: keys.staticSecretKey,
    authoritySecretKey: keys.authoritySecretKey,
    certificateValiditySeconds: 3600,
    now: () => NOW_MS,
    random: seededRandom("act2-responder"),
  });
  const freshInitiator = () =>
    createInitiator({
      authorityPublicKey: keys.authorityPublicKey,
      now: () => NOW_MS,
      random: seededRandom(seed),
    });
  // Same seed → same ephemeral key, so this act 2 is valid for every fresh initiator.
  const probe = freshInitiator();
  const validAct2 = responder.readAct1(probe.writeAct1()).act2;
  const failures: string[] = [];
  let accepted = 0;
  const total = HANDSHAKE_FULL_COST_INPUTS + HANDSHAKE_MALFORMED_INPUTS;
  for (let i = 0; i < total; i++) {
    const fullCost = i < HANDSHAKE_FULL_COST_INPUTS;
    let input: Uint8Array;
    if (fullCost) input = i % 2 === 0 ? rng.bytes(ACT2_SIZE) : mutate(rng, validAct2);
    else input = rng.next() < 0.5 ? rng.bytes(wrongLength(rng, ACT2_SIZE)) : mutate(rng, validAct2);
    if (!fullCost && input.length === ACT2_SIZE) input = input.subarray(0, ACT2_SIZE - 1);
    const initiator = freshInitiator();
    initiator.writeAct1();
    const failure = expectTypedError(() => {
      initiator.readAct2(input);
      accepted++;
    });
    if (failure) failures.push(failure);
  }
  t.deepEqual(failures.slice(0, 3), []);
  // A mutation can only pass if it left the bytes unchanged (e.g. a zero-length truncation tail).
  t.true(accepted <= HANDSHAKE_FULL_COST_INPUTS);
  t.log(
    `${total} act-2 inputs (${HANDSHAKE_FULL_COST_INPUTS} full-size), ${accepted} accepted, seed ${SEED}`,
  );
});

test("sv2-spec §4.6 fuzz: transport decoder only throws typed errors and bounds pending bytes", (t) => {
  const rng = prng(SEED + 2);
  const key = new Uint8Array(32).fill(0x42);
  const maxPayload = 4096;
  const failures: string[] = [];
  let framesOut = 0;
  for (let i = 0; i < TRANSPORT_INPUTS; i++) {
    let input: Uint8Array;
    if (i % 4 === 0) {
      input = rng.bytes(rng.int(200));
    } else {
      const sender = createCipherState(key);
      const parts: Uint8Array[] = [];
      for (let f = 0, n = 1 + rng.int(3); f < n; f++) {
        const length = rng.next() < 0.9 ? rng.int(64) : rng.int(maxPayload + 200);
        const frame: Frame = {
          header: {
            extensionType: rng.int(0x8000),
            channelMsg: rng.next() < 0.5,
            msgType: rng.int(256),
            msgLength: length,
          },
          payload: rng.bytes(length),
        };
        parts.push(encryptFrame(sender, frame));
      }
      const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        stream.set(part, offset);
        offset += part.length;
      }
      input = rng.next() < 0.8 ? mutate(rng, stream) : stream;
    }
    const decoder = new NoiseFrameDecoder(createCipherState(key), { maxPayload });
    const failure = expectTypedError(() => {
      for (let at = 0; at < input.length; ) {
        const size = 1 + rng.int(rng.next() < 0.5 ? 30 : 5000);
        framesOut += decoder.push(input.subarray(at, at + size)).length;
        if (decoder.pending > decoder.maxPending) throw new Error(`pending ${decoder.pending}`);
        at += size;
      }
    });
    if (failure) failures.push(failure);
  }
  t.deepEqual(failures.slice(0, 3), []);
  t.log(`${TRANSPORT_INPUTS} transport inputs, ${framesOut} frames decoded, seed ${SEED}`);
});
