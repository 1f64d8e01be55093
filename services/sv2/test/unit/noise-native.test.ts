/**
 * The libsecp256k1 backend against the TypeScript reference (noble): the same keys, decodings,
 * shared secrets and signatures on random inputs, and typed refusals of malformed arguments.
 * The BIP324 and handshake vectors (noise-vectors, noise-handshake) run on whichever backend is
 * in use, which the first test requires to be the native one.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from "node:crypto";
import { schnorr } from "@noble/curves/secp256k1.js";
import test from "ava";
import fc from "fast-check";
import {
  ellswiftCreate,
  ellswiftDecode,
  issueCertificate,
  noiseBackend,
  referenceSecp256k1 as reference,
  v2Ecdh,
  verifyCertificate,
  xOnlyPublicKey,
} from "../../src/noise/index.ts";
import { csprng, nativeSecp256k1, nativeShareCrypto } from "../../src/noise/native.ts";
import { holds } from "./noise-fixtures.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const secretKey = bytes(32).filter((b) => {
  const d = BigInt(`0x${Buffer.from(b).toString("hex")}`);
  return d > 0n && d < N;
});
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fixed = (b: Uint8Array) => () => b;
/** A random source seeded by `seed`: SHA-256 of seed ‖ counter, as many bytes as asked. */
const seeded = (seed: Uint8Array) => {
  let counter = 0;
  return (length: number) => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 32) {
      const block = createHash("sha256").update(seed).update(String(counter++)).digest();
      out.set(block.subarray(0, Math.min(32, length - at)), at);
    }
    return out;
  };
};
const native = () => {
  if (!nativeSecp256k1) throw new Error(`native backend not loaded: ${noiseBackend().reason}`);
  return nativeSecp256k1;
};

test("the handshake runs on libsecp256k1 (build: node services/sv2/native/build.mjs, run by the bootstrap)", (t) => {
  const backend = noiseBackend();
  t.is(backend.name, "libsecp256k1", backend.reason);
});

test("x-only public keys equal the reference (property)", (t) => {
  holds(
    t,
    fc.property(secretKey, (sk) => hex(xOnlyPublicKey(sk)) === hex(reference.xOnlyPublicKey(sk))),
  );
});

test("every 64 bytes decode to the reference's x (property)", (t) => {
  holds(
    t,
    fc.property(bytes(64), (e) => hex(ellswiftDecode(e)) === hex(reference.ellswiftDecode(e))),
    {
      numRuns: 500,
    },
  );
});

test("native EllSwift encodings decode to the key's x under the reference, and back (property)", (t) => {
  holds(
    t,
    fc.property(secretKey, bytes(32), (sk, aux) => {
      const encoding = ellswiftCreate(sk, fixed(aux));
      const x = hex(reference.xOnlyPublicKey(sk));
      return (
        encoding.length === 64 &&
        hex(reference.ellswiftDecode(encoding)) === x &&
        hex(ellswiftDecode(encoding)) === x
      );
    }),
  );
});

test("BIP324 v2_ecdh equals the reference for both roles and both sides agree (property)", (t) => {
  holds(
    t,
    fc.property(secretKey, secretKey, bytes(32), bytes(32), (a, b, seedA, auxB) => {
      const ellA = reference.ellswiftCreate(a, seeded(seedA)); // one side's encoding from each implementation
      const ellB = ellswiftCreate(b, fixed(auxB));
      const initiator = v2Ecdh(a, ellA, ellB, true);
      const responder = v2Ecdh(b, ellB, ellA, false);
      return (
        hex(initiator) === hex(responder) &&
        hex(initiator) === hex(reference.v2Ecdh(a, ellA, ellB, true)) &&
        hex(responder) === hex(reference.v2Ecdh(b, ellB, ellA, false))
      );
    }),
    { numRuns: 60 },
  );
});

test("BIP340: native signatures equal noble's for the same auxiliary randomness and verify across (property)", (t) => {
  holds(
    t,
    fc.property(bytes(32), secretKey, bytes(32), (message, sk, aux) => {
      const signature = native().schnorrSign(message, sk, aux);
      const pk = reference.xOnlyPublicKey(sk);
      const flipped = Uint8Array.from(message);
      flipped[0]! ^= 1;
      return (
        signature !== null &&
        hex(signature) === hex(schnorr.sign(message, sk, aux)) &&
        schnorr.verify(signature, message, pk) &&
        native().schnorrVerify(signature, message, pk) &&
        !native().schnorrVerify(signature, flipped, pk)
      );
    }),
    { numRuns: 60 },
  );
});

