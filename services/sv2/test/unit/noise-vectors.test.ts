/**
 * Published vectors for the Noise layer: /work/shared/vectors/noise.json (sv2-spec §4.3–4.7,
 * SRI key-utils), BIP324 EllSwift and `v2_ecdh`, and every BIP340 row.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schnorr } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import test from "ava";
import {
  ACT1_SIZE,
  ACT2_SIZE,
  ELLSWIFT_SIZE,
  ENCRYPTED_HEADER_SIZE,
  ellswiftDecode,
  ellswiftEcdhXOnly,
  encodeAuthorityPublicKey,
  initialHandshakeState,
  MAC_SIZE,
  MAX_CIPHERTEXT_CHUNK,
  MAX_PLAINTEXT_CHUNK,
  NoiseError,
  PROTOCOL_NAME,
  parseAuthorityPublicKey,
  parseAuthoritySecretKey,
  SIGNATURE_NOISE_MESSAGE_SIZE,
  v2Ecdh,
  xOnlyPublicKey,
  xswiftecInverse,
} from "../../src/noise/index.ts";

const VECTORS = new URL("../../../../../shared/vectors/", import.meta.url);

function readVector(relative: string): string {
  const path = fileURLToPath(new URL(relative, VECTORS));
  if (!existsSync(path)) {
    throw new Error(`test vector ${relative} not found at ${path}; the shared/ folder must sit beside main/`);
  }
  return readFileSync(path, "utf8");
}

/** One CSV row; `cell` fails loudly on a column the file does not have. */
interface CsvRow {
  cell(column: string): string;
}

/** Minimal CSV reader: the BIP files have a header row and no quoted commas. */
function readCsv(relative: string): CsvRow[] {
  const [head, ...rows] = readVector(relative).trim().split(/\r?\n/);
  const columns = head!.split(",");
  return rows.map((row) => {
    const cells = row.split(",");
    return {
      cell(column: string) {
        const index = columns.indexOf(column);
        if (index < 0) throw new Error(`${relative} has no column ${column}`);
        return cells[index] ?? "";
      },
    };
  });
}

// biome-ignore lint/suspicious/noExplicitAny: JSON fixture, shape asserted by the tests below
const noise: any = JSON.parse(readVector("noise.json"));

test("sv2-spec §4.5.1: protocol name hashes to ck, h = SHA256(ck)", (t) => {
  t.is(noise.protocol_name.ascii, PROTOCOL_NAME);
  t.is(new TextEncoder().encode(PROTOCOL_NAME).length, noise.protocol_name.length_bytes);
  const { h, ck } = initialHandshakeState();
  t.is(bytesToHex(ck), noise.initial_state.ck_hex);
  t.is(bytesToHex(h), noise.initial_state.h_hex);
});

test("sv2-spec §4.7.1: authority public key base58check with [1,0] prefix round-trips", (t) => {
  const vector = noise.authority_key_encoding.spec_vector;
  const raw = Uint8Array.from(vector.raw_ca_public_key_bytes as number[]);
  t.is(bytesToHex(raw), vector.raw_ca_public_key_hex);
  t.is(encodeAuthorityPublicKey(raw), vector.expected_base58check);
  t.deepEqual(parseAuthorityPublicKey(vector.expected_base58check), raw);
});

test("sv2-spec §4.7: SRI example authority keypair parses and is consistent", (t) => {
  const pair = noise.sri_example_authority_keypair;
  const publicKey = parseAuthorityPublicKey(pair.authority_public_key);
  const secretKey = parseAuthoritySecretKey(pair.authority_secret_key);
  t.is(bytesToHex(publicKey), pair.authority_public_key_xonly_hex);
  t.is(bytesToHex(secretKey), pair.authority_secret_key_hex);
  t.deepEqual(xOnlyPublicKey(secretKey), publicKey);
  const tp = noise.sri_example_tp_authority_public_key;
  t.is(bytesToHex(parseAuthorityPublicKey(tp.string)), tp.xonly_hex);
});

test("sv2-spec §4.7: SRI key-utils key_conversions pair parses and is consistent", (t) => {
  const v = noise.key_utils_test_vectors;
  const secretKey = parseAuthoritySecretKey(v.secret_key);
  const publicKey = parseAuthorityPublicKey(v.public_key);
  t.is(bytesToHex(secretKey), v.secret_key_hex);
  t.is(bytesToHex(publicKey), v.public_key_xonly_hex);
  t.deepEqual(xOnlyPublicKey(secretKey), publicKey);
});

test("sv2-spec §4.7: invalid authority keys fail with checksum, version and length errors", (t) => {
  const [checksum, version, length] = noise.key_utils_test_vectors.invalid;
  t.is(
    t.throws(() => parseAuthorityPublicKey(checksum.string), { instanceOf: NoiseError })?.code,
    "KEY_CHECKSUM",
  );
  const versionError = t.throws(() => parseAuthorityPublicKey(version.string), { instanceOf: NoiseError });
  t.is(versionError?.code, "KEY_VERSION");
  t.regex(versionError?.message ?? "", /version 12\b/);
  const lengthError = t.throws(() => parseAuthorityPublicKey(length.string), { instanceOf: NoiseError });
  t.is(lengthError?.code, "KEY_LENGTH");
  t.regex(lengthError?.message ?? "", /33 bytes/);
});

