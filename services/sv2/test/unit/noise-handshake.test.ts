/**
 * Handshake (sv2-spec §4.5), certificate (§4.5.3) and transport framing (§4.4.1, §4.6) in memory.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import test from "ava";
import fc from "fast-check";
import type { Frame } from "../../src/framing.ts";
import {
  ACT1_SIZE,
  ACT2_SIZE,
  createCipherState,
  createInitiator,
  createResponder,
  ellswiftDecode,
  ellswiftEncode,
  encryptedPayloadLength,
  encryptFrame,
  issueCertificate,
  NoiseError,
  type NoiseErrorCode,
  NoiseFrameDecoder,
  xOnlyPublicKey,
} from "../../src/noise/index.ts";
import { handshakePair, holds, NOW_MS, NOW_S, seededRandom, testKeys } from "./noise-fixtures.ts";

const keys = testKeys();

function frame(msgType: number, payload: Uint8Array, channelMsg = false): Frame {
  return { header: { extensionType: 0, channelMsg, msgType, msgLength: payload.length }, payload };
}

function initiatorWith(authorityPublicKey: Uint8Array | undefined, nowMs = NOW_MS) {
  return createInitiator({
    ...(authorityPublicKey ? { authorityPublicKey } : {}),
    now: () => nowMs,
    random: seededRandom("initiator"),
  });
}

function act2With(certificate: ReturnType<typeof issueCertificate>, act1: Uint8Array): Uint8Array {
  const responder = createResponder({
    staticSecretKey: keys.staticSecretKey,
    certificate,
    now: () => NOW_MS,
    random: seededRandom("responder"),
  });
  return responder.readAct1(act1).act2;
}

test("sv2-spec §4.5: in-memory NX handshake, frames flow both ways", (t) => {
  const { initiator, responder } = handshakePair();
  t.deepEqual(initiator.handshakeHash, responder.handshakeHash);
  t.deepEqual(initiator.responderStaticKey, xOnlyPublicKey(keys.staticSecretKey));
  t.deepEqual(initiator.certificate, responder.certificate);
  const up = frame(0x00, Uint8Array.of(1, 2, 3));
  t.deepEqual(new NoiseFrameDecoder(responder.receiveCipher).push(encryptFrame(initiator.sendCipher, up)), [
    up,
  ]);
  const down = frame(0x15, new Uint8Array(70_000).fill(7), true);
  t.deepEqual(new NoiseFrameDecoder(initiator.receiveCipher).push(encryptFrame(responder.sendCipher, down)), [
    down,
  ]);
});

test("sv2-spec §4.5.1–4.5.2: act sizes are 64 and 234, and a seeded handshake replays exactly", (t) => {
  const run = () => {
    const initiator = createInitiator({ now: () => NOW_MS, random: seededRandom("replay-i") });
    const responder = createResponder({
      staticSecretKey: keys.staticSecretKey,
      authoritySecretKey: keys.authoritySecretKey,
      certificateValiditySeconds: 60,
      now: () => NOW_MS,
      random: seededRandom("replay-r"),
    });
    const act1 = initiator.writeAct1();
    const { act2 } = responder.readAct1(act1);
    return { act1, act2 };
  };
  const first = run();
  t.is(first.act1.length, ACT1_SIZE);
  t.is(first.act2.length, ACT2_SIZE);
  t.deepEqual(run(), first);
});

test("sv2-spec §4.5.3: a client without an authority key skips certificate verification", (t) => {
  const initiator = initiatorWith(undefined);
  const foreign = issueCertificate({
    authoritySecretKey: keys.otherAuthoritySecretKey,
    serverStaticKey: xOnlyPublicKey(keys.staticSecretKey),
    validFrom: 0,
    validitySeconds: 1,
  });
  t.notThrows(() => initiator.readAct2(act2With(foreign, initiator.writeAct1())));
});

test("sv2-spec §4.5.3: certificate within ±10 s leeway is accepted", (t) => {
  const serverStaticKey = xOnlyPublicKey(keys.staticSecretKey);
  for (const [validFrom, validitySeconds] of [
    [NOW_S + 10, 100],
    [NOW_S - 110, 100],
  ] as const) {
    const initiator = initiatorWith(keys.authorityPublicKey);
    const certificate = issueCertificate({
      authoritySecretKey: keys.authoritySecretKey,
      serverStaticKey,
      validFrom,
      validitySeconds,
    });
    t.notThrows(() => initiator.readAct2(act2With(certificate, initiator.writeAct1())));
  }
});

test("sv2-spec §4.5.3: expired, not-yet-valid and foreign-signed certificates are rejected", (t) => {
  const serverStaticKey = xOnlyPublicKey(keys.staticSecretKey);
  const cases: { code: NoiseErrorCode; authority: Uint8Array; validFrom: number; validity: number }[] = [
    { code: "CERT_EXPIRED", authority: keys.authoritySecretKey, validFrom: NOW_S - 200, validity: 100 },
    { code: "CERT_NOT_YET_VALID", authority: keys.authoritySecretKey, validFrom: NOW_S + 11, validity: 100 },
    { code: "CERT_BAD_SIGNATURE", authority: keys.otherAuthoritySecretKey, validFrom: NOW_S, validity: 100 },
  ];
  for (const { code, authority, validFrom, validity } of cases) {
    const initiator = initiatorWith(keys.authorityPublicKey);
    const certificate = issueCertificate({
      authoritySecretKey: authority,
      serverStaticKey,
      validFrom,
      validitySeconds: validity,
    });
    const act2 = act2With(certificate, initiator.writeAct1());
    const error = t.throws(() => initiator.readAct2(act2), { instanceOf: NoiseError });
    t.is(error?.code, code);
    t.is(initiator.state, "failed");
  }
});

test("sv2-spec §4.5.3: a certificate for another static key is rejected", (t) => {
  const initiator = initiatorWith(keys.authorityPublicKey);
  const certificate = issueCertificate({
    authoritySecretKey: keys.authoritySecretKey,
    serverStaticKey: xOnlyPublicKey(keys.otherAuthoritySecretKey),
    validFrom: NOW_S,
    validitySeconds: 100,
  });
  const error = t.throws(() => initiator.readAct2(act2With(certificate, initiator.writeAct1())), {
    instanceOf: NoiseError,
  });
  t.is(error?.code, "CERT_BAD_SIGNATURE");
});

test("sv2-spec §4.5.2.2: tampering with any part of act 2 fails the handshake", (t) => {
  // One byte in the ephemeral key, the encrypted static key, its MAC, the certificate and its MAC.
  for (const position of [0, 63, 64, 143, 144, 200, 233]) {
    const initiator = initiatorWith(keys.authorityPublicKey);
    const responder = createResponder({
      staticSecretKey: keys.staticSecretKey,
      authoritySecretKey: keys.authoritySecretKey,
      certificateValiditySeconds: 60,
      now: () => NOW_MS,
      random: seededRandom("tamper"),
    });
    const { act2 } = responder.readAct1(initiator.writeAct1());
    act2[position]! ^= 0x01;
    const error = t.throws(() => initiator.readAct2(act2), { instanceOf: NoiseError });
    t.is(error?.code, "DECRYPT_FAILED", `byte ${position}`);
  }
});

test("sv2-spec §4.5: wrong act sizes and out-of-order steps are typed errors", (t) => {
  const initiator = initiatorWith(undefined);
  t.is(
    t.throws(() => initiator.readAct2(new Uint8Array(ACT2_SIZE)), { instanceOf: NoiseError })?.code,
    "HANDSHAKE_STATE",
  );
  initiator.writeAct1();
  t.is(t.throws(() => initiator.writeAct1(), { instanceOf: NoiseError })?.code, "HANDSHAKE_STATE");
  t.is(
    t.throws(() => initiator.readAct2(new Uint8Array(170)), { instanceOf: NoiseError })?.code,
    "HANDSHAKE_LENGTH",
  );
  t.is(
    t.throws(() => initiator.readAct2(new Uint8Array(ACT2_SIZE)), { instanceOf: NoiseError })?.code,
    "HANDSHAKE_STATE",
  );
  const responder = createResponder({
    staticSecretKey: keys.staticSecretKey,
    authoritySecretKey: keys.authoritySecretKey,
    certificateValiditySeconds: 60,
    now: () => NOW_MS,
  });
  t.is(
    t.throws(() => responder.readAct1(new Uint8Array(65)), { instanceOf: NoiseError })?.code,
    "HANDSHAKE_LENGTH",
  );
  t.is(responder.state, "failed");
});

test("BIP324 ElligatorSwift: encode with injected randomness decodes back (property)", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const random = seededRandom(seed);
        const xonly = xOnlyPublicKey(testKeys(seed).staticSecretKey);
        return ellswiftDecode(ellswiftEncode(xonly, random)).every((byte, i) => byte === xonly[i]);
      }),
      { numRuns: 50 },
    ),
  );
});

test("CipherState (OpenSSL) equals noble's ChaCha20-Poly1305 at every nonce, both ways, with and without AD and output (property)", (t) => {
  const message = fc.record({
    ad: fc.uint8Array({ maxLength: 40 }),
    plaintext: fc.uint8Array({ maxLength: 300 }),
    intoOutput: fc.boolean(),
  });
  holds(
    t,
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(message, { maxLength: 12 }),
      (key, messages) => {
        const sender = createCipherState(key);
        const receiver = createCipherState(key);
        return messages.every(({ ad, plaintext, intoOutput }, n) => {
          const nonce = new Uint8Array(12);
          new DataView(nonce.buffer).setUint32(4, n, true);
          const expected = chacha20poly1305(key, nonce, ad).encrypt(plaintext);
          const sealed = intoOutput
            ? sender.encryptWithAd(ad, plaintext, new Uint8Array(plaintext.length + 16))
            : sender.encryptWithAd(ad, plaintext);
          const opened = intoOutput
            ? receiver.decryptWithAd(ad, expected, new Uint8Array(plaintext.length))
            : receiver.decryptWithAd(ad, expected);
          return (
            Buffer.from(sealed).equals(Buffer.from(expected)) &&
            Buffer.from(opened).equals(Buffer.from(plaintext)) &&
            sender.nonce === n + 1 &&
            receiver.nonce === n + 1
          );
        });
      },
    ),
  );
});

test("sv2-spec §4.4.1: nonce is 4 zero bytes ‖ LE u64 counter; failed decrypt keeps n", (t) => {
  const key = new Uint8Array(32).fill(9);
  const sender = createCipherState(key);
  sender.encryptWithAd(new Uint8Array(0), Uint8Array.of(0));
  const second = sender.encryptWithAd(new Uint8Array(0), Uint8Array.of(1, 2));
  const nonce1 = new Uint8Array(12);
  nonce1[4] = 1;
  t.deepEqual(second, chacha20poly1305(key, nonce1, new Uint8Array(0)).encrypt(Uint8Array.of(1, 2)));
  const receiver = createCipherState(key);
  const bad = second.slice();
  t.is(
    t.throws(() => receiver.decryptWithAd(new Uint8Array(0), bad), { instanceOf: NoiseError })?.code,
    "DECRYPT_FAILED",
  );
  t.is(receiver.nonce, 0);
});

test("sv2-spec §4.6: header is 22 bytes, empty payload adds nothing, chunks of 65,519", (t) => {
  const { initiator } = handshakePair();
  t.is(encryptFrame(initiator.sendCipher, frame(1, new Uint8Array(0))).length, 22);
  t.is(encryptFrame(initiator.sendCipher, frame(1, new Uint8Array(65_519))).length, 22 + 65_535);
  t.is(encryptFrame(initiator.sendCipher, frame(1, new Uint8Array(65_520))).length, 22 + 65_535 + 17);
  for (const length of [0, 1, 65_518, 65_519, 65_520, 131_038, 131_039, 0xffffff]) {
    const rest = length % 65_519;
    t.is(encryptedPayloadLength(length), Math.floor(length / 65_519) * 65_535 + (rest > 0 ? rest + 16 : 0));
  }
  t.is(
    t.throws(
      () =>
        encryptFrame(initiator.sendCipher, {
          ...frame(1, new Uint8Array(3)),
          header: { ...frame(1, new Uint8Array(2)).header },
        }),
      { instanceOf: NoiseError },
    )?.code,
    "FRAME_LENGTH_MISMATCH",
  );
});

test("sv2-spec §4.6: decoder rejects msg_length above maxPayload and stays failed after a bad MAC", (t) => {
  const { initiator, responder } = handshakePair("limits");
  const decoder = new NoiseFrameDecoder(responder.receiveCipher, { maxPayload: 1000 });
  t.deepEqual(decoder.push(encryptFrame(initiator.sendCipher, frame(2, new Uint8Array(1000)))).length, 1);
  const big = encryptFrame(initiator.sendCipher, frame(2, new Uint8Array(1001)));
  t.is(
    t.throws(() => decoder.push(big.subarray(0, 22)), { instanceOf: NoiseError })?.code,
    "FRAME_TOO_LARGE",
  );
  t.is(t.throws(() => decoder.push(new Uint8Array(1)), { instanceOf: NoiseError })?.code, "DECODER_FAILED");

  const mixed = handshakePair("mixed");
  const good = encryptFrame(mixed.initiator.sendCipher, frame(4, Uint8Array.of(1)));
  const bad = encryptFrame(mixed.initiator.sendCipher, frame(4, new Uint8Array(2000)));
  const both = new Uint8Array(good.length + bad.length);
  both.set(good);
  both.set(bad, good.length);
  const ordered = new NoiseFrameDecoder(mixed.responder.receiveCipher, { maxPayload: 1000 });
  t.is(ordered.push(both).length, 1, "the good frame ahead of the bad one is still returned");
  t.is(ordered.error?.code, "FRAME_TOO_LARGE");
  t.is(t.throws(() => ordered.push(new Uint8Array(0)), { instanceOf: NoiseError })?.code, "FRAME_TOO_LARGE");

  const pair = handshakePair("mac");
  const tampered = encryptFrame(pair.initiator.sendCipher, frame(3, new Uint8Array(50)));
  tampered[30]! ^= 0x80;
  const victim = new NoiseFrameDecoder(pair.responder.receiveCipher);
  t.is(t.throws(() => victim.push(tampered), { instanceOf: NoiseError })?.code, "DECRYPT_FAILED");
});

function sameFrames(a: Frame[], b: Frame[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => {
      const g = b[i]!;
      return (
        JSON.stringify(f.header) === JSON.stringify(g.header) &&
        f.payload.length === g.payload.length &&
        f.payload.every((byte, j) => byte === g.payload[j])
      );
    })
  );
}

const payloadArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 65_000, max: 140_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
  },
);

test("sv2-spec §4.6: decoder yields the same frames for any chunking of the stream (property)", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.boolean(), payloadArb), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 40 }),
        (specs, cuts) => {
          const { initiator, responder } = handshakePair("chunks");
          const frames = specs.map(([msgType, channelMsg, payload]) => frame(msgType, payload, channelMsg));
          const parts = frames.map((f) => encryptFrame(initiator.sendCipher, f));
          const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let offset = 0;
          for (const part of parts) {
            stream.set(part, offset);
            offset += part.length;
          }
          const decoder = new NoiseFrameDecoder(responder.receiveCipher);
          const received: Frame[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            received.push(...decoder.push(stream.subarray(at, at + size)));
            if (decoder.pending > decoder.maxPending) return false;
            at += size;
          }
          return decoder.pending === 0 && sameFrames(received, frames);
        },
      ),
      { numRuns: 60 },
    ),
  );
});
