import { MANAGED_BY } from "@hyperhash/cdk8s";
import type { Logger } from "@hyperhash/telemetry";
import { API_VERSION, type Condition } from "../api/common.ts";
import { setCondition } from "../api/conditions.ts";
import { type PayoutWindowPhase, payoutWindow } from "../api/payoutwindow-types.ts";
import type { CoreWindow } from "../core/core-client.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import type { KubeClient } from "../runtime/kube.ts";
import type { Manager } from "../runtime/manager.ts";
import { patchStatus } from "../runtime/status.ts";
import type { OperatorSettings } from "./settings.ts";

/** The PayoutWindow name of a Core window: height first, so `kubectl get pw` sorts by height. */
export function payoutWindowName(w: { height: number; blockHash: string }): string {
  return `window-${w.height}-${w.blockHash.slice(0, 12)}`;
}

const PHASES: PayoutWindowPhase[] = ["Maturing", "Calculated", "Paying", "Settled", "Orphaned", "Failed"];

/** Core's phase string as a PayoutWindow phase (case-insensitive), or undefined. */
export function toPhase(core: string): PayoutWindowPhase | undefined {
  return PHASES.find((p) => p.toLowerCase() === core.toLowerCase());
}

/**
 * The phases to write, in order, to get from `from` to `to` without skipping a step the CEL
 * transition rule requires (a mirror that polls may see Maturing, then Settled).
 */
export function phasePath(from: PayoutWindowPhase | undefined, to: PayoutWindowPhase): PayoutWindowPhase[] {
  // Totals are written at Calculated; CEL freezes them from there, so it must not be skipped.
  if ((from === undefined || from === "Maturing") && (to === "Paying" || to === "Settled"))
    return ["Calculated", to];
  return [to];
}

/** The status summary of a Core window (totals only once Calculated: amounts are frozen then). */
export function windowStatus(w: CoreWindow, phase: PayoutWindowPhase) {
  const calculated = phase !== "Maturing" && phase !== "Orphaned" && w.payoutDigest !== null;
  return {
    phase,
    height: w.height,
    paidSats: w.paidSats,
    pendingSats: w.pendingSats,
    held: w.hold,
    ...(calculated
      ? {
          totals: {
            subsidySats: w.subsidySats,
            feesSats: w.feesSats,
            poolFeeSats: w.poolFeeSats,
            treasurySats: w.treasurySats,
            nodeNetworkSats: w.nodeNetworkSats,
            recipientCount: w.recipientCount,
            payoutDigest: w.payoutDigest!,
          },
        }
      : {}),
  };
}

/** The last answer of Core's window list, shared by the mirror and the controller. */
const snapshot = new Map<string, CoreWindow>();

/**
 * Polls Core's windows, creates a PayoutWindow for each new one (spec.blockHash only: hold
 * stays the user's), and enqueues every window so its status follows Core.
 */
export function startWindowMirror(options: {
  client: KubeClient;
  settings: OperatorSettings;
  logger: Logger;
  intervalMs: number;
  manager: Manager;
}): { stop(): void } {
  const { client, settings } = options;
  let stopped = false;
  const known = new Set<string>();
  const tick = async () => {
    const answer = await settings.core.listWindows();
    if (!answer.ok) {
      options.logger.warn("Core windows unavailable", { error: answer.error.message });
      return;
    }
    for (const w of answer.value) {
      const name = payoutWindowName(w);
      snapshot.set(name, w);
      // Created once; after a restart the cache (synced before the first tick) says it exists.
      const cached = options.manager.synced()
        ? options.manager.informer("PayoutWindow").get(settings.windowNamespace, name)
        : undefined;
      if (!known.has(name) && !cached) {
        await client.apply({
          apiVersion: API_VERSION,
          kind: "PayoutWindow",
          metadata: {
            name,
            namespace: settings.windowNamespace,
            labels: { ...MANAGED_BY, "hyperhash.network/height": String(w.height) },
          },
          spec: { blockHash: w.blockHash },
        });
      }
      known.add(name);
      options.manager.controllers.get("payoutwindow")?.enqueue({ namespace: settings.windowNamespace, name });
    }
  };
  const loop = async () => {
    while (!stopped) {
      await tick().catch((err: Error) =>
        options.logger.warn("window mirror pass failed", { error: err.message }),
      );
      await new Promise((r) => setTimeout(r, options.intervalMs));
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/** The PayoutWindow controller: status in step with Core; spec.hold pushed to Core. */
export function payoutWindowController(settings: OperatorSettings): ControllerDefinition {
  return {
    name: "payoutwindow",
    kind: "PayoutWindow",
    async reconcile(req: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult> {
      let raw = ctx.informer("PayoutWindow").get(req.namespace, req.name);
      if (!raw || raw.metadata.deletionTimestamp) return {};
      const pw = payoutWindow.parse(raw);
      const core = snapshot.get(req.name);
      if (!core || core.blockHash !== pw.spec.blockHash) return {};
      let held = core.hold;
      if (pw.spec.hold !== core.hold) {
        const r = await settings.core.setWindowHold(core.blockHash, pw.spec.hold);
        if (!r.ok) throw new Error(`Core refused hold=${pw.spec.hold}: ${r.error.message}`);
        held = pw.spec.hold;
        core.hold = held;
        ctx.events.normal(
          raw,
          pw.spec.hold ? "WindowHeld" : "WindowReleased",
          `Core ${pw.spec.hold ? "holds" : "pays"} window ${core.height}`,
        );
      }
      const target = toPhase(core.phase);
      if (!target) throw new Error(`Core phase ${core.phase} is not a PayoutWindow phase`);
      for (const phase of phasePath(pw.status?.phase, target)) {
        const status = { ...windowStatus(core, phase), held };
        raw = await patchStatus<Record<string, unknown>>(ctx.client, raw, [
          (s) => ({
            ...s,
            ...status,
            observedGeneration: pw.metadata.generation,
            conditions: setCondition(
              s.conditions as Condition[] | undefined,
              {
                type: "Synced",
                status: "True",
                reason: "MirroredFromCore",
                message: `Core phase ${core.phase}${held ? ", held" : ""}`,
              },
              pw.metadata.generation,
              ctx.now(),
            ),
          }),
        ]);
      }
      return {};
    },
  };
}
