/** Identifiers every service exchanges: block hashes, node ids, pubkeys, recipient ids. */
import { z } from "zod";

/**
 * A block hash: 32 bytes in hex. Upper-case is accepted on input and normalised, so the
 * canonical form (what Core stores, serves and keys windows by) is lower-case.
 */
export const blockHash = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "a 32-byte block hash in hex")
  .toLowerCase(); // an overwrite, not a transform: the JSON Schema (OpenAPI) stays a string

/** Node ids as Core issues them: `hn_` + 16 lower-case base32 characters (80 random bits). */
export const NODE_ID_PATTERN = /^hn_[a-z2-7]{16}$/;
/**
 * A HyperNode id, the one rule for Core's API, Core's outbox consumer and the pool's user
 * identities (`<node id>/<destination>`): only ids Core can have issued, never "".
 */
export const nodeId = z.string().regex(NODE_ID_PATTERN, "a node id (hn_ + 16 base32 characters)");

/** A compressed secp256k1 public key (a Lightning node id), canonical in lower-case hex. */
export const LIGHTNING_PUBKEY_PATTERN = /^0[23][0-9a-f]{64}$/;
/** A Lightning node pubkey: any case accepted, lower-case out. */
export const lightningPubkey = z
  .string()
  .toLowerCase()
  .regex(LIGHTNING_PUBKEY_PATTERN, "a compressed secp256k1 public key in hex");

/** A recipient of a payout list: `miner:<destination>`, `node:<node id>` or `treasury`. */
export const recipientId = z
  .string()
  .max(300)
  .regex(
    /^(miner:[\x21-\x7e]{1,200}|node:hn_[a-z2-7]{16}|treasury)$/,
    "miner:<destination>, node:<node id> or treasury",
  );

/** 32 bytes in lower-case hex (payment hashes, preimages, digests). */
export const hash32 = z.string().regex(/^[0-9a-f]{64}$/, "32 bytes in lowercase hex");
