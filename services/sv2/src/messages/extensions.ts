/**
 * Extensions Negotiation (sv2-spec extensions/0x0001, extension_type 0x0001) and the
 * TLV encoding of §3.4.3 by which extensions append fields to existing messages.
 *
 * TLV integers are little-endian like every other SV2 U16: the spec's printed example
 * (`00 02 01 00 0A`) looks big-endian, but SRI encodes `02 00 01 0a 00` and real peers
 * follow SRI.
 */
import { B0_64K, type CoderType, decode, encode, Reader, SEQ0_64K, struct, U8, U16 } from "../binary.ts";
import { Sv2CodecError } from "../errors.ts";
import type { MessageDef } from "./index.ts";

/** Allocated extension_type values this package knows. */
export const EXTENSION_TYPE = {
  /** 0x0001: Extensions Negotiation (defines the RequestExtensions messages). */
  EXTENSIONS_NEGOTIATION: 0x0001,
  /** 0x0002: Worker-Specific Hashrate Tracking (TLV on SubmitSharesExtended). */
  WORKER_HASHRATE_TRACKING: 0x0002,
} as const;

/** Extension 0x0002 field 0x01: `user_identity`, UTF-8, at most 32 bytes, unpadded. */
export const WORKER_USER_IDENTITY_FIELD = 0x01;

/** RequestExtensions (Client -> Server): sent right after SetupConnection.Success. */
export const RequestExtensions = struct([
  ["requestId", U16],
  ["requestedExtensions", SEQ0_64K(U16)],
]);
/** Fields of RequestExtensions. */
export type RequestExtensions = CoderType<typeof RequestExtensions>;

/** RequestExtensions.Success (Server -> Client). */
export const RequestExtensionsSuccess = struct([
  ["requestId", U16],
  ["supportedExtensions", SEQ0_64K(U16)],
]);
/** Fields of RequestExtensions.Success. */
export type RequestExtensionsSuccess = CoderType<typeof RequestExtensionsSuccess>;

/** RequestExtensions.Error (Server -> Client). */
export const RequestExtensionsError = struct([
  ["requestId", U16],
  ["unsupportedExtensions", SEQ0_64K(U16)],
  ["requiredExtensions", SEQ0_64K(U16)],
]);
/** Fields of RequestExtensions.Error. */
export type RequestExtensionsError = CoderType<typeof RequestExtensionsError>;

const def = <C>(msgType: number, coder: C) =>
  ({
    extensionType: EXTENSION_TYPE.EXTENSIONS_NEGOTIATION,
    msgType,
    channelMsg: false,
    section: "ext-0x0001 §2",
    coder,
  }) as const;

/** Registry entries of Extensions Negotiation (extension_type 0x0001). */
export const EXTENSIONS_MESSAGES = {
  RequestExtensions: def(0x00, RequestExtensions),
  "RequestExtensions.Success": def(0x01, RequestExtensionsSuccess),
  "RequestExtensions.Error": def(0x02, RequestExtensionsError),
} as const satisfies Record<string, MessageDef>;

/**
 * One TLV field: `extension_type U16 | field_type U8 | length U16 | value`. The
 * length+value pair is exactly a B0_64K, so the layout is a plain struct.
 */
export const TLV = struct([
  ["extensionType", U16],
  ["fieldType", U8],
  ["value", B0_64K],
]);
/** A decoded TLV field. */
export type Tlv = CoderType<typeof TLV>;

/** Bytes of a TLV before its value. */
export const TLV_HEADER_SIZE = 5;

/** Encodes one TLV field. */
export function encodeTlv(tlv: Tlv): Uint8Array {
  return encode(TLV, tlv);
}

/** Decodes exactly one TLV field (`short-buffer` when the value is cut short). */
export function decodeTlv(bytes: Uint8Array): Tlv {
  return decode(TLV, bytes);
}

/** Encodes TLV fields back to back, in the order given (callers keep §3.4.3's ordering). */
export function encodeTlvList(tlvs: readonly Tlv[]): Uint8Array {
  const parts = tlvs.map(encodeTlv);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads TLV fields until the reader is exhausted. A partial TLV at the end is an error
 * rather than silently dropped: §3.4.3 puts TLVs last, so nothing else may follow.
 */
export function readTlvList(r: Reader): Tlv[] {
  const out: Tlv[] = [];
  while (r.remaining > 0) out.push(TLV.read(r));
  return out;
}

/** Decodes a whole byte string as a TLV list. */
export function decodeTlvList(bytes: Uint8Array): Tlv[] {
  return readTlvList(new Reader(bytes));
}

/**
 * Builds the extension 0x0002 `user_identity` TLV; rejects values over the 32 bytes
 * the extension allows.
 */
export function workerIdentityTlv(userIdentity: string): Tlv {
  const value = new TextEncoder().encode(userIdentity);
  if (value.length > 32) {
    throw new Sv2CodecError("length-out-of-range", `user_identity is ${value.length} bytes > 32`);
  }
  return {
    extensionType: EXTENSION_TYPE.WORKER_HASHRATE_TRACKING,
    fieldType: WORKER_USER_IDENTITY_FIELD,
    value,
  };
}
