import type { Logger } from "@hyperhash/telemetry";
import type { KubeClient, KubeObject } from "./kube.ts";

/** Records Kubernetes Events (events.k8s.io/v1) about an object, for `kubectl describe`. */
export interface EventRecorder {
  normal(object: KubeObject, reason: string, note: string): void;
  warning(object: KubeObject, reason: string, note: string): void;
}

/**
 * An EventRecorder that writes asynchronously and never fails a reconcile: an event is a
 * courtesy to humans, so a refused write is logged and dropped. Repeats of the same
 * (object, reason, note) within `dedupMs` are dropped too, so a retry loop cannot flood etcd.
 */
export function eventRecorder(options: {
  client: KubeClient;
  controller: string;
  instance: string;
  logger?: Logger;
  now?: () => Date;
  dedupMs?: number;
}): EventRecorder {
  const now = options.now ?? (() => new Date());
  const recent = new Map<string, number>();
  const dedupMs = options.dedupMs ?? 60_000;
  const emit = (type: "Normal" | "Warning", object: KubeObject, reason: string, note: string) => {
    const key = `${object.metadata.uid}|${reason}|${note}`;
    const t = now().getTime();
    if ((recent.get(key) ?? Number.NEGATIVE_INFINITY) > t - dedupMs) return;
    recent.set(key, t);
    if (recent.size > 10_000) recent.clear();
    const namespace = object.metadata.namespace ?? "default";
    const suffix = `${t.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    options.client
      .create({
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name: `${object.metadata.name}.${suffix}`.slice(0, 253), namespace },
        eventTime: now().toISOString().replace("Z", "000Z"),
        type,
        reason,
        note: note.slice(0, 1024),
        action: reason,
        reportingController: options.controller,
        reportingInstance: options.instance,
        regarding: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
      })
      .catch((err: Error) => options.logger?.warn("event not recorded", { reason, error: err.message }));
  };
  return {
    normal: (o, r, n) => emit("Normal", o, r, n),
    warning: (o, r, n) => emit("Warning", o, r, n),
  };
}
