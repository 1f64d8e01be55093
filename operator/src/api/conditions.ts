import type { Condition, ConditionStatus } from "./common.ts";

/** A condition to set; lastTransitionTime and observedGeneration are filled in by setCondition. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** The condition of `type`, if present. */
export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/** True when the condition of `type` has status True. */
export function isConditionTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === "True";
}

/**
 * Returns the list with `update` applied: lastTransitionTime moves only when the status
 * changes (as metav1 meta.SetStatusCondition does); other conditions keep their order.
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  update: ConditionUpdate,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const current = findCondition(list, update.type);
  const next: Condition = {
    ...update,
    message: update.message.slice(0, 32768),
    lastTransitionTime:
      current && current.status === update.status ? current.lastTransitionTime : now.toISOString(),
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
  if (!current) return [...(list ?? []), next];
  return (list ?? []).map((c) => (c.type === update.type ? next : c));
}

/** Applies several updates in order. */
export function setConditions(
  list: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  return updates.reduce<Condition[]>(
    (acc, u) => setCondition(acc, u, observedGeneration, now),
    [...(list ?? [])],
  );
}

/**
 * The Ready summary: True when every dependency is True, else False with the first failing
 * dependency's reason and message, so a human sees the one thing to fix first.
 */
export function summarizeReady(
  list: readonly Condition[] | undefined,
  dependsOn: readonly string[],
): ConditionUpdate {
  for (const type of dependsOn) {
    const c = findCondition(list, type);
    if (!c)
      return { type: "Ready", status: "Unknown", reason: "Reconciling", message: `${type} not yet known` };
    if (c.status !== "True")
      return { type: "Ready", status: "False", reason: c.reason, message: `${type}: ${c.message}` };
  }
  return {
    type: "Ready",
    status: "True",
    reason: "AllConditionsMet",
    message: `${dependsOn.join(", ")} are True`,
  };
}
