/**
 * Every vector of shared/vectors/sv2-messages.json, asserted as its README says:
 * decode(payload) deep-equals fields, encode(fields) equals payload, frame headers
 * parse and frames re-serialise byte for byte, header-only and TLV vectors, and the
 * documented special cases (malformed SubmitSolution, legacy CoinbaseOutputConstraints,
 * sv2-tp's internal netmsg form, the spec's big-endian-looking TLV example).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test from "ava";
import {
  B0_32,
  type Coder,
  decode as decodeValue,
  encode as encodeValue,
  Reader,
  struct,
  U32,
  U256,
} from "../../src/binary.ts";
import { Sv2CodecError } from "../../src/errors.ts";
import { decodeHeader, encodeFrame, encodeHeader, FrameDecoder, HEADER_SIZE } from "../../src/framing.ts";
import { decodeTlv, encodeTlv } from "../../src/messages/extensions.ts";
import {
  decodeMessage,
  encodeMessage,
  MESSAGES,
  messageToFrameBytes,
  type Sv2MessageType,
} from "../../src/messages/index.ts";
import { SubmitSolution } from "../../src/messages/template-distribution.ts";

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON fixture; values are checked by the assertions
type Json = Record<string, any>;
interface Vector extends Json {
  name: string;
  message: string | null;
}

const VECTORS_URL = new URL("../../../../../shared/vectors/sv2-messages.json", import.meta.url);

function loadVectors(): Vector[] | Error {
  try {
    return (JSON.parse(readFileSync(VECTORS_URL, "utf8")) as { vectors: Vector[] }).vectors;
  } catch (e) {
    return new Error(
      `cannot read ${fileURLToPath(VECTORS_URL)} (expected at ../shared/vectors/ from the repo root): ${e}`,
    );
  }
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const camel = (snake: string): string => snake.replace(/_([a-zA-Z])/g, (_, c: string) => c.toUpperCase());

/** Vector `message` names that differ from our tags. */
const TAG_OF: Record<string, Sv2MessageType> = {
  "SetNewPrevHash(TDP)": "SetNewPrevHashTdp",
  "SetNewPrevHash(Mining)": "SetNewPrevHash",
};

/**
 * Converts the vector's JSON field values to our typed values by walking the coder
 * layout. Keys are matched case-insensitively after snake→camel so `nbits` finds the
 * TDP's spec name `nBits`; every key must be used and every field present.
 */
function fromVector(coder: Coder<unknown>, value: unknown): unknown {
  switch (coder.kind) {
    case "u64":
      return BigInt(value as number);
    case "bytes":
    case "fixed":
      return hex(value as string);
    case "seq":
      return (value as unknown[]).map((e) => fromVector(coder.inner!, e));
    case "option":
      return value === null ? null : fromVector(coder.inner!, value);
    case "struct": {
      const json = value as Json;
      const byLower = new Map(Object.keys(json).map((k) => [camel(k).toLowerCase(), k]));
      const out: Json = {};
      for (const [name, c] of coder.fields!) {
        const key = byLower.get(name.toLowerCase());
        if (key === undefined) throw new Error(`vector lacks field ${name}`);
        byLower.delete(name.toLowerCase());
        out[name] = fromVector(c, json[key]);
      }
      if (byLower.size > 0) throw new Error(`vector has unmapped fields ${[...byLower.values()].join(",")}`);
      return out;
    }
    default:
      return value;
  }
}

function codecError(code: string) {
  return { instanceOf: Sv2CodecError, message: new RegExp(`^${code}:`) };
}

// sri_push_solution_frame is Job Declaration (0x60), outside this package's registry;
// it is checked with a layout built from the same binary coders (§6 PushSolution).
const PushSolution = struct([
  ["extranonce", B0_32],
  ["prevHash", U256],
  ["nonce", U32],
  ["ntime", U32],
  ["nbits", U32],
  ["version", U32],
]);

const vectors = loadVectors();
if (vectors instanceof Error) {
  test("shared/vectors/sv2-messages.json is present", (t) => t.fail(vectors.message));
} else {
  test("sv2-messages.json holds the 33 vectors the README announces", (t) => {
    t.is(vectors.length, 33);
  });
  for (const v of vectors) registerVector(v);
}

function registerVector(v: Vector): void {
  if (v.header_only) headerVector(v);
  else if (v.message === "TLV") tlvVector(v);
  else if (v.message === "PushSolution") pushSolutionVector(v);
  else if (v.name === "sv2tp_submit_solution") malformedSubmitSolution(v);
  else if (v.name === "sv2tp_coinbase_output_constraints_legacy_4byte") legacyConstraints(v);
  else messageVector(v);
}

function messageVector(v: Vector): void {
  const type = TAG_OF[v.message!] ?? (v.message as Sv2MessageType);
  const def = MESSAGES[type];
  test(`§${def.section} §8 ${type} vector ${v.name}: decode, encode and frame`, (t) => {
    t.truthy(def, `no message tagged ${type}`);
    const payload = hex(v.payload_hex as string);
    const expected = { type, ...(fromVector(def.coder, v.fields) as Json) };
    const frame = {
      header: {
        extensionType: def.extensionType,
        channelMsg: def.channelMsg,
        msgType: def.msgType,
        msgLength: payload.length,
      },
      payload,
    };
    t.deepEqual(decodeMessage(frame, { strictChannelBit: true }), expected as never);
    const encoded = encodeMessage(expected as never);
    t.is(toHex(encoded.payload), v.payload_hex);
    t.deepEqual(encoded.header, frame.header);
    t.is(def.extensionType, v.extension_type);
    t.is(def.msgType, v.msg_type);
    t.is(def.channelMsg, v.channel_msg);
    const frameHex = (v.frame_hex ?? v.frame_hex_derived) as string | undefined;
    if (frameHex !== undefined) {
      const bytes = hex(frameHex);
      t.deepEqual(decodeHeader(bytes), frame.header);
      t.is(toHex(messageToFrameBytes(expected as never)), frameHex);
      t.is(toHex(encodeFrame(frame)), frameHex);
    }
    if (typeof v.sv2tp_netmsg_hex === "string") {
      // sv2-tp's internal Sv2NetMsg = msg_type byte || payload, not a wire frame.
      t.is(v.sv2tp_netmsg_hex, def.msgType.toString(16).padStart(2, "0") + v.payload_hex);
    }
  });
}

