import { createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto";

// A minimal DER writer: enough ASN.1 for one self-signed ECDSA P-256 certificate, so the
// operator can issue lnd's TLS pair without openssl in its image.
const len = (n: number): Uint8Array =>
  n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const tlv = (tag: number, ...content: Uint8Array[]) => {
  const body = cat(...content);
  return cat(Uint8Array.of(tag), len(body.length), body);
};
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const oid = (...bytes: number[]) => tlv(0x06, Uint8Array.from(bytes));
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const OID_ECDSA_SHA256 = oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
const OID_CN = oid(0x55, 0x04, 0x03);
const OID_SAN = oid(0x55, 0x1d, 0x11);
const OID_BASIC_CONSTRAINTS = oid(0x55, 0x1d, 0x13);
const OID_KEY_USAGE = oid(0x55, 0x1d, 0x0f);

/** GeneralizedTime, YYYYMMDDHHMMSSZ. */
function time(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return tlv(0x18, new TextEncoder().encode(`${s}Z`));
}

/**
 * A self-signed X.509 v3 certificate (PEM) for an EC P-256 key, with the DNS names and
 * 127.0.0.1 as subject alternative names, as lnd's own generated certificate has.
 */
export function selfSignedCertificate(
  privateKey: KeyObject,
  options: { commonName: string; dnsNames: string[]; days: number; now?: Date },
): string {
  const now = options.now ?? new Date();
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER: top bit clear, and a non-zero first byte (a leading 0x00
  // before a byte < 0x80 is "illegal padding" to OpenSSL — it failed 1 run in ~256).
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const name = seq(tlv(0x31, seq(OID_CN, utf8(options.commonName))));
  const spki = new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  const san = seq(
    ...options.dnsNames.map((d) => tlv(0x82, new TextEncoder().encode(d))),
    tlv(0x87, Uint8Array.of(127, 0, 0, 1)),
  );
  const extensions = tlv(
    0xa3,
    seq(
      seq(
        OID_BASIC_CONSTRAINTS,
        tlv(0x01, Uint8Array.of(0xff)),
        tlv(0x04, seq(tlv(0x01, Uint8Array.of(0xff)))),
      ),
      // digitalSignature | keyCertSign, as lnd's generated certificate.
      seq(OID_KEY_USAGE, tlv(0x01, Uint8Array.of(0xff)), tlv(0x04, tlv(0x03, Uint8Array.of(0x02, 0x84)))),
      seq(OID_SAN, tlv(0x04, san)),
    ),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    tlv(0x02, serial),
    seq(OID_ECDSA_SHA256),
    name,
    seq(time(now), time(new Date(now.getTime() + options.days * 86_400_000))),
    name,
    spki,
    extensions,
  );
  const signature = new Uint8Array(sign("sha256", tbs, privateKey));
  const der = seq(tbs, seq(OID_ECDSA_SHA256), tlv(0x03, Uint8Array.of(0), signature));
  const b64 = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
