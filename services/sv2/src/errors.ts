/**
 * The single error type the SV2 codec throws on bad input.
 *
 * Callers at the connection boundary turn it into "close the connection" (a peer
 * that sends malformed bytes cannot be resynchronised), so the codes below are
 * stable strings meant for logs and tests, not for the peer.
 */

/**
 * Why a codec operation failed.
 * - `short-buffer`: the input ended before a field was complete.
 * - `trailing-bytes`: a message decoded but bytes of its payload were left over.
 * - `length-out-of-range`: a length prefix or sequence count exceeds the type's bound.
 * - `frame-too-large`: a frame header declares more payload than the receiver accepts.
 * - `unknown-message`: no message is registered for (extension_type, msg_type).
 * - `invalid-value`: a value cannot be represented (out-of-range integer, bad UTF-8, …).
 * - `channel-bit-mismatch`: strict decoding only; the header's channel_msg bit disagrees
 *   with the message table.
 */
export type Sv2CodecErrorCode =
  | "short-buffer"
  | "trailing-bytes"
  | "length-out-of-range"
  | "frame-too-large"
  | "unknown-message"
  | "invalid-value"
  | "channel-bit-mismatch";

/** Error thrown by every encoder/decoder of this package; `code` says which rule was broken. */
export class Sv2CodecError extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: Sv2CodecErrorCode;

  /**
   * @param code - the rule that was broken
   * @param message - human-readable detail (field name, offsets)
   */
  constructor(code: Sv2CodecErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "Sv2CodecError";
    this.code = code;
  }
}
