import { z } from "zod";
import {
  ageColumn,
  conditions,
  hostPort,
  type KindInfo,
  network,
  objectMeta,
  readyColumn,
} from "./common.ts";

/** TemplateProvider.spec: hh-tp replicas behind one Service, fed by a bitcoind. */
export const templateProviderSpec = z.object({
  replicas: z.number().int().min(1).max(32).default(2),
  network,
  bitcoind: z.object({
    /** JSON-RPC endpoint, `host:port`. */
    rpcEndpoint: hostPort,
    /** Secret with `username` and `password` keys for the RPC. */
    credentialsSecretName: z.string().min(1).max(253),
  }),
  /** The Template Distribution (SV2, Noise) port of the Service. */
  port: z.number().int().min(1024).max(65535).default(8442),
});
export type TemplateProviderSpec = z.output<typeof templateProviderSpec>;

/** TemplateProvider.status. */
export const templateProviderStatus = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: conditions.optional(),
  availableReplicas: z.number().int().min(0).optional(),
  /** The Service (VIP) miners' pools connect to, `name.namespace.svc:port`. */
  endpoint: z.string().max(300).optional(),
});
export type TemplateProviderStatus = z.output<typeof templateProviderStatus>;

/** A TemplateProvider as the operator reads it. */
export const templateProvider = z.object({
  apiVersion: z.string(),
  kind: z.literal("TemplateProvider"),
  metadata: objectMeta,
  spec: templateProviderSpec,
  status: templateProviderStatus.optional(),
});
export type TemplateProvider = z.output<typeof templateProvider>;

/** CRD facts of TemplateProvider. */
export const templateProviderKind: KindInfo = {
  kind: "TemplateProvider",
  plural: "templateproviders",
  singular: "templateprovider",
  shortNames: ["tp"],
  categories: ["hyperhash"],
  printerColumns: [
    { name: "Network", type: "string", jsonPath: ".spec.network" },
    { name: "Desired", type: "integer", jsonPath: ".spec.replicas" },
    { name: "Available", type: "integer", jsonPath: ".status.availableReplicas" },
    readyColumn,
    ageColumn,
  ],
  spec: templateProviderSpec,
  status: templateProviderStatus,
};
