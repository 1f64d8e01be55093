/**
 * The node registry: node ids, credentials (random 32 bytes, shown once, stored as their
 * SHA-256), telemetry. The pool verifies a translator's credential through Core.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { accepted, type Outcome, refused } from "./outcome.ts";
import type { CoreRepository, NodeRecord, NodeVisibility } from "./store/repository.ts";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lowercase, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Node ids: `hn_` + 16 base32 characters (80 random bits). */
export const NODE_ID_PATTERN = /^hn_[a-z2-7]{16}$/;
/** Credentials: `hnc_` + base64url of 32 random bytes. */
export const CREDENTIAL_PATTERN = /^hnc_[A-Za-z0-9_-]{43}$/;

export const newNodeId = (): string => `hn_${base32(randomBytes(10))}`;
export const newCredential = (): string => `hnc_${randomBytes(32).toString("base64url")}`;

/** The stored form of a credential (or any bearer token): lowercase hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two secrets through their hashes. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashSecret(a), "hex"), Buffer.from(hashSecret(b), "hex"));
}

/** What registration asks for. */
export interface NodeRegistration {
  name: string;
  visibility: NodeVisibility;
  lightningPubkey?: string | undefined;
}

/** Registers a node; the credential is returned here and never again. Same name → 409. */
export function registerNode(
  repo: CoreRepository,
  input: NodeRegistration,
  now: () => Date,
): Outcome<{ nodeId: string; credential: string }> {
  return repo.transaction(() => {
    const existing = repo.findNodeByName(input.name);
    if (existing)
      return refused(409, "node-exists", "a node with this name is registered", { nodeId: existing.nodeId });
    const nodeId = newNodeId();
    const credential = newCredential();
    repo.insertNode({
      nodeId,
      name: input.name,
      visibility: input.visibility,
      lightningPubkey: input.lightningPubkey ?? null,
      credentialHash: hashSecret(credential),
      createdAt: now().toISOString(),
    });
    return accepted({ nodeId, credential }, 201);
  });
}

/** Issues a new credential; the old one stops working at once. */
export function rotateCredential(
  repo: CoreRepository,
  nodeId: string,
): Outcome<{ nodeId: string; credential: string }> {
  return repo.transaction(() => {
    if (!repo.findNodeById(nodeId)) return refused(404, "unknown-node", "no node with this id");
    const credential = newCredential();
    repo.setCredentialHash(nodeId, hashSecret(credential));
    return accepted({ nodeId, credential });
  });
}

/** The node a credential belongs to, if any (lookup by hash: the secret itself is not stored). */
export function nodeForCredential(repo: CoreRepository, credential: string): NodeRecord | undefined {
  if (!CREDENTIAL_PATTERN.test(credential)) return undefined;
  return repo.findNodeByCredentialHash(hashSecret(credential));
}

/** True when `credential` is the current credential of `nodeId`. */
export function verifyCredential(repo: CoreRepository, nodeId: string, credential: string): boolean {
  return nodeForCredential(repo, credential)?.nodeId === nodeId;
}
