/**
 * The SV2 message registry: one table keyed by (extension_type, msg_type) that maps
 * frames to tagged message objects and back.
 *
 * channel_msg on receipt: SRI (parsers-sv2 `TryFrom<(Header, &mut [u8])> for AnyMessage`)
 * dispatches on `ext_type_without_channel_msg()` and msg_type only and never compares
 * the header's channel bit with its own `CHANNEL_BIT_*` table. We do the same by
 * default so a peer that gets the bit wrong still interoperates; `strictChannelBit`
 * turns the mismatch into an error for tests and conformance checks. On send the bit
 * is always taken from the table (§8), as SRI does.
 *
 * Trailing bytes: SRI ignores whatever follows the last field (it is where TLVs live).
 * We are stricter: {@link decodeMessage} demands the payload be consumed exactly, and
 * {@link decodeMessageWithTlvs} demands the remainder be a well-formed TLV list.
 */
import { type Coder, type CoderType, Reader, Writer } from "../binary.ts";
import { Sv2CodecError } from "../errors.ts";
import { encodeHeader, type Frame, type FrameHeader, HEADER_SIZE, MAX_PAYLOAD } from "../framing.ts";
import { COMMON_MESSAGES } from "./common.ts";
import { EXTENSIONS_MESSAGES, encodeTlvList, readTlvList, type Tlv } from "./extensions.ts";
import { MINING_MESSAGES } from "./mining.ts";
import { TEMPLATE_DISTRIBUTION_MESSAGES } from "./template-distribution.ts";

/** Registry entry of one message type. */
export interface MessageDef {
  /** extension_type without the channel bit (0 for core protocols). */
  readonly extensionType: number;
  /** msg_type within that extension. */
  readonly msgType: number;
  /** Whether frames of this message carry the channel_msg bit (§8 table). */
  readonly channelMsg: boolean;
  /** Spec section that defines the layout, for test titles and logs. */
  readonly section: string;
  /** Payload layout. */
  readonly coder: Coder<unknown>;
}

/**
 * Every known message by its tag. Tags are the spec names; the template distribution
 * SetNewPrevHash is tagged `SetNewPrevHashTdp` because the mining one owns the name.
 */
export const MESSAGES = {
  ...COMMON_MESSAGES,
  ...MINING_MESSAGES,
  ...TEMPLATE_DISTRIBUTION_MESSAGES,
  ...EXTENSIONS_MESSAGES,
} as const;

type Defs = typeof MESSAGES;
/** Tag of a known message type. */
export type Sv2MessageType = keyof Defs;
/** The tagged object of one message type. */
export type MessageOf<K extends Sv2MessageType> = { type: K } & CoderType<Defs[K]["coder"]>;
/** Any known SV2 message, discriminated by `type`. */
export type Sv2Message = { [K in Sv2MessageType]: MessageOf<K> }[Sv2MessageType];

/** One row of the constants table. */
export interface MessageTableRow {
  /** Message tag. */
  readonly type: Sv2MessageType;
  /** extension_type without the channel bit. */
  readonly extensionType: number;
  /** msg_type. */
  readonly msgType: number;
  /** channel_msg bit on the wire. */
  readonly channelMsg: boolean;
  /** Defining spec section. */
  readonly section: string;
}

/** The constants table: every message with its extension_type, msg_type and channel bit. */
export const MESSAGE_TABLE: readonly MessageTableRow[] = Object.entries(MESSAGES).map(([type, d]) => ({
  type: type as Sv2MessageType,
  extensionType: d.extensionType,
  msgType: d.msgType,
  channelMsg: d.channelMsg,
  section: d.section,
}));

const routeKey = (extensionType: number, msgType: number): number => extensionType * 256 + msgType;

const routes = new Map<number, { type: Sv2MessageType; def: MessageDef }>();
for (const [type, def] of Object.entries(MESSAGES) as [Sv2MessageType, MessageDef][]) {
  const key = routeKey(def.extensionType, def.msgType);
  // A duplicate would make one message undecodable; fail at load, not on the wire.
  if (routes.has(key)) throw new Error(`duplicate SV2 message key for ${type}`);
  routes.set(key, { type, def });
}

