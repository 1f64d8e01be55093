import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";

/** One Secret as the duties see it: raw bytes per key (the API's base64 is the adapter's business). */
export interface StoredSecret {
  data: Record<string, Uint8Array>;
  annotations: Record<string, string>;
}

/** What a Secret is created with. */
export interface NewSecret {
  data: Record<string, Uint8Array>;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * The agent's view of its namespace's Secrets: only the calls the duties make, so unit tests
 * use an in-memory fake and the integration test the real API server.
 */
export interface SecretStore {
  get(name: string): Promise<StoredSecret | undefined>;
  /** Creates, never overwrites: "exists" when a Secret of that name is already there. */
  create(name: string, secret: NewSecret): Promise<"created" | "exists">;
  /** Creates or replaces the data (the SCB, which changes with every channel). */
  put(name: string, secret: NewSecret): Promise<void>;
  /** Merges annotations into an existing Secret; its data is untouched. */
  annotate(name: string, annotations: Record<string, string>): Promise<void>;
}

const toBytes = (data: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))]),
  );
const toBase64 = (data: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));

const statusOf = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

/** A SecretStore on the API server (@kubernetes/client-node 1.4), in one namespace. */
export function kubeSecretStore(kc: KubeConfig, namespace: string): SecretStore {
  const api = kc.makeApiClient(CoreV1Api);
  const body = (name: string, s: NewSecret) => ({
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, annotations: s.annotations, labels: s.labels },
    data: toBase64(s.data),
  });
  return {
    async get(name) {
      try {
        const s = await api.readNamespacedSecret({ name, namespace });
        return { data: toBytes(s.data), annotations: s.metadata?.annotations ?? {} };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async create(name, secret) {
      try {
        await api.createNamespacedSecret({ namespace, body: body(name, secret) });
        return "created";
      } catch (err) {
        if (statusOf(err) === 409) return "exists";
        throw err;
      }
    },
    async put(name, secret) {
      try {
        await api.replaceNamespacedSecret({ name, namespace, body: body(name, secret) });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        await api.createNamespacedSecret({ namespace, body: body(name, secret) });
      }
    },
    async annotate(name, annotations) {
      await api.patchNamespacedSecret(
        { name, namespace, body: { metadata: { annotations } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    },
  };
}
