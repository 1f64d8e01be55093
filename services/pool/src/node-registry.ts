/**
 * HyperNode credentials (ARCHITECTURE.md "Node identity"). A translator presents
 * `<nodeId>:<credential>` in SetupConnection's `device_id` (inside Noise), which binds its
 * connection to that node. Core issues the credentials and is the source the pool asks
 * (core-node-registry.ts); a fixed list remains for tests that run no Core.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { NODE_ID_PATTERN } from "@hyperhash/contracts";

/** One configured node. */
export interface NodeCredential {
  /** Node id as Core issued it. */
  readonly nodeId: string;
  /** Shared secret the node's translator presents. */
  readonly credential: string;
}

/** Outcome of presenting a device id. */
export type NodeBinding =
  | { readonly kind: "unbound" }
  | { readonly kind: "bound"; readonly nodeId: string }
  | { readonly kind: "refused"; readonly nodeId: string }
  /** The registry could not answer (Core down): the peer may retry, nothing is cached. */
  | { readonly kind: "unavailable"; readonly nodeId: string; readonly detail: string };

/** Looks up node credentials. */
export interface NodeRegistry {
  /**
   * `unbound` when `deviceId` claims no node (an ordinary device), `bound` when it carries a
   * node's current credential, `refused` when it names a node with a credential that is not.
   */
  bind(deviceId: string): Promise<NodeBinding>;
}

/** A node claim in a device id: `<node id>:<credential>`, where the node id is one Core issues. */
export function parseNodeClaim(deviceId: string): { nodeId: string; credential: string } | null {
  const colon = deviceId.indexOf(":");
  if (colon <= 0) return null;
  const nodeId = deviceId.slice(0, colon);
  const credential = deviceId.slice(colon + 1);
  if (!NODE_ID_PATTERN.test(nodeId) || credential.length === 0) return null;
  return { nodeId, credential };
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * A registry over a fixed list (tests, and `HH_POOL_NODES` when no Core is configured);
 * credentials are compared in constant time on their digests. A node not in the list is
 * `unbound`, so naming it gives `unauthorized-node` at channel open.
 */
export function staticNodeRegistry(nodes: readonly NodeCredential[]): NodeRegistry {
  const byId = new Map(nodes.map((n) => [n.nodeId, digest(n.credential)]));
  return {
    async bind(deviceId) {
      const claim = parseNodeClaim(deviceId);
      if (!claim) return { kind: "unbound" };
      const expected = byId.get(claim.nodeId);
      if (!expected) return { kind: "unbound" };
      return timingSafeEqual(expected, digest(claim.credential))
        ? { kind: "bound", nodeId: claim.nodeId }
        : { kind: "refused", nodeId: claim.nodeId };
    },
  };
}
