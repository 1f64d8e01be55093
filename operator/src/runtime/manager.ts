import { hostname } from "node:os";
import { createLogger, type Logger } from "@hyperhash/telemetry";
import type { Registry } from "prom-client";
import {
  type ControllerContext,
  type ControllerDefinition,
  ownerRequest,
  type RunningController,
  runController,
} from "./controller.ts";
import { eventRecorder } from "./events.ts";
import { type Informer, startInformer } from "./informer.ts";
import type { KubeClient, KubeObject } from "./kube.ts";
import { controllerMetrics } from "./metrics.ts";

/** Options of startManager. */
export interface ManagerOptions {
  client: KubeClient;
  controllers: ControllerDefinition[];
  registry: Registry;
  /** Watch one namespace, or all (undefined). */
  namespace?: string;
  /** Label selector for child kinds, so the cache holds only the operator's objects. */
  childSelector: string;
  /**
   * Child kinds cached without the selector: Secrets, because reconcilers also read the user's
   * lnd and treasury Secrets, and a cache read costs no API request where a GET would.
   */
  unfilteredKinds?: string[];
  resyncMs?: number;
  logger?: Logger;
  name?: string;
}

/** The running controllers and their shared informers. */
export interface Manager {
  /** True once every informer has listed once. */
  synced(): boolean;
  controllers: Map<string, RunningController>;
  /** The shared cache of a kind some controller owns or watches. */
  informer(kind: string): Informer;
  stop(): Promise<void>;
}

/**
 * Starts one shared informer per kind (primary kinds unfiltered, child kinds by label) and one
 * queue + workers per controller; events fan out to the controllers that watch the kind.
 */
export function startManager(options: ManagerOptions): Manager {
  const logger = options.logger ?? createLogger({ service: "operator" });
  const metrics = controllerMetrics(options.registry);
  const primaryKinds = new Set(options.controllers.map((c) => c.kind));
  const handlers = new Map<string, Array<(o: KubeObject) => void>>();
  const on = (kind: string, fn: (o: KubeObject) => void) =>
    handlers.set(kind, [...(handlers.get(kind) ?? []), fn]);
  const running = new Map<string, RunningController>();
  const informers = new Map<string, Informer>();
  const informer = (kind: string) => {
    const found = informers.get(kind);
    if (!found) throw new Error(`no informer for ${kind}: declare it in owns or watches`);
    return found;
  };
  const ctx: ControllerContext = {
    client: options.client,
    informer,
    events: eventRecorder({
      client: options.client,
      controller: "hyperhash.network/operator",
      instance: options.name ?? hostname(),
      logger,
    }),
    logger,
    now: () => new Date(),
  };

  let markSynced!: () => void;
  const cachesSynced = new Promise<void>((r) => {
    markSynced = r;
  });
  for (const def of options.controllers) {
    const rc = runController(def, ctx, metrics, cachesSynced);
    running.set(def.name, rc);
    on(def.kind, (o) => {
      if (o.metadata.namespace) rc.enqueue({ namespace: o.metadata.namespace, name: o.metadata.name });
    });
    for (const kind of def.owns ?? []) {
      on(kind, (o) => {
        const r = ownerRequest(o, def.kind);
        if (r) rc.enqueue(r);
      });
    }
    for (const w of def.watches ?? [])
      on(w.kind, (o) => {
        for (const r of w.map(o, informer)) rc.enqueue(r);
      });
  }
  for (const kind of handlers.keys()) {
    informers.set(
      kind,
      startInformer({
        client: options.client,
        kind,
        namespace: options.namespace,
        labelSelector:
          primaryKinds.has(kind) || options.unfilteredKinds?.includes(kind)
            ? undefined
            : options.childSelector,
        resyncMs: primaryKinds.has(kind) ? (options.resyncMs ?? 10 * 60_000) : undefined,
        logger,
        onEvent: (_type, o) => {
          for (const fn of handlers.get(kind) ?? []) fn(o);
        },
      }),
    );
  }
  void Promise.all([...informers.values()].map((i) => i.synced())).then(markSynced);
  return {
    synced: () => [...informers.values()].every((i) => i.hasSynced()),
    controllers: running,
    informer,
    async stop() {
      for (const i of informers.values()) i.stop();
      await Promise.all([...running.values()].map((r) => r.stop()));
    },
  };
}
