/**
 * Test support (not a test file): fast-check arbitraries derived from the coder
 * layouts, and the codec fuzz loop shared by the unit test and the long-running
 * script. Deriving arbitraries from the layouts means a new message gets round-trip
 * and fuzz coverage without anyone writing a generator for it.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { Coder } from "../../src/binary.ts";
import { Sv2CodecError } from "../../src/errors.ts";
import { decodeHeader, FrameDecoder, HEADER_SIZE } from "../../src/framing.ts";
import {
  decodeMessage,
  decodeMessageWithTlvs,
  MESSAGE_TABLE,
  MESSAGES,
  messageToFrameBytes,
  type Sv2Message,
  type Sv2MessageType,
} from "../../src/messages/index.ts";

/** Arbitrary for any coder, walking its layout; sizes are capped to keep runs fast. */
export function arbitraryFor(coder: Coder<unknown>): fc.Arbitrary<unknown> {
  switch (coder.kind) {
    case "uint":
      return fc.integer({ min: 0, max: coder.max });
    case "u64":
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case "bool":
      return fc.boolean();
    case "f32":
      return fc.float();
    case "str":
      // 'binary' yields whole code points (never lone surrogates), ≤ 4 UTF-8 bytes each.
      return fc.string({ unit: "binary", maxLength: 63 });
    case "bytes":
      return fc.uint8Array({ maxLength: Math.min(coder.max, 300) });
    case "fixed":
      return fc.uint8Array({ minLength: coder.max, maxLength: coder.max });
    case "seq":
      return fc.array(arbitraryFor(coder.inner!), { maxLength: Math.min(coder.max, 5) });
    case "option":
      return fc.option(arbitraryFor(coder.inner!), { nil: null });
    case "struct":
      return fc.record(Object.fromEntries(coder.fields!.map(([name, c]) => [name, arbitraryFor(c)])));
  }
}

/** Arbitrary tagged message of one type. */
export function messageArbitrary<K extends Sv2MessageType>(type: K): fc.Arbitrary<Sv2Message> {
  return arbitraryFor(MESSAGES[type].coder as Coder<unknown>).map(
    (f) => ({ type, ...(f as object) }) as Sv2Message,
  );
}

/** Arbitrary message of any known type. */
export const anyMessage: fc.Arbitrary<Sv2Message> = fc.oneof(
  ...MESSAGE_TABLE.map((row) => messageArbitrary(row.type)),
);

/** Small fast PRNG (mulberry32) so fuzz loops are reproducible from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Outcome counts of a fuzz run. */
export interface FuzzStats {
  iterations: number;
  decoded: number;
  rejected: Record<string, number>;
  streamFrames: number;
  streamErrors: number;
  maxPending: number;
}

const KNOWN_KEYS = MESSAGE_TABLE.map((r) => [r.extensionType, r.msgType] as const);

function mutate(valid: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  const out = Uint8Array.from(valid);
  switch (int(7)) {
    case 0: // flip a few payload bits
      for (let i = 0, n = 1 + int(4); i < n && out.length > HEADER_SIZE; i++) {
        out[HEADER_SIZE + int(out.length - HEADER_SIZE)]! ^= 1 << int(8);
      }
      return out;
    case 1: // truncate
      return out.subarray(0, HEADER_SIZE + int(Math.max(1, out.length - HEADER_SIZE)));
    case 2: {
      // append garbage
      const ext = new Uint8Array(out.length + 1 + int(40));
      ext.set(out);
      for (let i = out.length; i < ext.length; i++) ext[i] = int(256);
      return ext;
    }
    case 3: {
      // re-target to another known message type: same bytes, wrong layout
      const [e, t] = KNOWN_KEYS[int(KNOWN_KEYS.length)]!;
      out[0] = e & 0xff;
      out[1] = (out[1]! & 0x80) | (e >> 8);
      out[2] = t;
      return out;
    }
    case 4: // toggle the channel bit
      out[1]! ^= 0x80;
      return out;
    case 5: // overwrite a byte with a "large length" value
      if (out.length > HEADER_SIZE) out[HEADER_SIZE + int(out.length - HEADER_SIZE)] = 0xff;
      return out;
    default: {
      // completely random payload under a random or known header
      const len = int(120);
      const r = new Uint8Array(HEADER_SIZE + len);
      for (let i = 0; i < r.length; i++) r[i] = int(256);
      if (rnd() < 0.7) {
        const [e, t] = KNOWN_KEYS[int(KNOWN_KEYS.length)]!;
        r[0] = e & 0xff;
        r[1] = (r[1]! & 0x80) | (e >> 8);
        r[2] = t;
      }
      return r;
    }
  }
}

