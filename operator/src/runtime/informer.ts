import type { Logger } from "@hyperhash/telemetry";
import { type BackoffPolicy, backoffDelay } from "./backoff.ts";
import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from "./kube.ts";

/** `namespace/name`, the key of the cache and of work queues. */
export function objectKey(o: { metadata: { name: string; namespace?: string } }): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** A list+watch cache of one kind that keeps itself running. */
export interface Informer {
  /** Resolves after the first successful list (the cache is synced). */
  synced(): Promise<void>;
  hasSynced(): boolean;
  get(namespace: string | undefined, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
  stop(): void;
}

/** Options of startInformer. */
export interface InformerOptions {
  client: KubeClient;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  /** Called for every add, update, delete and resync. */
  onEvent: (type: "add" | "update" | "delete" | "resync", object: KubeObject) => void;
  /** Every cached object is handed to onEvent("resync") this often (level-triggered safety net). */
  resyncMs?: number;
  backoff?: BackoffPolicy;
  logger?: Logger;
}

/**
 * Lists, then watches from the list's resourceVersion; on any failure (429 while a new CRD's
 * watch cache initialises, 410 Gone, a dropped connection) it waits a jittered backoff and lists
 * again, so the cache converges without a restart of the process. A watch the server ends
 * normally is resumed at once from the last resourceVersion.
 */
export function startInformer(options: InformerOptions): Informer {
  const cache = new Map<string, KubeObject>();
  const abort = new AbortController();
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 30_000 };
  let synced = false;
  let resolveSynced!: () => void;
  const syncedPromise = new Promise<void>((r) => {
    resolveSynced = r;
  });

  const relist = async (): Promise<string> => {
    const { items, resourceVersion } = await options.client.list(
      options.kind,
      options.namespace,
      options.labelSelector,
    );
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const old = cache.get(key);
      cache.set(key, item);
      if (!old) options.onEvent("add", item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion)
        options.onEvent("update", item);
    }
    for (const [key, old] of cache) {
      if (!seen.has(key)) {
        cache.delete(key);
        options.onEvent("delete", old);
      }
    }
    if (!synced) {
      synced = true;
      resolveSynced();
    }
    return resourceVersion;
  };

  const apply = (event: WatchEvent): string | undefined => {
    if (event.type === "ERROR") {
      const status = event.object as unknown as { code?: number; message?: string };
      throw new KubeApiError(status.code ?? 500, "WatchError", status.message ?? "watch error");
    }
    const rv = event.object.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return rv;
    const key = objectKey(event.object);
    if (event.type === "DELETED") {
      cache.delete(key);
      options.onEvent("delete", event.object);
    } else {
      const existed = cache.has(key);
      cache.set(key, event.object);
      options.onEvent(existed ? "update" : "add", event.object);
    }
    return rv;
  };

  const run = async () => {
    let failures = 0;
    let resourceVersion: string | undefined;
    while (!abort.signal.aborted) {
      try {
        resourceVersion ??= await relist();
        failures = 0;
        await options.client.watch(
          options.kind,
          options.namespace,
          resourceVersion,
          (event) => {
            resourceVersion = apply(event) ?? resourceVersion;
          },
          abort.signal,
        );
      } catch (err) {
        if (abort.signal.aborted) return;
        failures++;
        resourceVersion = undefined;
        const delay = backoffDelay(failures, backoff);
        options.logger?.debug("informer restarting", {
          kind: options.kind,
          error: (err as Error).message,
          delay,
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  void run();

  const resync = options.resyncMs
    ? setInterval(() => {
        for (const o of cache.values()) options.onEvent("resync", o);
      }, options.resyncMs)
    : undefined;
  resync?.unref();

  return {
    synced: () => syncedPromise,
    hasSynced: () => synced,
    get: (namespace, name) => cache.get(`${namespace ?? ""}/${name}`),
    list: (namespace) => [...cache.values()].filter((o) => !namespace || o.metadata.namespace === namespace),
    stop() {
      abort.abort();
      if (resync) clearInterval(resync);
    },
  };
}
