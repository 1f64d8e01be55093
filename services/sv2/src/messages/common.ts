/**
 * Common protocol messages (sv2-spec 03-Protocol-Overview §3.6), shared by every
 * subprotocol: connection setup and the server-initiated endpoint changes.
 */
import { type CoderType, STR0_255, struct, U8, U16, U32 } from "../binary.ts";
import type { MessageDef } from "./index.ts";

/** `SetupConnection.protocol` values (§3.6.1). */
export const PROTOCOL = { MINING: 0, JOB_DECLARATION: 1, TEMPLATE_DISTRIBUTION: 2 } as const;

/** Mining-protocol `SetupConnection.flags` bits (§5.3.1); real peers send 0b1, 0b100 or 0b110. */
export const MINING_SETUP_FLAGS = {
  REQUIRES_STANDARD_JOBS: 1 << 0,
  REQUIRES_WORK_SELECTION: 1 << 1,
  REQUIRES_VERSION_ROLLING: 1 << 2,
} as const;

/** Mining-protocol `SetupConnection.Success.flags` bits (§5.3.1). */
export const MINING_SETUP_SUCCESS_FLAGS = {
  REQUIRES_FIXED_VERSION: 1 << 0,
  REQUIRES_EXTENDED_CHANNELS: 1 << 1,
} as const;

/** §3.6.1 SetupConnection (Client -> Server): first message of every connection. */
export const SetupConnection = struct([
  ["protocol", U8],
  ["minVersion", U16],
  ["maxVersion", U16],
  ["flags", U32],
  ["endpointHost", STR0_255],
  ["endpointPort", U16],
  ["vendor", STR0_255],
  ["hardwareVersion", STR0_255],
  ["firmware", STR0_255],
  ["deviceId", STR0_255],
]);
/** Fields of SetupConnection. */
export type SetupConnection = CoderType<typeof SetupConnection>;

/** §3.6.2 SetupConnection.Success (Server -> Client). */
export const SetupConnectionSuccess = struct([
  ["usedVersion", U16],
  ["flags", U32],
]);
/** Fields of SetupConnection.Success. */
export type SetupConnectionSuccess = CoderType<typeof SetupConnectionSuccess>;

/** §3.6.3 SetupConnection.Error (Server -> Client); `flags` names the unsupported ones. */
export const SetupConnectionError = struct([
  ["flags", U32],
  ["errorCode", STR0_255],
]);
/** Fields of SetupConnection.Error. */
export type SetupConnectionError = CoderType<typeof SetupConnectionError>;

/** §3.6.4 ChannelEndpointChanged (Server -> Client); a channel message. */
export const ChannelEndpointChanged = struct([["channelId", U32]]);
/** Fields of ChannelEndpointChanged. */
export type ChannelEndpointChanged = CoderType<typeof ChannelEndpointChanged>;

/** §3.6.5 Reconnect (Server -> Client); empty host means "same host". */
export const Reconnect = struct([
  ["newHost", STR0_255],
  ["newPort", U16],
]);
/** Fields of Reconnect. */
export type Reconnect = CoderType<typeof Reconnect>;

const def = <C>(msgType: number, channelMsg: boolean, section: string, coder: C) =>
  ({ extensionType: 0, msgType, channelMsg, section, coder }) as const;

/** Registry entries of the common messages (§8 table, extension_type 0). */
export const COMMON_MESSAGES = {
  SetupConnection: def(0x00, false, "3.6.1", SetupConnection),
  "SetupConnection.Success": def(0x01, false, "3.6.2", SetupConnectionSuccess),
  "SetupConnection.Error": def(0x02, false, "3.6.3", SetupConnectionError),
  ChannelEndpointChanged: def(0x03, true, "3.6.4", ChannelEndpointChanged),
  Reconnect: def(0x04, false, "3.6.5", Reconnect),
} as const satisfies Record<string, MessageDef>;
