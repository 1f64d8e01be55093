/**
 * sv2-spec 03-Protocol-Overview §3.2 framing: header layout, the channel_msg bit, and
 * the streaming FrameDecoder under arbitrary TCP chunking and hostile lengths.
 */
import test from "ava";
import fc from "fast-check";
import { Sv2CodecError } from "../../src/errors.ts";
import {
  CHANNEL_MSG_BIT,
  decodeHeader,
  encodeFrame,
  encodeHeader,
  type Frame,
  FrameDecoder,
  HEADER_SIZE,
  MAX_PAYLOAD,
} from "../../src/framing.ts";

const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const headerArb = fc.record({
  extensionType: fc.integer({ min: 0, max: 0x7fff }),
  channelMsg: fc.boolean(),
  msgType: fc.integer({ min: 0, max: 0xff }),
  msgLength: fc.integer({ min: 0, max: MAX_PAYLOAD }),
});

const frameArb: fc.Arbitrary<Frame> = fc
  .tuple(headerArb, fc.uint8Array({ maxLength: 300 }))
  .map(([h, payload]) => ({ header: { ...h, msgLength: payload.length }, payload }));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test("§3.2 constants: 6-byte header, channel bit 0x8000, U24 max payload", (t) => {
  t.is(HEADER_SIZE, 6);
  t.is(CHANNEL_MSG_BIT, 0x8000);
  t.is(MAX_PAYLOAD, 0xffffff);
});

test("§3.2 header layout: extension_type U16 LE | msg_type U8 | msg_length U24 LE", (t) => {
  const h = { extensionType: 0x0201, channelMsg: false, msgType: 3, msgLength: 0x060504 };
  t.is(toHex(encodeHeader(h)), "010203040506");
  t.deepEqual(decodeHeader(Uint8Array.from([1, 2, 3, 4, 5, 6, 0xee])), h);
});

test("§3.2.1 channel_msg is the MSB of extension_type (wire bytes 00 80)", (t) => {
  const h = { extensionType: 0, channelMsg: true, msgType: 0x1b, msgLength: 0 };
  t.is(toHex(encodeHeader(h)), "00801b000000");
  t.deepEqual(decodeHeader(encodeHeader(h)), h);
});

test("§3.2 header round-trips for every field value", (t) => {
  fc.assert(fc.property(headerArb, (h) => t.deepEqual(decodeHeader(encodeHeader(h)), h)));
});

test("§3.2 header encoding rejects out-of-range fields; short input is short-buffer", (t) => {
  for (const h of [
    { extensionType: 0x8000, channelMsg: false, msgType: 0, msgLength: 0 },
    { extensionType: 0, channelMsg: false, msgType: 256, msgLength: 0 },
    { extensionType: 0, channelMsg: false, msgType: 0, msgLength: MAX_PAYLOAD + 1 },
  ]) {
    t.throws(() => encodeHeader(h), { instanceOf: Sv2CodecError, message: /^invalid-value/ });
  }
  t.throws(() => decodeHeader(new Uint8Array(5)), { instanceOf: Sv2CodecError, message: /^short-buffer/ });
  const payload = new Uint8Array(2);
  t.throws(
    () => encodeFrame({ header: { extensionType: 0, channelMsg: false, msgType: 0, msgLength: 3 }, payload }),
    {
      instanceOf: Sv2CodecError,
    },
  );
});

test("§3.2 FrameDecoder: one byte at a time yields every frame in order", (t) => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 8 }), (frames) => {
      const stream = concat(frames.map(encodeFrame));
      const decoder = new FrameDecoder();
      const out: Frame[] = [];
      for (let i = 0; i < stream.length; i++) out.push(...decoder.push(stream.subarray(i, i + 1)));
      t.deepEqual(out, frames);
      t.is(decoder.pending, 0);
    }),
  );
});

test("§3.2 FrameDecoder: many frames in one chunk, and arbitrary split points", (t) => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (frames, cuts) => {
        const stream = concat(frames.map(encodeFrame));
        t.deepEqual(new FrameDecoder().push(stream), frames);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder();
        const out: Frame[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...decoder.push(stream.subarray(prev, p)));
          prev = p;
        }
        t.deepEqual(out, frames);
      },
    ),
  );
});

test("§3.2 FrameDecoder: pending counts the incomplete frame, payloads are copies", (t) => {
  const frame = {
    header: { extensionType: 0, channelMsg: true, msgType: 0x1b, msgLength: 4 },
    payload: Uint8Array.of(1, 2, 3, 4),
  };
  const bytes = encodeFrame(frame);
  const decoder = new FrameDecoder();
  t.deepEqual(decoder.push(bytes.subarray(0, 8)), []);
  t.is(decoder.pending, 8);
  const [out] = decoder.push(bytes.subarray(8));
  bytes.fill(0);
  t.deepEqual(out, frame);
  t.is(decoder.pending, 0);
});

test("§3.2 FrameDecoder: an oversized msg_length throws frame-too-large before buffering, and stays failed", (t) => {
  const decoder = new FrameDecoder({ maxPayload: 100 });
  const header = encodeHeader({ extensionType: 0, channelMsg: false, msgType: 0x71, msgLength: 101 });
  const chunk = concat([header, new Uint8Array(50)]);
  const err = t.throws(() => decoder.push(chunk), { instanceOf: Sv2CodecError });
  t.is(err?.code, "frame-too-large");
  t.true(decoder.pending <= HEADER_SIZE);
  t.throws(() => decoder.push(new Uint8Array(1)), { instanceOf: Sv2CodecError, message: /^frame-too-large/ });
});

test("§3.2 FrameDecoder: a frame exactly at maxPayload is accepted; pending never exceeds 6 + max", (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 64 }), fc.uint8Array({ maxLength: 400 }), (max, noise) => {
      const decoder = new FrameDecoder({ maxPayload: max });
      const ok = encodeFrame({
        header: { extensionType: 0, channelMsg: false, msgType: 1, msgLength: max },
        payload: new Uint8Array(max),
      });
      t.is(decoder.push(ok).length, 1);
      try {
        for (let i = 0; i < noise.length; i += 7) {
          decoder.push(noise.subarray(i, i + 7));
          t.true(decoder.pending <= HEADER_SIZE + max);
        }
      } catch (e) {
        t.true(e instanceof Sv2CodecError);
      }
    }),
  );
});

test("§3.2 FrameDecoder rejects a maxPayload beyond U24", (t) => {
  t.throws(() => new FrameDecoder({ maxPayload: MAX_PAYLOAD + 1 }), { instanceOf: Sv2CodecError });
});
