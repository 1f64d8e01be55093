/**
 * User identities of mining channels (ARCHITECTURE.md "Who a share belongs to"):
 * `<payout destination>[.<worker>]` for a miner connected directly, and
 * `<node id>/<payout destination>[.<worker>]` for a miner behind a HyperNode's translator.
 * A destination is a bitcoin address of the pool's network or a 33-byte compressed
 * Lightning node pubkey in hex. Pure: parsing never touches the node registry; whether a
 * connection may name a node is decided by the caller.
 */
import type { Network } from "@hyperhash/bitcoin";
import { canonicalDestination, NODE_ID_PATTERN } from "@hyperhash/contracts";

/** A parsed user identity. */
export interface MinerIdentity {
  /**
   * Payout destination in canonical form (the contract's `canonicalDestination`): bech32
   * lower-case, base58 as is, pubkey lower-case hex — so case variants are one miner.
   */
  readonly destination: string;
  /** What the destination is. */
  readonly destinationKind: "address" | "lightning-pubkey";
  /** The node the miner is attached to, when it came through a HyperNode. */
  readonly nodeId: string | null;
  /** Worker name ("" when none was given). */
  readonly worker: string;
}

/** Why an identity was refused; the string goes to the peer as OpenMiningChannel.Error's code. */
export type IdentityError =
  | "invalid-user-identity"
  | "invalid-node-id"
  | "invalid-destination"
  | "invalid-worker";

/** Result of {@link parseUserIdentity}. */
export type IdentityResult =
  | { readonly ok: true; readonly identity: MinerIdentity }
  | { readonly ok: false; readonly error: IdentityError; readonly detail: string };

const WORKER = /^[\x21-\x7e]{0,64}$/;

/** Parses `[<node id>/]<destination>[.<worker>]` against the pool's network. */
export function parseUserIdentity(text: string, network: Network): IdentityResult {
  if (text.length === 0 || text.length > 255) {
    return { ok: false, error: "invalid-user-identity", detail: "empty or longer than 255 bytes" };
  }
  let rest = text;
  let nodeId: string | null = null;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    nodeId = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!NODE_ID_PATTERN.test(nodeId)) return { ok: false, error: "invalid-node-id", detail: nodeId };
  }
  // Addresses and hex never contain '.', so the first dot starts the worker name.
  const dot = rest.indexOf(".");
  const destinationText = dot >= 0 ? rest.slice(0, dot) : rest;
  const worker = dot >= 0 ? rest.slice(dot + 1) : "";
  if (!WORKER.test(worker)) return { ok: false, error: "invalid-worker", detail: worker };
  const canonical = canonicalDestination(destinationText, network);
  if (!canonical.ok) return { ok: false, error: "invalid-destination", detail: canonical.reason };
  return {
    ok: true,
    identity: { destination: canonical.destination, destinationKind: canonical.kind, nodeId, worker },
  };
}
