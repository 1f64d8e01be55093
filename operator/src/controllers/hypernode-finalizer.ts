import { hyperNodeNames } from "@hyperhash/cdk8s";
import type { Condition } from "../api/common.ts";
import { setConditions } from "../api/conditions.ts";
import type { ControllerContext, ReconcileResult } from "../runtime/controller.ts";
import { setFinalizer } from "../runtime/finalizers.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import type { OperatorSettings } from "./settings.ts";

/** Held while the node is registered at Core: deleting the HyperNode deregisters it first. */
export const HYPERNODE_FINALIZER = "hyperhash.network/core-registration";

/** The Core node id of a HyperNode: status first, else the credentials Secret (written first). */
function knownNodeId(ctx: ControllerContext, raw: KubeObject): string | undefined {
  const fromStatus = (raw.status as { nodeId?: string } | undefined)?.nodeId;
  if (fromStatus) return fromStatus;
  const secret = ctx
    .informer("Secret")
    .get(raw.metadata.namespace, hyperNodeNames(raw.metadata.name).credentials) as
    | { data?: Record<string, string> }
    | undefined;
  return secret?.data?.nodeId ? Buffer.from(secret.data.nodeId, "base64").toString() : undefined;
}

/**
 * Deletion: deregisters the node at Core, then lets the object go (the garbage collector then
 * removes its children; until then its agent and translator keep running). Core refuses while
 * money is owed to the node (409): the finalizer stays, `Deregistered=False` says why, and the
 * node is retried — a node is never dropped with sats it could still be paid. A node Core does
 * not know (404) or never registered has nothing to undo.
 */
export async function finalizeHyperNode(
  ctx: ControllerContext,
  settings: OperatorSettings,
  raw: KubeObject,
): Promise<ReconcileResult> {
  if (!raw.metadata.finalizers?.includes(HYPERNODE_FINALIZER)) return {};
  const nodeId = knownNodeId(ctx, raw);
  if (nodeId) {
    const answer = await settings.core.deregisterNode(nodeId);
    if (!answer.ok && answer.error.status !== 404) {
      const blocked = answer.error.status === 409;
      const reason = blocked ? "OwedMoney" : answer.error.status === 0 ? "CoreUnreachable" : "CoreRefused";
      const message = `Core keeps node ${nodeId}: ${answer.error.code}: ${answer.error.message}`;
      await patchStatus<Record<string, unknown>>(ctx.client, raw, [
        (s) => ({
          ...s,
          conditions: setConditions(
            s.conditions as Condition[] | undefined,
            [{ type: "Deregistered", status: "False", reason, message }],
            raw.metadata.generation,
            ctx.now(),
          ),
        }),
      ]);
      ctx.events.warning(raw, "DeregistrationBlocked", message);
      return { requeueAfterMs: blocked ? settings.pollMs : Math.min(settings.pollMs, 5_000) };
    }
    ctx.events.normal(raw, "Deregistered", `Core node ${nodeId} deregistered`);
  }
  await setFinalizer(ctx.client, raw, HYPERNODE_FINALIZER, false);
  return {};
}
