import type { Logger } from "@hyperhash/telemetry";
import type { EventRecorder } from "./events.ts";
import type { Informer } from "./informer.ts";
import { KubeApiError, type KubeClient, type KubeObject } from "./kube.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { createWorkQueue, type WorkQueue } from "./workqueue.ts";

/** What a reconcile asks for next: nothing (done), or another pass after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** A request: the namespaced name of the primary object. */
export interface ReconcileRequest {
  namespace: string;
  name: string;
}

/** Everything a reconciler may use; informers are the read path, client the write path. */
export interface ControllerContext {
  client: KubeClient;
  informer(kind: string): Informer;
  events: EventRecorder;
  logger: Logger;
  now(): Date;
}

/** One controller per kind (kubebuilder's rule). */
export interface ControllerDefinition {
  name: string;
  /** The primary kind. */
  kind: string;
  /** Child kinds: an event on a child enqueues its controller owner of `kind`. */
  owns?: string[];
  /** Other kinds whose events map to primary keys (`informer` reads the shared caches). */
  watches?: Array<{
    kind: string;
    map: (object: KubeObject, informer: (kind: string) => Informer) => ReconcileRequest[];
  }>;
  workers?: number;
  reconcile(request: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult>;
}

/** A running controller: its queue and a stop function. */
export interface RunningController {
  queue: WorkQueue;
  enqueue(request: ReconcileRequest): void;
  stop(): Promise<void>;
}

/** Maps an owned object to its controller owner of `kind`. */
export function ownerRequest(object: KubeObject, kind: string): ReconcileRequest | undefined {
  const owner = object.metadata.ownerReferences?.find((o) => o.controller && o.kind === kind);
  return owner && object.metadata.namespace
    ? { namespace: object.metadata.namespace, name: owner.name }
    : undefined;
}

/**
 * Runs `workers` loops over the controller's queue. A reconcile that throws is retried with
 * per-key backoff; a success forgets the key's failures and honours requeueAfterMs.
 */
export function runController(
  def: ControllerDefinition,
  ctx: ControllerContext,
  metrics: ControllerMetrics,
  cachesSynced: Promise<void> = Promise.resolve(),
): RunningController {
  const queue = createWorkQueue({ name: def.name, metrics });
  // As controller-runtime does at start: every result and the error count at zero.
  for (const result of ["success", "error", "requeue", "requeue_after"]) {
    metrics.reconcileTotal.inc({ controller: def.name, result }, 0);
  }
  metrics.reconcileErrors.inc({ controller: def.name }, 0);
  const logger = ctx.logger.child({ controller: def.name });
  const toKey = (r: ReconcileRequest) => `${r.namespace}/${r.name}`;
  const worker = async () => {
    // Reconciling before the caches list once would read "no children" and act on it.
    await cachesSynced;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const [namespace = "", name = ""] = key.split("/");
      const end = metrics.reconcileTime.startTimer({ controller: def.name });
      try {
        const result = await def.reconcile(
          { namespace, name },
          { ...ctx, logger: logger.child({ object: key }) },
        );
        queue.forget(key);
        logger.debug("reconciled", { object: key, requeueAfterMs: result.requeueAfterMs });
        if (result.requeueAfterMs !== undefined) {
          metrics.reconcileTotal.inc({ controller: def.name, result: "requeue_after" });
          queue.addAfter(key, result.requeueAfterMs);
        } else {
          metrics.reconcileTotal.inc({ controller: def.name, result: "success" });
        }
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404 && err.message.includes(name)) {
          // The primary was deleted mid-reconcile: nothing left to do (the GC owns children).
          queue.forget(key);
          metrics.reconcileTotal.inc({ controller: def.name, result: "success" });
          continue;
        }
        metrics.reconcileTotal.inc({ controller: def.name, result: "error" });
        metrics.reconcileErrors.inc({ controller: def.name });
        logger.warn("reconcile failed", { object: key, error: (err as Error).message });
        queue.addRateLimited(key);
      } finally {
        end();
        queue.done(key);
      }
    }
  };
  const loops = Array.from({ length: def.workers ?? 2 }, () => worker());
  return {
    queue,
    enqueue: (r) => queue.add(toKey(r)),
    stop: async () => {
      queue.shutDown();
      await Promise.allSettled(loops);
    },
  };
}