test("x-only key validity equals BIP340 lift_x (property, values at and past p included)", (t) => {
  const wide = fc.oneof(
    bytes(32),
    fc.constant(new Uint8Array(32).fill(0xff)),
    fc.constant(new Uint8Array(32)),
  );
  holds(
    t,
    fc.property(wide, (x) => native().isXOnlyPublicKey(x) === reference.isXOnlyPublicKey(x)),
    {
      numRuns: 500,
    },
  );
});

test("a certificate signed natively verifies, and a tampered one is refused", (t) => {
  const authority = new Uint8Array(32).fill(7);
  const serverStaticKey = xOnlyPublicKey(new Uint8Array(32).fill(8));
  const authorityPublicKey = xOnlyPublicKey(authority);
  const certificate = issueCertificate({
    authoritySecretKey: authority,
    serverStaticKey,
    validFrom: 1000,
    validitySeconds: 60,
  });
  t.notThrows(() =>
    verifyCertificate(certificate, { serverStaticKey, authorityPublicKey, nowSeconds: 1010 }),
  );
  t.true(schnorr.verify(certificate.signature, digestOf(certificate, serverStaticKey), authorityPublicKey));
  const forged = { ...certificate, notValidAfter: certificate.notValidAfter + 1 };
  t.throws(() => verifyCertificate(forged, { serverStaticKey, authorityPublicKey, nowSeconds: 1010 }), {
    message: /not signed by the authority/,
  });
});

test("malformed arguments are TypeErrors from the addon, refused keys are null", (t) => {
  const n = native();
  t.throws(() => n.ellswiftDecode(new Uint8Array(63)), { instanceOf: TypeError });
  t.throws(() => n.ellswiftDecode([1, 2, 3] as unknown as Uint8Array), { instanceOf: TypeError });
  t.throws(() => n.ellswiftXdh(new Uint8Array(64), new Uint8Array(64), new Uint8Array(32).fill(1), 2 as 0), {
    instanceOf: TypeError,
  });
  t.is(n.xOnlyPublicKey(new Uint8Array(32)), null, "zero is not a secret key");
  t.is(n.ellswiftCreate(new Uint8Array(32).fill(0xff), new Uint8Array(32)), null, "≥ n is not a secret key");
  t.is(n.schnorrSign(new Uint8Array(32), new Uint8Array(32), new Uint8Array(32)), null);
});

test("SHA-256 and Noise HKDF equal OpenSSL's (property, empty inputs included)", (t) => {
  const data = fc.uint8Array({ maxLength: 300 });
  holds(
    t,
    fc.property(data, data, (a, b) => {
      const expected = createHash("sha256").update(a).update(b).digest("hex");
      return (
        hex(native().sha256(a, b)) === expected &&
        hex(native().sha256(a)) === createHash("sha256").update(a).digest("hex")
      );
    }),
  );
  holds(
    t,
    fc.property(bytes(32), fc.oneof(bytes(32), fc.constant(new Uint8Array(0))), (ck, ikm) => {
      const expected = Buffer.from(hkdfSync("sha256", ikm, ck, new Uint8Array(0), 64)).toString("hex");
      return hex(native().hkdf2(ck, ikm)) === expected;
    }),
  );
  t.throws(() => native().hkdf2(new Uint8Array(31), new Uint8Array(0)), { instanceOf: TypeError });
});

const shareCrypto = () => {
  if (!nativeShareCrypto)
    throw new Error(`the addon has no OpenSSL functions: ${noiseBackend().reason ?? "set up failed"}`);
  return nativeShareCrypto;
};
const ietfNonce = (n: number) => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32LE(n >>> 0, 4);
  iv.writeUInt32LE(Math.floor(n / 2 ** 32), 8);
  return iv;
};

