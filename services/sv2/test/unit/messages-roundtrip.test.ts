/**
 * Round-trip properties for every registered message (SRI keeps a fuzz target per
 * message; this is the property-test equivalent), plus the §8 constants table checked
 * against an independent transcription of SV2-NOTES.md.
 */
import test from "ava";
import fc from "fast-check";
import { Sv2CodecError } from "../../src/errors.ts";
import { decodeHeader, FrameDecoder, HEADER_SIZE } from "../../src/framing.ts";
import { workerIdentityTlv } from "../../src/messages/extensions.ts";
import {
  decodeMessage,
  decodeMessageWithTlvs,
  encodeMessage,
  MESSAGE_TABLE,
  messageToFrameBytes,
  type Sv2Message,
} from "../../src/messages/index.ts";
import { anyMessage, messageArbitrary } from "../support/codec-fuzz.ts";

// [type, extension_type, msg_type, channel_msg] as listed in SV2-NOTES.md / sv2-spec §8.
const EXPECTED_TABLE: [string, number, number, boolean][] = [
  ["SetupConnection", 0, 0x00, false],
  ["SetupConnection.Success", 0, 0x01, false],
  ["SetupConnection.Error", 0, 0x02, false],
  ["ChannelEndpointChanged", 0, 0x03, true],
  ["Reconnect", 0, 0x04, false],
  ["OpenStandardMiningChannel", 0, 0x10, false],
  ["OpenStandardMiningChannel.Success", 0, 0x11, false],
  ["OpenMiningChannel.Error", 0, 0x12, false],
  ["OpenExtendedMiningChannel", 0, 0x13, false],
  ["OpenExtendedMiningChannel.Success", 0, 0x14, false],
  ["NewMiningJob", 0, 0x15, true],
  ["UpdateChannel", 0, 0x16, true],
  ["UpdateChannel.Error", 0, 0x17, true],
  ["CloseChannel", 0, 0x18, true],
  ["SetExtranoncePrefix", 0, 0x19, true],
  ["SubmitSharesStandard", 0, 0x1a, true],
  ["SubmitSharesExtended", 0, 0x1b, true],
  ["SubmitShares.Success", 0, 0x1c, true],
  ["SubmitShares.Error", 0, 0x1d, true],
  ["NewExtendedMiningJob", 0, 0x1f, true],
  ["SetNewPrevHash", 0, 0x20, true],
  ["SetTarget", 0, 0x21, true],
  ["SetCustomMiningJob", 0, 0x22, true],
  ["SetCustomMiningJob.Success", 0, 0x23, true],
  ["SetCustomMiningJob.Error", 0, 0x24, true],
  ["SetGroupChannel", 0, 0x25, false],
  ["CoinbaseOutputConstraints", 0, 0x70, false],
  ["NewTemplate", 0, 0x71, false],
  ["SetNewPrevHashTdp", 0, 0x72, false],
  ["RequestTransactionData", 0, 0x73, false],
  ["RequestTransactionData.Success", 0, 0x74, false],
  ["RequestTransactionData.Error", 0, 0x75, false],
  ["SubmitSolution", 0, 0x76, false],
  ["RequestExtensions", 1, 0x00, false],
  ["RequestExtensions.Success", 1, 0x01, false],
  ["RequestExtensions.Error", 1, 0x02, false],
];

test("§8 message types and channel_msg bits match the spec table", (t) => {
  const actual = MESSAGE_TABLE.map((r) => [r.type, r.extensionType, r.msgType, r.channelMsg]);
  t.deepEqual(
    [...actual].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [...EXPECTED_TABLE].sort((a, b) => a[0].localeCompare(b[0])),
  );
});

for (const row of MESSAGE_TABLE) {
  test(`§${row.section} ${row.type}: decode(encode(m)) deep-equals m`, (t) => {
    fc.assert(
      fc.property(messageArbitrary(row.type), (m) => {
        const frame = encodeMessage(m);
        t.is(frame.header.msgType, row.msgType);
        t.is(frame.header.channelMsg, row.channelMsg);
        t.is(frame.payload.length, frame.header.msgLength);
        t.deepEqual(decodeMessage(frame, { strictChannelBit: true }), m);
      }),
      { numRuns: 200 },
    );
  });
}

