import { z } from "zod";

const podList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      spec: z.object({ nodeName: z.string().nullish() }).default({}),
      status: z
        .object({
          phase: z.string().nullish(),
          conditions: z
            .array(
              z.object({
                type: z.string(),
                status: z.string(),
                reason: z.string().nullish(),
                message: z.string().nullish(),
              }),
            )
            .nullish(),
          containerStatuses: z
            .array(
              z.object({
                name: z.string(),
                ready: z.boolean().nullish(),
                restartCount: z.number().nullish(),
                state: z
                  .object({
                    waiting: z.object({ reason: z.string().nullish() }).nullish(),
                    terminated: z.object({ reason: z.string().nullish(), exitCode: z.number() }).nullish(),
                  })
                  .nullish(),
              }),
            )
            .nullish(),
        })
        .default({}),
    }),
  ),
});

const eventList = z.object({
  items: z.array(
    z.object({
      type: z.string().nullish(),
      reason: z.string().nullish(),
      message: z.string().nullish(),
      count: z.number().nullish(),
      involvedObject: z.object({ kind: z.string().nullish(), name: z.string().nullish() }),
      lastTimestamp: z.string().nullish(),
      eventTime: z.string().nullish(),
    }),
  ),
});

/** The shapes of `kubectl get pods -o json` and `kubectl get events -o json` this reads. */
export type PodList = z.input<typeof podList>;
export type EventList = z.input<typeof eventList>;

/**
 * What a failed wait on the cluster should say: each pod that is not Ready (phase, node or "no
 * node", the False conditions with their reasons, waiting or terminated containers), then the
 * namespace's last `maxEvents` Warning events. Pure, so the wording is tested without a cluster.
 */
export function formatDiagnostics(pods: PodList, events: EventList, maxEvents = 15): string {
  const lines: string[] = [];
  for (const pod of podList.parse(pods).items) {
    const ready = pod.status.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (ready && pod.status.phase === "Running") continue;
    const parts = [`pod ${pod.metadata.name}: ${pod.status.phase ?? "no phase"}`];
    parts.push(pod.spec.nodeName ? `on ${pod.spec.nodeName}` : "no node");
    for (const c of pod.status.conditions ?? []) {
      if (c.status === "True") continue;
      parts.push(
        `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`,
      );
    }
    for (const cs of pod.status.containerStatuses ?? []) {
      const waiting = cs.state?.waiting?.reason;
      const terminated = cs.state?.terminated;
      if (waiting) parts.push(`${cs.name} waiting ${waiting}`);
      else if (terminated)
        parts.push(`${cs.name} terminated ${terminated.reason ?? ""} (exit ${terminated.exitCode})`);
      if (cs.restartCount) parts.push(`${cs.name} restarts ${cs.restartCount}`);
    }
    lines.push(parts.join("; "));
  }
  const warnings = eventList
    .parse(events)
    .items.filter((e) => e.type === "Warning")
    .sort((a, b) =>
      (a.lastTimestamp ?? a.eventTime ?? "").localeCompare(b.lastTimestamp ?? b.eventTime ?? ""),
    )
    .slice(-maxEvents);
  for (const e of warnings) {
    const times = e.count && e.count > 1 ? ` (×${e.count})` : "";
    lines.push(
      `event ${e.involvedObject.kind ?? ""}/${e.involvedObject.name ?? ""} ${e.reason ?? ""}${times}: ${e.message ?? ""}`,
    );
  }
  return lines.length ? lines.join("\n") : "every pod Ready, no Warning events";
}

/** Reads the namespace's pods and events with `kubectl` and formats them (formatDiagnostics). */
export async function namespaceDiagnostics(
  kubectl: (args: string[]) => Promise<string>,
  namespace: string,
): Promise<string> {
  const [pods, events] = await Promise.all([
    kubectl(["-n", namespace, "get", "pods", "-o", "json"]),
    kubectl(["-n", namespace, "get", "events", "-o", "json"]),
  ]);
  return formatDiagnostics(JSON.parse(pods) as PodList, JSON.parse(events) as EventList);
}
