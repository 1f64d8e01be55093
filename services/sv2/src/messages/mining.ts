/**
 * Mining protocol messages (sv2-spec 05-Mining-Protocol §5.3), field names as in the
 * spec in camelCase. msg_type and channel_msg values follow the §8 table.
 */
import {
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  type CoderType,
  F32,
  OPTION,
  SEQ0_64K,
  SEQ0_255,
  STR0_255,
  struct,
  U16,
  U32,
  U64,
  U256,
} from "../binary.ts";
import type { MessageDef } from "./index.ts";

/** §5.3.2 OpenStandardMiningChannel (Client -> Server); `nominalHashRate` is F32 h/s. */
export const OpenStandardMiningChannel = struct([
  ["requestId", U32],
  ["userIdentity", STR0_255],
  ["nominalHashRate", F32],
  ["maxTarget", U256],
]);
/** Fields of OpenStandardMiningChannel. */
export type OpenStandardMiningChannel = CoderType<typeof OpenStandardMiningChannel>;

/** §5.3.3 OpenStandardMiningChannel.Success (Server -> Client). */
export const OpenStandardMiningChannelSuccess = struct([
  ["requestId", U32],
  ["channelId", U32],
  ["target", U256],
  ["extranoncePrefix", B0_32],
  ["groupChannelId", U32],
]);
/** Fields of OpenStandardMiningChannel.Success. */
export type OpenStandardMiningChannelSuccess = CoderType<typeof OpenStandardMiningChannelSuccess>;

/** §5.3.4 OpenExtendedMiningChannel (Client -> Server). */
export const OpenExtendedMiningChannel = struct([
  ["requestId", U32],
  ["userIdentity", STR0_255],
  ["nominalHashRate", F32],
  ["maxTarget", U256],
  ["minExtranonceSize", U16],
]);
/** Fields of OpenExtendedMiningChannel. */
export type OpenExtendedMiningChannel = CoderType<typeof OpenExtendedMiningChannel>;

/** §5.3.5 OpenExtendedMiningChannel.Success (Server -> Client). */
export const OpenExtendedMiningChannelSuccess = struct([
  ["requestId", U32],
  ["channelId", U32],
  ["target", U256],
  ["extranonceSize", U16],
  ["extranoncePrefix", B0_32],
  ["groupChannelId", U32],
]);
/** Fields of OpenExtendedMiningChannel.Success. */
export type OpenExtendedMiningChannelSuccess = CoderType<typeof OpenExtendedMiningChannelSuccess>;

/** §5.3.6 OpenMiningChannel.Error (Server -> Client), for both channel kinds. */
export const OpenMiningChannelError = struct([
  ["requestId", U32],
  ["errorCode", STR0_255],
]);
/** Fields of OpenMiningChannel.Error. */
export type OpenMiningChannelError = CoderType<typeof OpenMiningChannelError>;

/** §5.3.7 UpdateChannel (Client -> Server). */
export const UpdateChannel = struct([
  ["channelId", U32],
  ["nominalHashRate", F32],
  ["maximumTarget", U256],
]);
/** Fields of UpdateChannel. */
export type UpdateChannel = CoderType<typeof UpdateChannel>;

/** §5.3.8 UpdateChannel.Error (Server -> Client). */
export const UpdateChannelError = struct([
  ["channelId", U32],
  ["errorCode", STR0_255],
]);
/** Fields of UpdateChannel.Error. */
export type UpdateChannelError = CoderType<typeof UpdateChannelError>;

/** §5.3.9 CloseChannel (both directions). */
export const CloseChannel = struct([
  ["channelId", U32],
  ["reasonCode", STR0_255],
]);
/** Fields of CloseChannel. */
export type CloseChannel = CoderType<typeof CloseChannel>;

/** §5.3.10 SetExtranoncePrefix (Server -> Client). */
export const SetExtranoncePrefix = struct([
  ["channelId", U32],
  ["extranoncePrefix", B0_32],
]);
/** Fields of SetExtranoncePrefix. */
export type SetExtranoncePrefix = CoderType<typeof SetExtranoncePrefix>;

