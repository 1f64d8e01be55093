import { z } from "zod";
import { ageColumn, conditions, type KindInfo, objectMeta, satsString } from "./common.ts";

/** Phases of a payout window (ARCHITECTURE.md "From block to payment"). */
export const payoutWindowPhase = z.enum([
  "Maturing",
  "Calculated",
  "Paying",
  "Settled",
  "Orphaned",
  "Failed",
]);
export type PayoutWindowPhase = z.infer<typeof payoutWindowPhase>;

/** PayoutWindow.spec: which window, and the controls applied to it. */
export const payoutWindowSpec = z.object({
  blockHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .meta({ "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "blockHash is immutable" }] }),
  /** Pause paying this window (the treasury skips held windows). */
  hold: z.boolean().default(false),
});
export type PayoutWindowSpec = z.output<typeof payoutWindowSpec>;

/** The amounts frozen when a window is Calculated: S, F, P, T, N, recipients, digest. */
export const payoutWindowTotals = z.object({
  subsidySats: satsString,
  feesSats: satsString,
  poolFeeSats: satsString,
  treasurySats: satsString,
  nodeNetworkSats: satsString,
  recipientCount: z.number().int().min(0),
  /** SHA-256 (hex) of the canonical payout list Core serves. */
  payoutDigest: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PayoutWindowTotals = z.output<typeof payoutWindowTotals>;

const frozen = ["Calculated", "Paying", "Settled"].map((p) => `'${p}'`).join(", ");
const transitions =
  "!has(oldSelf.phase) || (has(self.phase) && (self.phase == oldSelf.phase || self.phase == 'Failed'" +
  " || (oldSelf.phase == 'Maturing' && self.phase in ['Calculated', 'Orphaned'])" +
  " || (oldSelf.phase == 'Calculated' && self.phase in ['Paying', 'Settled'])" +
  " || (oldSelf.phase == 'Paying' && self.phase == 'Settled')))";

/** PayoutWindow.status: a summary of Core's window, never the payout list. */
export const payoutWindowStatus = z
  .object({
    observedGeneration: z.number().int().min(0).optional(),
    conditions: conditions.optional(),
    phase: payoutWindowPhase.optional(),
    height: z.number().int().min(0).optional(),
    totals: payoutWindowTotals.optional(),
    paidSats: satsString.optional(),
    pendingSats: satsString.optional(),
    /** Whether Core holds the window (spec.hold applied). */
    held: z.boolean().optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: `!has(oldSelf.phase) || !(oldSelf.phase in [${frozen}]) || (has(self.totals) && has(oldSelf.totals) && self.totals == oldSelf.totals)`,
        message: "totals and payoutDigest are frozen once the window is Calculated",
      },
      {
        rule: transitions,
        message:
          "phase may only move Maturing → Calculated → Paying → Settled, Maturing → Orphaned, or to Failed",
      },
    ],
  });
export type PayoutWindowStatus = z.output<typeof payoutWindowStatus>;

/** A PayoutWindow as the operator reads it. */
export const payoutWindow = z.object({
  apiVersion: z.string(),
  kind: z.literal("PayoutWindow"),
  metadata: objectMeta,
  spec: payoutWindowSpec,
  status: payoutWindowStatus.optional(),
});
export type PayoutWindow = z.output<typeof payoutWindow>;

/** CRD facts of PayoutWindow. */
export const payoutWindowKind: KindInfo = {
  kind: "PayoutWindow",
  plural: "payoutwindows",
  singular: "payoutwindow",
  shortNames: ["pw"],
  categories: ["hyperhash"],
  printerColumns: [
    { name: "Height", type: "integer", jsonPath: ".status.height" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Hold", type: "boolean", jsonPath: ".spec.hold" },
    { name: "Subsidy", type: "string", jsonPath: ".status.totals.subsidySats" },
    { name: "Paid", type: "string", jsonPath: ".status.paidSats" },
    { name: "Pending", type: "string", jsonPath: ".status.pendingSats" },
    { name: "Digest", type: "string", jsonPath: ".status.totals.payoutDigest", priority: 1 },
    ageColumn,
  ],
  spec: payoutWindowSpec,
  status: payoutWindowStatus,
};
