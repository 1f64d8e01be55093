/**
 * Template Distribution Protocol messages (sv2-spec 07-Template-Distribution-Protocol).
 * None of them is a channel message (§3.2.1), so channel_msg is always clear.
 */
import {
  B0_16M,
  B0_64K,
  B0_255,
  BOOL,
  type CoderType,
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

/**
 * §7.1 CoinbaseOutputConstraints (Client -> Server), formerly CoinbaseOutputDataSize.
 * Decoding is strict: the pre-2025 4-byte form (no sigops) is rejected as `short-buffer`,
 * as SRI does, rather than defaulting sigops to 400 like sv2-tp.
 */
export const CoinbaseOutputConstraints = struct([
  ["coinbaseOutputMaxAdditionalSize", U32],
  ["coinbaseOutputMaxAdditionalSigops", U16],
]);
/** Fields of CoinbaseOutputConstraints. */
export type CoinbaseOutputConstraints = CoderType<typeof CoinbaseOutputConstraints>;

/**
 * §7.2 NewTemplate (Server -> Client). `coinbaseTxOutputs` is the concatenation of
 * serialized outputs with NO CompactSize count (the count is `coinbaseTxOutputsCount`);
 * `coinbaseTxValueRemaining` is subsidy + fees in satoshi.
 */
export const NewTemplate = struct([
  ["templateId", U64],
  ["futureTemplate", BOOL],
  ["version", U32],
  ["coinbaseTxVersion", U32],
  ["coinbasePrefix", B0_255],
  ["coinbaseTxInputSequence", U32],
  ["coinbaseTxValueRemaining", U64],
  ["coinbaseTxOutputsCount", U32],
  ["coinbaseTxOutputs", B0_64K],
  ["coinbaseTxLocktime", U32],
  ["merklePath", SEQ0_255(U256)],
]);
/** Fields of NewTemplate. */
export type NewTemplate = CoderType<typeof NewTemplate>;

/**
 * §7.3 SetNewPrevHash (TDP, 0x72): keyed by U64 template id and carrying the target,
 * unlike the mining message 0x20 (channel/job ids, no target).
 */
export const SetNewPrevHashTdp = struct([
  ["templateId", U64],
  ["prevHash", U256],
  ["headerTimestamp", U32],
  ["nBits", U32],
  ["target", U256],
]);
/** Fields of SetNewPrevHash (TDP). */
export type SetNewPrevHashTdp = CoderType<typeof SetNewPrevHashTdp>;

/** §7.4 RequestTransactionData (Client -> Server). */
export const RequestTransactionData = struct([["templateId", U64]]);
/** Fields of RequestTransactionData. */
export type RequestTransactionData = CoderType<typeof RequestTransactionData>;

/** §7.5 RequestTransactionData.Success (Server -> Client); transactions with witness data. */
export const RequestTransactionDataSuccess = struct([
  ["templateId", U64],
  ["excessData", B0_64K],
  ["transactionList", SEQ0_64K(B0_16M)],
]);
/** Fields of RequestTransactionData.Success. */
export type RequestTransactionDataSuccess = CoderType<typeof RequestTransactionDataSuccess>;

/** §7.6 RequestTransactionData.Error (Server -> Client). */
export const RequestTransactionDataError = struct([
  ["templateId", U64],
  ["errorCode", STR0_255],
]);
/** Fields of RequestTransactionData.Error. */
export type RequestTransactionDataError = CoderType<typeof RequestTransactionDataError>;

/** §7.7 SubmitSolution (Client -> Server); `coinbaseTx` is the full coinbase with witness. */
export const SubmitSolution = struct([
  ["templateId", U64],
  ["version", U32],
  ["headerTimestamp", U32],
  ["headerNonce", U32],
  ["coinbaseTx", B0_64K],
]);
/** Fields of SubmitSolution. */
export type SubmitSolution = CoderType<typeof SubmitSolution>;

const def = <C>(msgType: number, section: string, coder: C) =>
  ({ extensionType: 0, msgType, channelMsg: false, section, coder }) as const;

/** Registry entries of the template distribution protocol (§8 table, extension_type 0). */
export const TEMPLATE_DISTRIBUTION_MESSAGES = {
  CoinbaseOutputConstraints: def(0x70, "7.1", CoinbaseOutputConstraints),
  NewTemplate: def(0x71, "7.2", NewTemplate),
  SetNewPrevHashTdp: def(0x72, "7.3", SetNewPrevHashTdp),
  RequestTransactionData: def(0x73, "7.4", RequestTransactionData),
  "RequestTransactionData.Success": def(0x74, "7.5", RequestTransactionDataSuccess),
  "RequestTransactionData.Error": def(0x75, "7.6", RequestTransactionDataError),
  SubmitSolution: def(0x76, "7.7", SubmitSolution),
} as const satisfies Record<string, MessageDef>;