function fail(why: string, input: Uint8Array, cause?: unknown): never {
  const hex = Buffer.from(input).toString("hex");
  throw new Error(`fuzz invariant broken: ${why}; input ${hex}`, { cause });
}

/** Decodes one candidate frame; only Sv2CodecError may escape, and successes must re-encode. */
function checkDecode(bytes: Uint8Array, stats: FuzzStats, rnd: () => number): void {
  try {
    const header = { ...decodeHeader(bytes), msgLength: bytes.length - HEADER_SIZE };
    const frame = { header, payload: bytes.subarray(HEADER_SIZE) };
    const message = rnd() < 0.2 ? decodeMessageWithTlvs(frame, [1, 2]).message : decodeMessage(frame);
    stats.decoded++;
    const again = messageToFrameBytes(message);
    const back = decodeMessage({ header: decodeHeader(again), payload: again.subarray(HEADER_SIZE) });
    if (!isDeepStrictEqual(back, message)) fail("re-encoded message differs", bytes);
  } catch (e) {
    if (!(e instanceof Sv2CodecError)) fail(`non-codec error ${String(e)}`, bytes, e);
    stats.rejected[e.code] = (stats.rejected[e.code] ?? 0) + 1;
  }
}

/** Feeds a byte stream to a FrameDecoder in random chunks, checking the memory bound. */
function checkStream(stream: Uint8Array, maxPayload: number, stats: FuzzStats, rnd: () => number): void {
  let decoder = new FrameDecoder({ maxPayload });
  let at = 0;
  while (at < stream.length) {
    const n = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 4 : 200));
    const chunk = stream.subarray(at, at + n);
    at += n;
    try {
      stats.streamFrames += decoder.push(chunk).length;
    } catch (e) {
      if (!(e instanceof Sv2CodecError)) fail(`FrameDecoder threw ${String(e)}`, stream, e);
      stats.streamErrors++;
      decoder = new FrameDecoder({ maxPayload });
    }
    if (decoder.pending > HEADER_SIZE + maxPayload) fail(`pending ${decoder.pending} > bound`, stream);
    stats.maxPending = Math.max(stats.maxPending, decoder.pending);
  }
}

function withTruthfulLength(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const n = out.length - HEADER_SIZE;
  out[3] = n & 0xff;
  out[4] = (n >> 8) & 0xff;
  out[5] = n >> 16;
  return out;
}

/**
 * Runs `iterations` fuzz cases: each is a random or mutated-valid frame given to
 * decodeMessage, and batches of them are streamed through a FrameDecoder.
 */
export function runFuzz(iterations: number, seed = 1): FuzzStats {
  const rnd = prng(seed);
  const corpus = fc.sample(anyMessage, { numRuns: 1000, seed }).map((m) => messageToFrameBytes(m));
  const stats: FuzzStats = {
    iterations,
    decoded: 0,
    rejected: {},
    streamFrames: 0,
    streamErrors: 0,
    maxPending: 0,
  };
  const batch: Uint8Array[] = [];
  for (let i = 0; i < iterations; i++) {
    const valid = corpus[Math.floor(rnd() * corpus.length)]!;
    const bytes = rnd() < 0.1 ? valid : mutate(valid, rnd);
    checkDecode(bytes, stats, rnd);
    // Mostly keep msg_length truthful so the stream stays aligned and yields frames;
    // the rest desynchronises it on purpose.
    batch.push(rnd() < 0.8 ? withTruthfulLength(bytes) : bytes);
    if (batch.length === 64 || i === iterations - 1) {
      const stream = new Uint8Array(batch.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of batch) {
        stream.set(b, at);
        at += b.length;
      }
      checkStream(stream, 256 + Math.floor(rnd() * 512), stats, rnd);
      batch.length = 0;
    }
  }
  return stats;
}