test("the addon's ChaCha20-Poly1305 equals node:crypto's at any nonce, with and without AD, and opens only authentic input (property)", (t) => {
  const aead = shareCrypto();
  holds(
    t,
    fc.property(
      bytes(32),
      fc.maxSafeNat(),
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 600 }),
      fc.nat(),
      (key, n, ad, plaintext, flip) => {
        const sealed = new Uint8Array(plaintext.length + 16);
        aead.aeadSeal(key, n, ad, plaintext, sealed);
        const c = createCipheriv("chacha20-poly1305", key, ietfNonce(n), { authTagLength: 16 });
        if (ad.length > 0) c.setAAD(ad, { plaintextLength: plaintext.length });
        const expected = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
        if (!expected.equals(sealed)) return false;
        const opened = new Uint8Array(plaintext.length);
        if (!aead.aeadOpen(key, n, ad, sealed, opened) || hex(opened) !== hex(plaintext)) return false;
        // node:crypto opens what the addon sealed.
        const d = createDecipheriv("chacha20-poly1305", key, ietfNonce(n), { authTagLength: 16 });
        d.setAuthTag(sealed.subarray(plaintext.length));
        if (ad.length > 0) d.setAAD(ad, { plaintextLength: plaintext.length });
        if (
          hex(Buffer.concat([d.update(sealed.subarray(0, plaintext.length)), d.final()])) !== hex(plaintext)
        )
          return false;
        // One flipped bit anywhere, or another nonce: refused, and nothing unauthenticated leaks out.
        const tampered = Uint8Array.from(sealed);
        tampered[flip % tampered.length]! ^= 1 << (flip % 8);
        const out = new Uint8Array(plaintext.length).fill(0xaa);
        if (aead.aeadOpen(key, n, ad, tampered, out) || out.some((b) => b !== 0)) return false;
        const other = n === Number.MAX_SAFE_INTEGER ? n - 1 : n + 1;
        return !aead.aeadOpen(key, other, ad, sealed, new Uint8Array(plaintext.length));
      },
    ),
  );
});

test("the addon's AEAD and share hash refuse malformed arguments with TypeErrors", (t) => {
  const aead = shareCrypto();
  const key = new Uint8Array(32);
  const empty = new Uint8Array(0);
  t.throws(() => aead.aeadSeal(new Uint8Array(31), 0, empty, empty, new Uint8Array(16)), {
    instanceOf: TypeError,
  });
  t.throws(() => aead.aeadSeal(key, 0, empty, new Uint8Array(4), new Uint8Array(16)), {
    instanceOf: TypeError,
  });
  t.throws(() => aead.aeadSeal(key, -1, empty, empty, new Uint8Array(16)), { instanceOf: TypeError });
  t.throws(() => aead.aeadSeal(key, 2 ** 53, empty, empty, new Uint8Array(16)), { instanceOf: TypeError });
  t.throws(() => aead.aeadSeal(key, 0.5, empty, empty, new Uint8Array(16)), { instanceOf: TypeError });
  t.throws(() => aead.aeadOpen(key, 0, empty, new Uint8Array(15), empty), { instanceOf: TypeError });
  t.throws(() => aead.aeadOpen(key, 0, empty, new Uint8Array(20), new Uint8Array(3)), {
    instanceOf: TypeError,
  });
  t.throws(() => aead.aeadOpen(key, 0, [] as unknown as Uint8Array, new Uint8Array(16), empty), {
    instanceOf: TypeError,
  });
  const h = new Uint8Array(80);
  const out = new Uint8Array(32);
  const prev = new Uint8Array(32);
  t.throws(() => aead.shareHash(null, empty, empty, empty, new Uint8Array(31), 1, prev, 0, 0, 0, h, out), {
    instanceOf: TypeError,
  });
  t.throws(() => aead.shareHash(empty, empty, empty, empty, new Uint8Array(33), 1, prev, 0, 0, 0, h, out), {
    instanceOf: TypeError,
  });
  t.throws(() => aead.shareHash(empty, empty, empty, empty, empty, -1, prev, 0, 0, 0, h, out), {
    instanceOf: TypeError,
  });
  t.throws(
    () => aead.shareHash(empty, empty, empty, empty, empty, 1, prev, 0, 0, 0, new Uint8Array(79), out),
    {
      instanceOf: TypeError,
    },
  );
});

test("the pooled CSPRNG never hands out the same bytes twice", (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(hex(csprng(32)));
  t.is(seen.size, 5000);
  t.is(csprng(2000).length, 2000, "a large draw bypasses the pool");
});

/** The certificate's signed digest, recomputed here from sv2-spec §4.5.3 (as certificate.ts does). */
function digestOf(
  c: { version: number; validFrom: number; notValidAfter: number },
  key: Uint8Array,
): Uint8Array {
  const body = new Uint8Array(2 + 4 + 4 + 32);
  const view = new DataView(body.buffer);
  view.setUint16(0, c.version, true);
  view.setUint32(2, c.validFrom, true);
  view.setUint32(6, c.notValidAfter, true);
  body.set(key, 10);
  return new Uint8Array(createHash("sha256").update(body).digest());
}