test("sv2-spec §4.7: legacy unprefixed authority key is rejected", (t) => {
  const legacy = noise.authority_key_encoding.legacy_unprefixed_example;
  const error = t.throws(() => parseAuthorityPublicKey(legacy.string), { instanceOf: NoiseError });
  t.is(error?.code, "KEY_LENGTH");
});

test("sv2-spec §4.5–4.6: handshake and frame sizes", (t) => {
  const sizes = noise.sizes;
  t.is(ELLSWIFT_SIZE, sizes.ellswift_pubkey);
  t.is(MAC_SIZE, sizes.aead_mac);
  t.is(ACT1_SIZE, sizes.handshake_act1_initiator_to_responder);
  t.is(SIGNATURE_NOISE_MESSAGE_SIZE, sizes.signature_noise_message);
  t.is(ACT2_SIZE, sizes.handshake_act2_responder_to_initiator);
  t.is(ACT2_SIZE, 234);
  t.is(ENCRYPTED_HEADER_SIZE, sizes.encrypted_frame_header);
  t.is(MAX_CIPHERTEXT_CHUNK, sizes.max_noise_message);
  t.is(MAX_PLAINTEXT_CHUNK, sizes.max_plaintext_chunk);
});

test("BIP324 ellswift_decode_test_vectors: XSwiftEC(u, t) = x for every row", (t) => {
  const rows = readCsv("bip324/ellswift_decode_test_vectors.csv");
  t.is(rows.length, 76);
  for (const row of rows) {
    t.is(bytesToHex(ellswiftDecode(hexToBytes(row.cell("ellswift")))), row.cell("x"), row.cell("comment"));
  }
});

test("BIP324 xswiftec_inv_test_vectors: XSwiftECInv(u, x, c) = case_c_t, empty = no solution", (t) => {
  const rows = readCsv("bip324/xswiftec_inv_test_vectors.csv");
  t.is(rows.length, 32);
  for (const row of rows) {
    for (let c = 0; c < 8; c++) {
      const inverse = xswiftecInverse(hexToBytes(row.cell("u")), hexToBytes(row.cell("x")), c);
      const expected = row.cell(`case${c}_t`);
      t.is(inverse === null ? "" : bytesToHex(inverse), expected, `${row.cell("u")} case ${c}`);
    }
  }
});

test("sv2-spec §4.4.2 ECDH = BIP324 v2_ecdh: packet_encoding mid_x_ours, mid_x_shared, mid_shared_secret", (t) => {
  const rows = readCsv("bip324/packet_encoding_test_vectors.csv");
  t.is(rows.length, 7);
  for (const row of rows) {
    const secretKey = hexToBytes(row.cell("in_priv_ours"));
    const ours = hexToBytes(row.cell("in_ellswift_ours"));
    const theirs = hexToBytes(row.cell("in_ellswift_theirs"));
    const initiating = row.cell("in_initiating") === "1";
    t.is(bytesToHex(ellswiftDecode(ours)), row.cell("mid_x_ours"), `row ${row.cell("in_idx")} x(ours)`);
    t.is(bytesToHex(xOnlyPublicKey(secretKey)), row.cell("mid_x_ours"), `row ${row.cell("in_idx")} priv→x`);
    t.is(bytesToHex(ellswiftDecode(theirs)), row.cell("mid_x_theirs"), `row ${row.cell("in_idx")} x(theirs)`);
    t.is(
      bytesToHex(ellswiftEcdhXOnly(theirs, secretKey)),
      row.cell("mid_x_shared"),
      `row ${row.cell("in_idx")} x shared`,
    );
    t.is(
      bytesToHex(v2Ecdh(secretKey, ours, theirs, initiating)),
      row.cell("mid_shared_secret"),
      `row ${row.cell("in_idx")}`,
    );
  }
});

test("BIP340 test-vectors.csv: sign reproduces the signature and verify the result, all rows", (t) => {
  const rows = readCsv("bip340/test-vectors.csv");
  t.is(rows.length, 19);
  for (const row of rows) {
    const publicKey = hexToBytes(row.cell("public key"));
    const message = hexToBytes(row.cell("message"));
    const signature = hexToBytes(row.cell("signature"));
    const label = `row ${row.cell("index")} ${row.cell("comment")}`;
    if (row.cell("secret key")) {
      const secretKey = hexToBytes(row.cell("secret key"));
      t.deepEqual(xOnlyPublicKey(secretKey), publicKey, label);
      const signed = schnorr.sign(message, secretKey, hexToBytes(row.cell("aux_rand")));
      t.is(bytesToHex(signed).toUpperCase(), row.cell("signature"), label);
    }
    let verified: boolean;
    try {
      verified = schnorr.verify(signature, message, publicKey);
    } catch {
      verified = false;
    }
    t.is(verified, row.cell("verification result") === "TRUE", label);
  }
});