function headerVector(v: Vector): void {
  test(`§3.2 frame header vector ${v.name}`, (t) => {
    const f = v.header_fields as Json;
    const h = decodeHeader(hex(v.header_hex as string));
    t.is(h.extensionType | (h.channelMsg ? 0x8000 : 0), f.extension_type_raw);
    if ("extension_type" in f) t.is(h.extensionType, f.extension_type);
    if ("channel_msg" in f) t.is(h.channelMsg, f.channel_msg);
    t.is(h.msgType, f.msg_type);
    t.is(h.msgLength, f.msg_length);
    t.is(toHex(encodeHeader(h)), v.header_hex);
    // SRI's size_hint: a bare header leaves msg_length bytes missing; a decoder emits
    // nothing until they arrive, then exactly one frame.
    const decoder = new FrameDecoder();
    const first = decoder.push(hex(v.header_hex as string));
    t.is(first.length, h.msgLength === 0 ? 1 : 0);
    if (h.msgLength > 0) {
      t.is(decoder.pending, HEADER_SIZE);
      const frames = decoder.push(new Uint8Array(h.msgLength));
      t.is(frames.length, 1);
      t.is(decoder.pending, 0);
    }
  });
}

function tlvVector(v: Vector): void {
  test(`§3.4.3 TLV vector ${v.name}`, (t) => {
    if (typeof v.expect_error === "string") {
      // SRI reports BufferTooShort; our equivalent is short-buffer.
      t.throws(() => decodeTlv(hex(v.tlv_hex as string)), codecError("short-buffer"));
      return;
    }
    const wire = (v.tlv_hex ?? v.tlv_hex_sri_encoding) as string;
    const f = v.tlv_fields as Json;
    const tlv = decodeTlv(hex(wire));
    t.is(tlv.extensionType, f.extension_type);
    t.is(tlv.fieldType, f.field_type);
    t.is(tlv.value.length, f.length);
    t.is(new TextDecoder().decode(tlv.value), f.value_ascii);
    t.is(toHex(encodeTlv(tlv)), wire);
    if (typeof v.tlv_hex_as_printed_in_spec === "string") {
      // The spec's printed bytes are the documented doc inconsistency: read as the
      // little-endian U16s the spec itself defines, length 0x0a00 overruns the value.
      t.throws(() => decodeTlv(hex(v.tlv_hex_as_printed_in_spec as string)), codecError("short-buffer"));
    }
  });
}

function pushSolutionVector(v: Vector): void {
  test(`§6 PushSolution vector ${v.name} (Job Declaration: outside the registry)`, (t) => {
    const payload = hex(v.payload_hex as string);
    const fields = fromVector(PushSolution as Coder<unknown>, v.fields);
    t.deepEqual(decodeValue(PushSolution, payload), fields as never);
    t.is(toHex(encodeValue(PushSolution, fields as never)), v.payload_hex);
    const bytes = hex(v.frame_hex as string);
    const header = decodeHeader(bytes);
    t.deepEqual(header, {
      extensionType: v.extension_type,
      channelMsg: v.channel_msg,
      msgType: v.msg_type,
      msgLength: payload.length,
    });
    t.is(toHex(encodeFrame({ header, payload })), v.frame_hex);
    t.throws(() => decodeMessage({ header, payload }), codecError("unknown-message"));
  });
}

function malformedSubmitSolution(v: Vector): void {
  test(`§7.7 SubmitSolution vector ${v.name} (spec_conformant:false) is rejected with trailing-bytes`, (t) => {
    t.false(v.spec_conformant);
    const payload = hex(v.payload_hex as string);
    const header = decodeHeader(hex(v.frame_hex_derived as string));
    t.deepEqual(header, { extensionType: 0, channelMsg: false, msgType: 0x76, msgLength: payload.length });
    t.throws(() => decodeMessage({ header, payload }), codecError("trailing-bytes"));
    // The fields before the bad length still read as sv2-tp's commented-out expectations.
    const f = v.fields as Json;
    const r = new Reader(payload);
    const m = SubmitSolution.read(r);
    t.is(m.templateId, BigInt(f.template_id as number));
    t.is(m.version, f.version);
    t.is(m.headerTimestamp, f.header_timestamp);
    t.is(m.headerNonce, f.header_nonce);
    t.is(m.coinbaseTx.length, f.coinbase_tx_declared_length);
    t.is(r.remaining, (f.coinbase_tx_actual_length as number) - (f.coinbase_tx_declared_length as number));
  });
}

function legacyConstraints(v: Vector): void {
  test(`§7.1 CoinbaseOutputConstraints vector ${v.name}: legacy 4-byte form rejected (policy, as SRI)`, (t) => {
    const payload = hex(v.payload_hex as string);
    const header = decodeHeader(hex(v.frame_hex_derived as string));
    t.is(header.msgLength, 4);
    t.throws(() => decodeMessage({ header, payload }), codecError("short-buffer"));
  });
}