/** §5.3.11 SubmitSharesStandard (Client -> Server). */
export const SubmitSharesStandard = struct([
  ["channelId", U32],
  ["sequenceNumber", U32],
  ["jobId", U32],
  ["nonce", U32],
  ["ntime", U32],
  ["version", U32],
]);
/** Fields of SubmitSharesStandard. */
export type SubmitSharesStandard = CoderType<typeof SubmitSharesStandard>;

/** §5.3.12 SubmitSharesExtended (Client -> Server); TLVs (e.g. extension 0x0002) may follow. */
export const SubmitSharesExtended = struct([
  ["channelId", U32],
  ["sequenceNumber", U32],
  ["jobId", U32],
  ["nonce", U32],
  ["ntime", U32],
  ["version", U32],
  ["extranonce", B0_32],
]);
/** Fields of SubmitSharesExtended. */
export type SubmitSharesExtended = CoderType<typeof SubmitSharesExtended>;

/** §5.3.13 SubmitShares.Success (Server -> Client); `newSharesSum` is U64 (bigint). */
export const SubmitSharesSuccess = struct([
  ["channelId", U32],
  ["lastSequenceNumber", U32],
  ["newSubmitsAcceptedCount", U32],
  ["newSharesSum", U64],
]);
/** Fields of SubmitShares.Success. */
export type SubmitSharesSuccess = CoderType<typeof SubmitSharesSuccess>;

/** §5.3.14 SubmitShares.Error (Server -> Client). */
export const SubmitSharesError = struct([
  ["channelId", U32],
  ["sequenceNumber", U32],
  ["errorCode", STR0_255],
]);
/** Fields of SubmitShares.Error. */
export type SubmitSharesError = CoderType<typeof SubmitSharesError>;

/** §5.3.15 NewMiningJob (Server -> Client); `minNtime` null marks a future job. */
export const NewMiningJob = struct([
  ["channelId", U32],
  ["jobId", U32],
  ["minNtime", OPTION(U32)],
  ["version", U32],
  ["merkleRoot", U256],
]);
/** Fields of NewMiningJob. */
export type NewMiningJob = CoderType<typeof NewMiningJob>;

/** §5.3.16 NewExtendedMiningJob (Server -> Client). */
export const NewExtendedMiningJob = struct([
  ["channelId", U32],
  ["jobId", U32],
  ["minNtime", OPTION(U32)],
  ["version", U32],
  ["versionRollingAllowed", BOOL],
  ["merklePath", SEQ0_255(U256)],
  ["coinbaseTxPrefix", B0_64K],
  ["coinbaseTxSuffix", B0_64K],
]);
/** Fields of NewExtendedMiningJob. */
export type NewExtendedMiningJob = CoderType<typeof NewExtendedMiningJob>;

/** §5.3.17 SetNewPrevHash (Mining, 0x20); differs from the TDP message of the same name. */
export const SetNewPrevHash = struct([
  ["channelId", U32],
  ["jobId", U32],
  ["prevHash", U256],
  ["minNtime", U32],
  ["nbits", U32],
]);
/** Fields of SetNewPrevHash (Mining). */
export type SetNewPrevHash = CoderType<typeof SetNewPrevHash>;

/** §5.3.18 SetCustomMiningJob (Client -> Server). */
export const SetCustomMiningJob = struct([
  ["channelId", U32],
  ["requestId", U32],
  ["miningJobToken", B0_255],
  ["version", U32],
  ["prevHash", U256],
  ["minNtime", U32],
  ["nbits", U32],
  ["coinbaseTxVersion", U32],
  ["coinbasePrefix", B0_255],
  ["coinbaseTxInputNSequence", U32],
  ["coinbaseTxOutputs", B0_64K],
  ["coinbaseTxLocktime", U32],
  ["merklePath", SEQ0_255(U256)],
]);
/** Fields of SetCustomMiningJob. */
export type SetCustomMiningJob = CoderType<typeof SetCustomMiningJob>;

