import { z } from "zod";

/** The API group and version of every Hyper Hash custom resource. */
export const GROUP = "hyperhash.network";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Condition status values, as in metav1.Condition. */
export const conditionStatus = z.enum(["True", "False", "Unknown"]);
export type ConditionStatus = z.infer<typeof conditionStatus>;

/** One condition, the Kubernetes condition shape (metav1.Condition). */
export const condition = z.object({
  type: z.string().min(1).max(316),
  status: conditionStatus,
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
  lastTransitionTime: z.iso.datetime(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof condition>;

/** `status.conditions`: a list keyed by type, so server-side apply merges entries by type. */
export const conditions = z
  .array(condition)
  .max(16)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });

/** A reference to one key of a Secret in the resource's namespace. */
export const secretKeyRef = z.object({
  name: z.string().min(1).max(253),
  key: z.string().min(1).max(253),
});
export type SecretKeyRef = z.infer<typeof secretKeyRef>;

/** Bitcoin networks the platform runs on. */
export const network = z.enum(["regtest", "signet", "testnet4", "mainnet"]);
export type Network = z.infer<typeof network>;

/** An amount of sats as a decimal string (status mirrors of bigint values). */
export const satsString = z.string().regex(/^(0|[1-9][0-9]{0,19})$/);

/** `host:port`. */
export const hostPort = z
  .string()
  .min(3)
  .max(261)
  .regex(/^[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}$/);

/** A Lightning node public key: 33 bytes compressed, hex. */
export const pubkeyHex = z.string().regex(/^0[23][0-9a-f]{64}$/);

/** Object metadata as the operator reads it (the API server owns its schema). */
export const objectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  ownerReferences: z.array(z.looseObject({ uid: z.string(), kind: z.string(), name: z.string() })).optional(),
  creationTimestamp: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** What the CRD generator needs to know about a kind besides its schemas. */
export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  printerColumns: Array<{
    name: string;
    type: "string" | "integer" | "number" | "boolean" | "date";
    jsonPath: string;
    description?: string;
    priority?: number;
  }>;
  /** CEL rules on the whole object (root level). */
  rootValidations?: Array<{ rule: string; message: string; reason?: string }>;
  spec: z.ZodType;
  status: z.ZodType;
}

/** Printer columns every kind shows. */
export const readyColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
} as const;
export const ageColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" } as const;
