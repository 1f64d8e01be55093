/**
 * HyperNode credentials. Core issues them; until Core's registry API exists the pool
 * takes a configured list. A translator presents `<nodeId>:<credential>` in
 * SetupConnection's `device_id` (inside Noise), which binds its connection to that node.
 */
import { createHash, timingSafeEqual } from "node:crypto";

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
  | { readonly kind: "refused"; readonly nodeId: string };

/** Looks up node credentials. */
export interface NodeRegistry {
  /**
   * `unbound` when `deviceId` names no known node (an ordinary device), `bound` when it
   * carries a known node's credential, `refused` when it names a known node with a wrong one.
   */
  bind(deviceId: string): NodeBinding;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** A registry over a fixed list; credentials are compared in constant time (on their digests). */
export function staticNodeRegistry(nodes: readonly NodeCredential[]): NodeRegistry {
  const byId = new Map(nodes.map((n) => [n.nodeId, digest(n.credential)]));
  return {
    bind(deviceId) {
      const colon = deviceId.indexOf(":");
      if (colon <= 0) return { kind: "unbound" };
      const nodeId = deviceId.slice(0, colon);
      const expected = byId.get(nodeId);
      if (!expected) return { kind: "unbound" };
      return timingSafeEqual(expected, digest(deviceId.slice(colon + 1)))
        ? { kind: "bound", nodeId }
        : { kind: "refused", nodeId };
    },
  };
}