/** §5.3.19 SetCustomMiningJob.Success (Server -> Client). */
export const SetCustomMiningJobSuccess = struct([
  ["channelId", U32],
  ["requestId", U32],
  ["jobId", U32],
]);
/** Fields of SetCustomMiningJob.Success. */
export type SetCustomMiningJobSuccess = CoderType<typeof SetCustomMiningJobSuccess>;

/** §5.3.20 SetCustomMiningJob.Error (Server -> Client). */
export const SetCustomMiningJobError = struct([
  ["channelId", U32],
  ["requestId", U32],
  ["errorCode", STR0_255],
]);
/** Fields of SetCustomMiningJob.Error. */
export type SetCustomMiningJobError = CoderType<typeof SetCustomMiningJobError>;

/** §5.3.21 SetTarget (Server -> Client). */
export const SetTarget = struct([
  ["channelId", U32],
  ["maximumTarget", U256],
]);
/** Fields of SetTarget. */
export type SetTarget = CoderType<typeof SetTarget>;

/** §5.3.22 SetGroupChannel (Server -> Client); not a channel message despite its channel ids. */
export const SetGroupChannel = struct([
  ["groupChannelId", U32],
  ["channelIds", SEQ0_64K(U32)],
]);
/** Fields of SetGroupChannel. */
export type SetGroupChannel = CoderType<typeof SetGroupChannel>;

const def = <C>(msgType: number, channelMsg: boolean, section: string, coder: C) =>
  ({ extensionType: 0, msgType, channelMsg, section, coder }) as const;

/** Registry entries of the mining protocol (§8 table, extension_type 0; 0x1e is reserved). */
export const MINING_MESSAGES = {
  OpenStandardMiningChannel: def(0x10, false, "5.3.2", OpenStandardMiningChannel),
  "OpenStandardMiningChannel.Success": def(0x11, false, "5.3.3", OpenStandardMiningChannelSuccess),
  "OpenMiningChannel.Error": def(0x12, false, "5.3.6", OpenMiningChannelError),
  OpenExtendedMiningChannel: def(0x13, false, "5.3.4", OpenExtendedMiningChannel),
  "OpenExtendedMiningChannel.Success": def(0x14, false, "5.3.5", OpenExtendedMiningChannelSuccess),
  NewMiningJob: def(0x15, true, "5.3.15", NewMiningJob),
  UpdateChannel: def(0x16, true, "5.3.7", UpdateChannel),
  "UpdateChannel.Error": def(0x17, true, "5.3.8", UpdateChannelError),
  CloseChannel: def(0x18, true, "5.3.9", CloseChannel),
  SetExtranoncePrefix: def(0x19, true, "5.3.10", SetExtranoncePrefix),
  SubmitSharesStandard: def(0x1a, true, "5.3.11", SubmitSharesStandard),
  SubmitSharesExtended: def(0x1b, true, "5.3.12", SubmitSharesExtended),
  "SubmitShares.Success": def(0x1c, true, "5.3.13", SubmitSharesSuccess),
  "SubmitShares.Error": def(0x1d, true, "5.3.14", SubmitSharesError),
  NewExtendedMiningJob: def(0x1f, true, "5.3.16", NewExtendedMiningJob),
  SetNewPrevHash: def(0x20, true, "5.3.17", SetNewPrevHash),
  SetTarget: def(0x21, true, "5.3.21", SetTarget),
  SetCustomMiningJob: def(0x22, true, "5.3.18", SetCustomMiningJob),
  "SetCustomMiningJob.Success": def(0x23, true, "5.3.19", SetCustomMiningJobSuccess),
  "SetCustomMiningJob.Error": def(0x24, true, "5.3.20", SetCustomMiningJobError),
  SetGroupChannel: def(0x25, false, "5.3.22", SetGroupChannel),
} as const satisfies Record<string, MessageDef>;
