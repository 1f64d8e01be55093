import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { collectionPath, objectPath, resourceType } from "./resources.ts";

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    ownerReferences?: OwnerReference[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A refusal from the API server: HTTP status and its Status object's reason and message. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${code} ${reason}: ${message}`);
  }
}

/** One watch event. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

/** Options of a write. */
export interface WriteOptions {
  /** Server-side dry run: validated and admitted, never persisted. */
  dryRun?: boolean;
}

/** The small REST client the operator uses: no discovery, request counting, SSA. */
export interface KubeClient {
  get(kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /** Streams watch events until the server ends the watch, `signal` aborts, or an error. */
  watch(
    kind: string,
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Server-side apply with this client's field manager (force: the operator owns its fields). */
  apply(object: KubeObject, options?: WriteOptions & { subresource?: "status" }): Promise<KubeObject>;
  create(object: KubeObject, options?: WriteOptions): Promise<KubeObject>;
  /** JSON merge patch (optionally on the status subresource). */
  mergePatch(
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: "status",
  ): Promise<KubeObject>;
  delete(
    kind: string,
    namespace: string | undefined,
    name: string,
    options?: { uid?: string },
  ): Promise<void>;
  /** Requests sent so far, by HTTP verb (for the benchmark and metrics). */
  requestCount(): number;
}

const MAX_BODY = 64 * 1024 * 1024;

/** A KubeClient on a kubeconfig (client certificate, token or CA from the config). */
export function kubeClient(kc: KubeConfig, fieldManager: string): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const server = new URL(cluster.server);
  let count = 0;

  async function send(
    method: string,
    path: string,
    options: {
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal;
      stream?: (line: string) => void;
    } = {},
  ): Promise<unknown> {
    count++;
    const opts: import("node:https").RequestOptions = {
      method,
      host: server.hostname,
      port: server.port || 443,
      path,
      headers: { accept: "application/json" },
      signal: options.signal,
    };
    await kc.applyToHTTPSOptions(opts);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      (opts.headers as Record<string, string>)["content-type"] = options.contentType ?? "application/json";
    }
    return new Promise((resolve, reject) => {
      const req = request(opts, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        let partial = "";
        res.on("data", (chunk: Buffer) => {
          if (options.stream && status === 200) {
            partial += chunk.toString("utf8");
            let nl = partial.indexOf("\n");
            while (nl >= 0) {
              const line = partial.slice(0, nl);
              partial = partial.slice(nl + 1);
              if (line.trim()) options.stream(line);
              nl = partial.indexOf("\n");
            }
            return;
          }
          size += chunk.length;
          if (size > MAX_BODY) req.destroy(new Error("response body too large"));
          else chunks.push(chunk);
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (status >= 200 && status < 300) {
            resolve(text ? JSON.parse(text) : undefined);
            return;
          }
          let reason = "Unknown";
          let message = text.slice(0, 2000);
          try {
            const parsed = JSON.parse(text) as { reason?: string; message?: string };
            reason = parsed.reason ?? reason;
            message = parsed.message ?? message;
          } catch {}
          const retryAfter = Number(res.headers["retry-after"]);
          reject(
            new KubeApiError(status, reason, message, Number.isFinite(retryAfter) ? retryAfter : undefined),
          );
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  const query = (params: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  };
  const pathOf = (o: KubeObject, sub?: string) =>
    objectPath(resourceType(o.kind), o.metadata.namespace, o.metadata.name, sub);

  return {
    async get(kind, namespace, name) {
      try {
        return (await send("GET", objectPath(resourceType(kind), namespace, name))) as KubeObject;
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) return undefined;
        throw err;
      }
    },
    async list(kind, namespace, labelSelector) {
      const type = resourceType(kind);
      const res = (await send("GET", collectionPath(type, namespace) + query({ labelSelector }))) as {
        items: KubeObject[];
        metadata: { resourceVersion: string };
      };
      // Lists omit apiVersion/kind on items; restore them so objects are self-describing.
      const items = res.items.map((i) => ({ ...i, apiVersion: type.apiVersion, kind: type.kind }));
      return { items, resourceVersion: res.metadata.resourceVersion };
    },
    async watch(kind, namespace, resourceVersion, onEvent, signal) {
      const path =
        collectionPath(resourceType(kind), namespace) +
        query({ watch: "1", resourceVersion, allowWatchBookmarks: "true", timeoutSeconds: "600" });
      await send("GET", path, { signal, stream: (line) => onEvent(JSON.parse(line) as WatchEvent) });
    },
    apply(object, options = {}) {
      return send(
        "PATCH",
        pathOf(object, options.subresource) +
          query({ fieldManager, force: "true", dryRun: options.dryRun ? "All" : undefined }),
        { body: object, contentType: "application/apply-patch+yaml" },
      ) as Promise<KubeObject>;
    },
    create(object, options = {}) {
      const type = resourceType(object.kind);
      return send(
        "POST",
        collectionPath(type, object.metadata.namespace) +
          query({ fieldManager, dryRun: options.dryRun ? "All" : undefined }),
        { body: object },
      ) as Promise<KubeObject>;
    },
    mergePatch(kind, namespace, name, patch, subresource) {
      return send(
        "PATCH",
        objectPath(resourceType(kind), namespace, name, subresource) + query({ fieldManager }),
        {
          body: patch,
          contentType: "application/merge-patch+json",
        },
      ) as Promise<KubeObject>;
    },
    async delete(kind, namespace, name, options = {}) {
      try {
        await send("DELETE", objectPath(resourceType(kind), namespace, name), {
          body: {
            kind: "DeleteOptions",
            apiVersion: "v1",
            propagationPolicy: "Background",
            ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
          },
        });
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) return;
        throw err;
      }
    },
    requestCount: () => count,
  };
}
