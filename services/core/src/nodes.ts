/**
 * The node registry: node ids, credentials (random 32 bytes, shown once, stored as their
 * SHA-256), telemetry. The pool verifies a translator's credential through Core.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { accepted, type Outcome, refused } from "./outcome.ts";
import { nodeRecipientId } from "./payout.ts";
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

/** Node ids: `hn_` + 16 base32 characters (80 random bits); the one rule is in the contract. */
export { NODE_ID_PATTERN } from "@hyperhash/contracts";
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

/** What a deregistration answers (the first time and every time after). */
export interface Deregistered {
  nodeId: string;
  name: string;
  deregisteredAt: string;
  deregisteredBy: string;
}

/**
 * Deregisters a node: its row and telemetry go, so its credential stops working at once (pool
 * verify, telemetry), and the name may be registered again; a `node_deregistrations` record
 * keeps who removed it and when. Idempotent: a repeat answers that record. Refused with 409
 * while money is owed to the node or moving toward it — a payment in flight, an unpaid credit
 * (below the payout threshold too), or a Maturing window with its shares — because after
 * deregistration nobody could pay it: the node's agent is no longer known.
 */
export function deregisterNode(
  repo: CoreRepository,
  nodeId: string,
  by: string,
  now: () => Date,
): Outcome<Deregistered> {
  return repo.transaction(() => {
    const node = repo.findNodeById(nodeId);
    if (!node) {
      const done = repo.findDeregistration(nodeId);
      if (!done) return refused(404, "unknown-node", "no node with this id");
      const { nodeId: id, name, deregisteredAt, deregisteredBy } = done;
      return accepted({ nodeId: id, name, deregisteredAt, deregisteredBy });
    }
    const recipientId = nodeRecipientId(nodeId);
    const inFlight = repo.listPayments({ state: "pending" }).filter((p) => p.recipientId === recipientId);
    if (inFlight.length > 0)
      return refused(409, "payment-in-flight", "a payment to this node is in flight", {
        paymentIds: inFlight.map((p) => p.id),
      });
    const unpaidSats = repo.openCredits({ recipientId }).reduce((sum, c) => sum + c.openSats, 0n);
    if (unpaidSats > 0n)
      return refused(409, "unpaid-balance", "the node has an unpaid balance", {
        unpaidSats: unpaidSats.toString(),
      });
    const maturing = repo
      .listWindows({ phases: ["Maturing"] })
      .filter((w) => w.shares.some((s) => s.nodeId === nodeId) || w.winnerNodeId === nodeId);
    if (maturing.length > 0)
      return refused(409, "pending-window", "a window with this node's shares is not calculated yet", {
        blockHashes: maturing.map((w) => w.blockHash),
      });
    const record = {
      nodeId,
      name: node.name,
      lightningPubkey: node.lightningPubkey,
      registeredAt: node.createdAt,
      deregisteredAt: now().toISOString(),
      deregisteredBy: by,
    };
    repo.deregisterNode(record);
    return accepted({ nodeId, name: node.name, deregisteredAt: record.deregisteredAt, deregisteredBy: by });
  });
}
