/** The operator process: validated env → startOperator; stops cleanly on SIGTERM/SIGINT. */
import { z } from "zod";
import { httpCoreClient } from "./core/core-client.ts";
import { startOperator } from "./operator.ts";

const env = z
  .object({
    KUBECONFIG: z.string().min(1),
    CORE_URL: z.url(),
    CORE_ADMIN_TOKEN: z.string().min(16),
    TREASURY_SECRET: z
      .string()
      .regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, "namespace/name")
      .default("hyperhash/treasury-lnd"),
    WINDOW_NAMESPACE: z.string().min(1).default("hyperhash"),
    WATCH_NAMESPACE: z.string().min(1).optional(),
    OPS_HOST: z.string().default("0.0.0.0"),
    OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    TELEMETRY_STALE_SECONDS: z.coerce.number().int().min(10).default(120),
    POLL_SECONDS: z.coerce.number().int().min(1).default(30),
    WINDOW_POLL_SECONDS: z.coerce.number().int().min(1).default(5),
    CHANNEL_MAX_OPEN_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
    NODE_AGENT_IMAGE: z.string().optional(),
    TRANSLATOR_IMAGE: z.string().optional(),
    LND_IMAGE: z.string().optional(),
    TEMPLATE_PROVIDER_IMAGE: z.string().optional(),
    WORKLOAD_IMAGE_PULL_POLICY: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    CORE_URL_IN_CLUSTER: z.url().optional(),
    POOL_ENDPOINT: z.string().optional(),
    /** The platform chain node's p2p Service, `host:port`: managed lnds' neutrino peer. */
    NEUTRINO_PEER: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, "host:port")
      .optional(),
    OPERATOR_NAMESPACE: z.string().default("hyperhash"),
    /** JSON array of NetworkPolicy peers allowed to the workloads' ops port (scrapers). */
    MONITORING_FROM: z
      .string()
      .max(16_384)
      .optional()
      .transform((text, ctx) => {
        if (text === undefined || text.trim() === "") return [];
        try {
          return z.array(z.record(z.string(), z.unknown())).max(64).parse(JSON.parse(text));
        } catch {
          ctx.addIssue({
            code: "custom",
            message: "MONITORING_FROM must be a JSON array of NetworkPolicy peers",
          });
          return z.NEVER;
        }
      }),
  })
  .parse(process.env);

const [treasuryNamespace, treasuryName] = env.TREASURY_SECRET.split("/") as [string, string];
const images = Object.fromEntries(
  Object.entries({
    nodeAgent: env.NODE_AGENT_IMAGE,
    translator: env.TRANSLATOR_IMAGE,
    lnd: env.LND_IMAGE,
    templateProvider: env.TEMPLATE_PROVIDER_IMAGE,
  }).filter(([, v]) => v),
);
const operator = await startOperator({
  kubeconfigPath: env.KUBECONFIG,
  core: httpCoreClient({ baseUrl: env.CORE_URL, adminToken: env.CORE_ADMIN_TOKEN }),
  treasurySecret: { namespace: treasuryNamespace, name: treasuryName },
  windowNamespace: env.WINDOW_NAMESPACE,
  namespace: env.WATCH_NAMESPACE,
  opsHost: env.OPS_HOST,
  opsPort: env.OPS_PORT,
  logLevel: env.LOG_LEVEL,
  telemetryStaleMs: env.TELEMETRY_STALE_SECONDS * 1000,
  pollMs: env.POLL_SECONDS * 1000,
  windowPollMs: env.WINDOW_POLL_SECONDS * 1000,
  maxOpenAttempts: env.CHANNEL_MAX_OPEN_ATTEMPTS,
  platform: {
    images: images as never,
    ...(env.WORKLOAD_IMAGE_PULL_POLICY ? { imagePullPolicy: env.WORKLOAD_IMAGE_PULL_POLICY } : {}),
    ...(env.CORE_URL_IN_CLUSTER ? { coreUrl: env.CORE_URL_IN_CLUSTER } : {}),
    ...(env.POOL_ENDPOINT ? { poolEndpoint: env.POOL_ENDPOINT } : {}),
    ...(env.NEUTRINO_PEER ? { neutrinoPeer: env.NEUTRINO_PEER } : {}),
    operatorNamespace: env.OPERATOR_NAMESPACE,
    ...(env.MONITORING_FROM.length ? { monitoringFrom: env.MONITORING_FROM } : {}),
  },
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void operator.stop().then(() => process.exit(0));
  });
}
