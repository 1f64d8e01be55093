// WorkloadsAvailable: whether the pods of a HyperNode's children run, and if not, why in words a
// node owner understands — an image that cannot be pulled, a container that keeps crashing, a
// Secret or ConfigMap a container needs that does not exist. Read from the pods the kubelet
// reports (labelled hyperhash.network/hypernode=<name> by every builder), so the reason is the
// kubelet's, not a guess. Ready depends on it: a node whose translator cannot start is not Ready.
import type { ConditionUpdate } from "../api/conditions.ts";
import type { ControllerContext } from "../runtime/controller.ts";
import type { KubeObject } from "../runtime/kube.ts";

export const WORKLOADS_CONDITION = "WorkloadsAvailable";

/** The pod fields this check reads (a subset of core/v1 Pod). */
export interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { containers?: Array<{ name: string; image?: string }> };
  status?: {
    phase?: string;
    containerStatuses?: Array<{
      name: string;
      image?: string;
      ready?: boolean;
      restartCount?: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
      lastState?: { terminated?: { reason?: string; exitCode?: number } };
    }>;
  };
}

/** Kubelet waiting reasons, grouped into the condition's reasons, most actionable first. */
const WAITING: Array<{ reasons: string[]; reason: string; explain: (image: string) => string }> = [
  {
    reasons: ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"],
    reason: "ImagePullFailed",
    explain: (image) => `image ${image} cannot be pulled`,
  },
  {
    reasons: ["CreateContainerConfigError", "CreateContainerError"],
    reason: "ContainerConfigInvalid",
    explain: () => "the container cannot be created (a Secret, ConfigMap or key it names is missing?)",
  },
  {
    reasons: ["CrashLoopBackOff"],
    reason: "ContainerCrashing",
    explain: () => "the container keeps exiting",
  },
];

const clip = (s: string | undefined, n = 300) => (s && s.length > n ? `${s.slice(0, n)}…` : (s ?? ""));

/**
 * The condition for a HyperNode's pods (pure). No pods yet, or pods starting: Unknown/False with
 * `Starting`; every container ready: True; otherwise the first problem in the order above.
 */
export function workloadsCondition(pods: readonly PodView[]): ConditionUpdate {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  if (live.length === 0) {
    return {
      type: WORKLOADS_CONDITION,
      status: "Unknown",
      reason: "NoPods",
      message: "no pods of this HyperNode exist yet",
    };
  }
  const problems: Array<{ rank: number; reason: string; message: string }> = [];
  let starting = 0;
  for (const pod of live) {
    const statuses = pod.status?.containerStatuses ?? [];
    if (statuses.length === 0) starting++;
    for (const cs of statuses) {
      if (cs.ready) continue;
      const waiting = cs.state?.waiting?.reason;
      const rank = WAITING.findIndex((w) => waiting !== undefined && w.reasons.includes(waiting));
      if (rank >= 0) {
        const image = cs.image ?? pod.spec?.containers?.find((c) => c.name === cs.name)?.image ?? "?";
        const last = cs.lastState?.terminated;
        const exit =
          rank === 2 && last
            ? ` (last exit ${last.exitCode ?? "?"}${last.reason ? ` ${last.reason}` : ""})`
            : "";
        problems.push({
          rank,
          reason: WAITING[rank]!.reason,
          message: `pod ${pod.metadata.name} container ${cs.name}: ${WAITING[rank]!.explain(image)}${exit}: ${waiting}${
            cs.state?.waiting?.message ? ` — ${clip(cs.state.waiting.message)}` : ""
          }`,
        });
      } else {
        starting++;
      }
    }
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.rank - b.rank);
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    return {
      type: WORKLOADS_CONDITION,
      status: "False",
      reason: first.reason,
      message: `${first.message}${more}`,
    };
  }
  if (starting > 0) {
    return {
      type: WORKLOADS_CONDITION,
      status: "False",
      reason: "Starting",
      message: `${starting} container(s) of ${live.length} pod(s) not ready yet`,
    };
  }
  return {
    type: WORKLOADS_CONDITION,
    status: "True",
    reason: "AllContainersReady",
    message: `${live.length} pod(s) running, every container ready`,
  };
}

/** Lists the HyperNode's pods and computes the condition. */
export async function hyperNodeWorkloads(
  ctx: ControllerContext,
  namespace: string,
  name: string,
): Promise<ConditionUpdate> {
  const { items } = await ctx.client.list("Pod", namespace, `hyperhash.network/hypernode=${name}`);
  return workloadsCondition(items as unknown as KubeObject[] as unknown as PodView[]);
}