test("§3.2 any message survives frame bytes → FrameDecoder (1-byte chunks) → decodeMessage", (t) => {
  fc.assert(
    fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 6 }), (messages) => {
      const bytes = messages.map((m) => messageToFrameBytes(m));
      const decoder = new FrameDecoder();
      const frames = [];
      for (const b of bytes)
        for (let i = 0; i < b.length; i++) frames.push(...decoder.push(b.subarray(i, i + 1)));
      t.deepEqual(
        frames.map((f) => decodeMessage(f)),
        messages,
      );
    }),
    { numRuns: 100 },
  );
});

test("§3.2.1 channel messages start with channel_id U32 inside msg_length", (t) => {
  fc.assert(
    fc.property(anyMessage, (m) => {
      const bytes = messageToFrameBytes(m);
      const header = decodeHeader(bytes);
      if (!header.channelMsg) return;
      const channelId = new DataView(bytes.buffer).getUint32(HEADER_SIZE, true);
      t.is(channelId, (m as Sv2Message & { channelId: number }).channelId);
    }),
  );
});

test("§3.2.1 channel_msg mismatch: accepted by default like SRI, rejected when strict", (t) => {
  const m: Sv2Message = { type: "SetTarget", channelId: 7, maximumTarget: new Uint8Array(32).fill(0xff) };
  const frame = encodeMessage(m);
  const flipped = { ...frame, header: { ...frame.header, channelMsg: false } };
  t.deepEqual(decodeMessage(flipped), m);
  const err = t.throws(() => decodeMessage(flipped, { strictChannelBit: true }), {
    instanceOf: Sv2CodecError,
  });
  t.is(err?.code, "channel-bit-mismatch");
});

test("§3.4.3 TLV fields after SubmitSharesExtended round-trip; strict decode rejects them", (t) => {
  const m: Sv2Message = {
    type: "SubmitSharesExtended",
    channelId: 1,
    sequenceNumber: 2,
    jobId: 3,
    nonce: 4,
    ntime: 5,
    version: 6,
    extranonce: new Uint8Array([1, 2, 3]),
  };
  const tlv = workerIdentityTlv("Worker_001");
  const frame = encodeMessage(m, [tlv]);
  t.deepEqual(decodeMessageWithTlvs(frame, [2]), { message: m, tlvs: [tlv] });
  t.deepEqual(decodeMessageWithTlvs(frame, [1]), { message: m, tlvs: [] });
  const err = t.throws(() => decodeMessage(frame), { instanceOf: Sv2CodecError });
  t.is(err?.code, "trailing-bytes");
  t.throws(() => workerIdentityTlv("x".repeat(33)), { instanceOf: Sv2CodecError });
});

test("§3.4 unknown (extension_type, msg_type) is reported as unknown-message", (t) => {
  const err = t.throws(
    () =>
      decodeMessage({
        header: { extensionType: 0x4001, channelMsg: false, msgType: 0, msgLength: 0 },
        payload: new Uint8Array(),
      }),
    { instanceOf: Sv2CodecError },
  );
  t.is(err?.code, "unknown-message");
});

test("§3.1 encoding rejects out-of-range values with invalid-value, never a RangeError", (t) => {
  const bad = [
    { type: "SetupConnection.Success", usedVersion: 70000, flags: 0 },
    { type: "SetupConnection.Success", usedVersion: 2, flags: -1 },
    { type: "RequestTransactionData", templateId: 1 },
    { type: "SetTarget", channelId: 1, maximumTarget: new Uint8Array(31) },
    { type: "NewMiningJob", channelId: 1, jobId: 1, version: 1, merkleRoot: new Uint8Array(32) },
  ];
  for (const m of bad) {
    const err = t.throws(() => encodeMessage(m as unknown as Sv2Message), { instanceOf: Sv2CodecError });
    t.is(err?.code, "invalid-value");
  }
});
