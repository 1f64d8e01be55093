/**
 * Noise layer of SV2 (sv2-spec §4): EllSwift keys, authority key text forms, certificates,
 * the NX handshake and the encrypted frame transport. No I/O here; see `../connection.ts`.
 */
export {
  AUTHORITY_KEY_VERSION,
  encodeAuthorityPublicKey,
  encodeAuthoritySecretKey,
  parseAuthorityPublicKey,
  parseAuthoritySecretKey,
} from "./authority-key.ts";
export {
  CERTIFICATE_VERSION,
  certificateDigest,
  DEFAULT_CERTIFICATE_LEEWAY_SECONDS,
  decodeSignatureNoiseMessage,
  encodeSignatureNoiseMessage,
  type IssueCertificateOptions,
  issueCertificate,
  SIGNATURE_NOISE_MESSAGE_SIZE,
  type SignatureNoiseMessage,
  type VerifyCertificateOptions,
  verifyCertificate,
} from "./certificate.ts";
export {
  assertSecretKey,
  assertXOnlyPublicKey,
  ELLSWIFT_SIZE,
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhXOnly,
  ellswiftEncode,
  generateSecretKey,
  KEY_SIZE,
  type RandomSource,
  reference as referenceSecp256k1,
  v2Ecdh,
  xOnlyPublicKey,
  xswiftecInverse,
} from "./ellswift.ts";
export { isNoiseError, NoiseError, type NoiseErrorCode } from "./errors.ts";
export {
  ACT1_SIZE,
  ACT2_SIZE,
  type Clock,
  createInitiator,
  createResponder,
  type HandshakeResult,
  type InitiatorOptions,
  initialHandshakeState,
  type NoiseInitiator,
  type NoiseResponder,
  PROTOCOL_NAME,
  type ResponderCredentials,
  type ResponderOptions,
} from "./handshake.ts";
export { type NoiseBackend, noiseBackend } from "./native.ts";
export {
  type CipherState,
  createCipherState,
  ENCRYPTED_HEADER_SIZE,
  encryptedFrameLength,
  encryptedPayloadLength,
  encryptFrame,
  MAC_SIZE,
  MAX_CIPHERTEXT_CHUNK,
  MAX_PLAINTEXT_CHUNK,
  NoiseFrameDecoder,
  type NoiseFrameDecoderOptions,
} from "./transport.ts";
