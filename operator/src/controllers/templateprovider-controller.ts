import { randomBytes } from "node:crypto";
import { buildTemplateProviderChildren, templateProviderNames } from "@hyperhash/cdk8s";
import { type Condition, setCondition } from "../api/index.ts";
import { type TemplateProvider, templateProvider } from "../api/templateprovider-types.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import { syncChildren } from "./children.ts";
import type { OperatorSettings } from "./settings.ts";

/** Ready from the Deployment's availableReplicas: at least one replica serves the VIP. */
export function templateProviderReady(tp: TemplateProvider, deployment: KubeObject | undefined) {
  const available =
    (deployment?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
  const desired = tp.spec.replicas;
  if (available === 0)
    return {
      available,
      condition: {
        type: "Ready",
        status: "False" as const,
        reason: "NoReplicaAvailable",
        message: `0/${desired} replicas available`,
      },
    };
  return {
    available,
    condition: {
      type: "Ready",
      status: "True" as const,
      reason: available < desired ? "PartiallyAvailable" : "Available",
      message: `${available}/${desired} replicas available`,
    },
  };
}

/** The TemplateProvider controller: Deployment + Service + authority-key Secret, Ready from availability. */
export function templateProviderController(settings: OperatorSettings): ControllerDefinition {
  return {
    name: "templateprovider",
    kind: "TemplateProvider",
    owns: ["Deployment", "Service", "Secret"],
    async reconcile(req: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult> {
      const raw = ctx.informer("TemplateProvider").get(req.namespace, req.name);
      if (!raw || raw.metadata.deletionTimestamp) return {};
      const tp = templateProvider.parse(raw);
      const names = templateProviderNames(tp.metadata.name);
      // The Noise authority key is generated once; an existing Secret is never rewritten.
      const keyExists = ctx.informer("Secret").get(req.namespace, names.authorityKey) !== undefined;
      const children = buildTemplateProviderChildren(
        tp,
        settings.platform,
        keyExists ? undefined : randomBytes(32).toString("hex"),
      );
      const sync = await syncChildren(ctx, req.namespace, tp.metadata.uid!, children);
      if (sync.applied.length) ctx.events.normal(raw, "ChildrenApplied", sync.applied.join(", "));
      const { available, condition } = templateProviderReady(
        tp,
        ctx.informer("Deployment").get(req.namespace, names.workload),
      );
      const generation = tp.metadata.generation;
      await patchStatus<Record<string, unknown>>(ctx.client, raw, [
        (s) => ({
          ...s,
          observedGeneration: generation,
          availableReplicas: available,
          endpoint: `${names.workload}.${req.namespace}.svc:${tp.spec.port}`,
          conditions: setCondition(s.conditions as Condition[] | undefined, condition, generation, ctx.now()),
        }),
      ]);
      return {};
    },
  };
}
