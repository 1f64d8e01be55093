/**
 * Typed failures of the Noise layer. Every function of `noise/` that is handed bytes from a
 * peer or a configuration string reports bad input only through {@link NoiseError}, so a
 * connection loop can match on `code` instead of parsing messages.
 */

/** Why the Noise layer refused an input or ended a session. */
export type NoiseErrorCode =
  /** A caller passed a value of the wrong shape (programming error, not peer input). */
  | "INVALID_ARGUMENT"
  /** A secret key is zero or not below the secp256k1 group order. */
  | "INVALID_SECRET_KEY"
  /** A 32-byte x-only public key is not the x coordinate of a curve point. */
  | "INVALID_PUBLIC_KEY"
  /** Base58 text has characters outside the alphabet. */
  | "KEY_ENCODING"
  /** Base58check checksum does not match. */
  | "KEY_CHECKSUM"
  /** Authority public key carries a version other than 1 (`[0x01, 0x00]`). */
  | "KEY_VERSION"
  /** Decoded key payload has the wrong number of bytes. */
  | "KEY_LENGTH"
  /** A handshake message has the wrong size. */
  | "HANDSHAKE_LENGTH"
  /** A handshake step was called out of order or after a failure. */
  | "HANDSHAKE_STATE"
  /** The handshake did not finish within the allowed time. */
  | "HANDSHAKE_TIMEOUT"
  /** AEAD authentication failed: tampered, truncated or out-of-order ciphertext. */
  | "DECRYPT_FAILED"
  /** The 64-bit nonce space of a cipher state is used up. */
  | "NONCE_EXHAUSTED"
  /** Certificate (SIGNATURE_NOISE_MESSAGE) is malformed. */
  | "CERT_MALFORMED"
  /** Certificate's `not_valid_after` (plus leeway) lies in the past. */
  | "CERT_EXPIRED"
  /** Certificate's `valid_from` (minus leeway) lies in the future. */
  | "CERT_NOT_YET_VALID"
  /** Certificate signature does not verify under the configured authority key. */
  | "CERT_BAD_SIGNATURE"
  /** A frame's payload exceeds the negotiated maximum or the U24 limit. */
  | "FRAME_TOO_LARGE"
  /** A frame's header `msg_length` disagrees with its payload. */
  | "FRAME_LENGTH_MISMATCH"
  /** The transport decoder was used after it had failed. */
  | "DECODER_FAILED"
  /** The peer closed the connection (mid-frame or mid-handshake). */
  | "CONNECTION_CLOSED"
  /** The socket reported an error. */
  | "SOCKET_ERROR";

/** Error raised by the Noise layer; `code` says which rule was broken. */
export class NoiseError extends Error {
  /** Machine-readable reason. */
  readonly code: NoiseErrorCode;

  /**
   * @param code - machine-readable reason
   * @param message - human-readable detail (never contains key material)
   * @param options - optional underlying cause
   */
  constructor(code: NoiseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NoiseError";
    this.code = code;
  }
}

/** True when `value` is a {@link NoiseError}, optionally with the given code. */
export function isNoiseError(value: unknown, code?: NoiseErrorCode): value is NoiseError {
  return value instanceof NoiseError && (code === undefined || value.code === code);
}
