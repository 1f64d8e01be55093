import type { NewSecret, SecretStore, StoredSecret } from "../../src/secrets.ts";

/** An in-memory SecretStore with a write log, for unit tests. */
export function memorySecrets(initial: Record<string, StoredSecret> = {}) {
  const secrets = new Map<string, StoredSecret>(Object.entries(initial));
  const writes: Array<{ op: "create" | "put" | "annotate"; name: string }> = [];
  const copy = (s: NewSecret): StoredSecret => ({
    data: { ...s.data },
    annotations: { ...(s.annotations ?? {}) },
  });
  const store: SecretStore = {
    get: async (name) => secrets.get(name),
    async create(name, s) {
      if (secrets.has(name)) return "exists";
      writes.push({ op: "create", name });
      secrets.set(name, copy(s));
      return "created";
    },
    async put(name, s) {
      writes.push({ op: "put", name });
      secrets.set(name, copy(s));
    },
    async annotate(name, annotations) {
      const s = secrets.get(name);
      if (!s) throw new Error(`404 ${name}`);
      writes.push({ op: "annotate", name });
      secrets.set(name, { ...s, annotations: { ...s.annotations, ...annotations } });
    },
  };
  return { store, secrets, writes };
}
