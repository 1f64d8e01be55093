/**
 * The pool's node registry backed by Core (ARCHITECTURE.md "Node identity"): a device id's
 * `<node id>:<credential>` is checked with Core's `POST /api/v1/nodes/verify` (pool token),
 * and the answer is cached for a bounded time, positive and negative alike, so a reconnect
 * storm costs Core one request per node and a deregistered or rotated credential stops
 * binding new connections within `positiveTtlMs`. Core being unreachable is `unavailable`
 * (never cached): the translator retries its connection.
 */
import { createHash } from "node:crypto";
import { verifyNodeResponse } from "@hyperhash/contracts";
import { type NodeBinding, type NodeRegistry, parseNodeClaim } from "./node-registry.ts";

/** A cached verdict on one device id. */
export type CredentialVerdict = "valid" | "invalid";

/** Bounds of the cache. */
export interface CredentialCacheOptions {
  /** How long a valid answer is trusted (ms): the longest a revoked credential still binds. */
  readonly positiveTtlMs: number;
  /** How long an invalid answer is remembered (ms). */
  readonly negativeTtlMs: number;
  /** Most entries kept; the oldest goes first. */
  readonly maxEntries: number;
  /** Clock, ms. */
  readonly now: () => number;
}

/** A TTL cache of verdicts keyed by the digest of the device id (no credential is kept). */
export interface CredentialCache {
  get(deviceId: string): CredentialVerdict | undefined;
  set(deviceId: string, verdict: CredentialVerdict): void;
  readonly size: number;
}

const keyOf = (deviceId: string) => createHash("sha256").update(deviceId, "utf8").digest("base64");

/** Creates a verdict cache; entries expire by TTL and by the size bound (insertion order). */
export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  if (!(options.positiveTtlMs >= 0 && options.negativeTtlMs >= 0 && options.maxEntries >= 1))
    throw new RangeError("credential cache: TTLs must be ≥ 0 and maxEntries ≥ 1");
  const entries = new Map<string, { verdict: CredentialVerdict; expiresMs: number }>();
  return {
    get(deviceId) {
      const key = keyOf(deviceId);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (options.now() >= entry.expiresMs) {
        entries.delete(key);
        return undefined;
      }
      return entry.verdict;
    },
    set(deviceId, verdict) {
      const key = keyOf(deviceId);
      const ttl = verdict === "valid" ? options.positiveTtlMs : options.negativeTtlMs;
      entries.delete(key); // re-inserted last: the bound evicts the oldest answer
      if (ttl === 0) return;
      entries.set(key, { verdict, expiresMs: options.now() + ttl });
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/** Where and how to reach Core. */
export interface CoreRegistryOptions {
  /** Core's base URL. */
  readonly url: string;
  /** Core's pool token (HH_CORE_POOL_TOKEN). */
  readonly token: string;
  readonly cache: CredentialCache;
  /** Per request (ms, default 5000). */
  readonly timeoutMs?: number;
  /** Every outcome, for metrics: cache hits and Core's answers. */
  readonly observe?: (result: "cached" | "valid" | "invalid" | "unavailable") => void;
  readonly fetch?: typeof fetch;
}

/** A {@link NodeRegistry} that asks Core, through the cache; concurrent asks share one request. */
export function coreNodeRegistry(options: CoreRegistryOptions): NodeRegistry {
  const doFetch = options.fetch ?? fetch;
  const endpoint = new URL("/api/v1/nodes/verify", options.url);
  const inFlight = new Map<string, Promise<CredentialVerdict | string>>();

  /** Core's verdict, or why it could not be had (a string). */
  async function ask(nodeId: string, credential: string): Promise<CredentialVerdict | string> {
    let res: Response;
    try {
      res = await doFetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
        body: JSON.stringify({ nodeId, credential }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
    } catch (err) {
      return `core unreachable: ${(err as Error).message}`;
    }
    const json: unknown = await res.json().catch(() => undefined);
    // 400: the credential is not even of a credential's shape (too long): it is no credential.
    if (res.status === 400) return "invalid";
    if (!res.ok) return `core answered ${res.status}`;
    const parsed = verifyNodeResponse.safeParse(json);
    if (!parsed.success) return "core answered an invalid verify body";
    return parsed.data.valid ? "valid" : "invalid";
  }

  const toBinding = (nodeId: string, v: CredentialVerdict): NodeBinding =>
    v === "valid" ? { kind: "bound", nodeId } : { kind: "refused", nodeId };

  return {
    async bind(deviceId) {
      const claim = parseNodeClaim(deviceId);
      if (!claim) return { kind: "unbound" };
      const cached = options.cache.get(deviceId);
      if (cached) {
        options.observe?.("cached");
        return toBinding(claim.nodeId, cached);
      }
      let pending = inFlight.get(deviceId);
      if (!pending) {
        pending = ask(claim.nodeId, claim.credential).then((answer) => {
          if (answer === "valid" || answer === "invalid") options.cache.set(deviceId, answer);
          options.observe?.(answer === "valid" || answer === "invalid" ? answer : "unavailable");
          return answer;
        });
        inFlight.set(deviceId, pending);
        pending.finally(() => inFlight.delete(deviceId)).catch(() => {});
      }
      const answer = await pending;
      if (answer === "valid" || answer === "invalid") return toBinding(claim.nodeId, answer);
      return { kind: "unavailable", nodeId: claim.nodeId, detail: answer };
    },
  };
}