/** Looks up a message definition by tag. */
export function messageDef(type: Sv2MessageType): MessageDef {
  const def = (MESSAGES as Record<string, MessageDef>)[type];
  if (def === undefined) throw new Sv2CodecError("unknown-message", `no message tagged ${String(type)}`);
  return def;
}

/** Options for decoding. */
export interface DecodeOptions {
  /** Reject frames whose channel_msg bit differs from the table (default false, like SRI). */
  strictChannelBit?: boolean;
}

function route(
  header: FrameHeader,
  opts: DecodeOptions | undefined,
): { type: Sv2MessageType; def: MessageDef } {
  const found = routes.get(routeKey(header.extensionType, header.msgType));
  if (found === undefined) {
    throw new Sv2CodecError(
      "unknown-message",
      `extension_type 0x${header.extensionType.toString(16)} msg_type 0x${header.msgType.toString(16)}`,
    );
  }
  if (opts?.strictChannelBit && header.channelMsg !== found.def.channelMsg) {
    throw new Sv2CodecError(
      "channel-bit-mismatch",
      `${found.type} expects channel_msg=${found.def.channelMsg}`,
    );
  }
  return found;
}

function readPayload(frame: Frame): Reader {
  if (frame.payload.length !== frame.header.msgLength) {
    throw new Sv2CodecError("invalid-value", `msgLength ${frame.header.msgLength} != payload length`);
  }
  return new Reader(frame.payload);
}

/**
 * Decodes a frame into a tagged message. Throws `unknown-message` for an unregistered
 * (extension_type, msg_type): §3.4 says the caller then discards it (or forwards it
 * when channel_msg is set), which is a decision above the codec.
 */
export function decodeMessage(frame: Frame, opts?: DecodeOptions): Sv2Message {
  const { type, def } = route(frame.header, opts);
  const r = readPayload(frame);
  const fields = def.coder.read(r) as object;
  r.finish();
  return { type, ...fields } as Sv2Message;
}

/**
 * Decodes a frame whose payload may end with TLV fields (§3.4.3). The remainder must
 * be a well-formed TLV list; fields of extensions not in `negotiatedExtensions` are
 * dropped, as SRI's `TlvList::for_extensions` does.
 */
export function decodeMessageWithTlvs(
  frame: Frame,
  negotiatedExtensions: readonly number[],
  opts?: DecodeOptions,
): { message: Sv2Message; tlvs: Tlv[] } {
  const { type, def } = route(frame.header, opts);
  const r = readPayload(frame);
  const fields = def.coder.read(r) as object;
  const tlvs = readTlvList(r).filter((t) => negotiatedExtensions.includes(t.extensionType));
  return { message: { type, ...fields } as Sv2Message, tlvs };
}

function frameBytes(
  m: Sv2Message,
  tlvs: readonly Tlv[] | undefined,
): { header: FrameHeader; bytes: Uint8Array } {
  const def = messageDef(m.type);
  const tail = tlvs && tlvs.length > 0 ? encodeTlvList(tlvs) : null;
  const size = def.coder.size(m) + (tail?.length ?? 0);
  if (size > MAX_PAYLOAD) throw new Sv2CodecError("frame-too-large", `${m.type} payload is ${size} bytes`);
  const header: FrameHeader = {
    extensionType: def.extensionType,
    channelMsg: def.channelMsg,
    msgType: def.msgType,
    msgLength: size,
  };
  // Header and payload share one allocation: the hot path (shares, jobs) encodes once.
  const w = new Writer(HEADER_SIZE + size);
  w.put(encodeHeader(header));
  def.coder.write(w, m);
  if (tail) w.put(tail);
  return { header, bytes: w.bytes };
}

/** Encodes a message (plus optional trailing TLVs) as a frame; the channel bit comes from the table. */
export function encodeMessage(m: Sv2Message, tlvs?: readonly Tlv[]): Frame {
  const { header, bytes } = frameBytes(m, tlvs);
  return { header, payload: bytes.subarray(HEADER_SIZE) };
}

/** Encodes a message straight to plaintext frame bytes (header ‖ payload). */
export function messageToFrameBytes(m: Sv2Message, tlvs?: readonly Tlv[]): Uint8Array {
  return frameBytes(m, tlvs).bytes;
}
