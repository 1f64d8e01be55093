import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The devnet's default StorageClass: a directory on this machine per claim. */
export const STORAGE_CLASS = "hh-local";
const PROVISIONER = "hyperhash.network/devnet-hostpath";

/** The StorageClass manifest the cluster applies at start. */
export const storageClassManifest = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: ${PROVISIONER}
reclaimPolicy: Delete
volumeBindingMode: Immediate
`;

const claimList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), namespace: z.string(), uid: z.string() }),
      spec: z.object({
        storageClassName: z.string().nullish(),
        volumeName: z.string().nullish(),
        accessModes: z.array(z.string()).default(["ReadWriteOnce"]),
        resources: z
          .object({ requests: z.object({ storage: z.string() }).partial() })
          .partial()
          .default({}),
      }),
      status: z.object({ phase: z.string().optional() }).default({}),
    }),
  ),
});

const volumeList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), annotations: z.record(z.string(), z.string()).nullish() }),
      spec: z.object({ hostPath: z.object({ path: z.string() }).nullish() }),
      status: z.object({ phase: z.string().optional() }).default({}),
    }),
  ),
});

/** A claim waiting for a volume of the devnet's class: pure, so it is tested without a cluster. */
export function claimsToProvision(claims: z.infer<typeof claimList>): z.infer<typeof claimList>["items"] {
  return claims.items.filter(
    (c) =>
      (c.spec.storageClassName ?? STORAGE_CLASS) === STORAGE_CLASS &&
      !c.spec.volumeName &&
      c.status.phase === "Pending",
  );
}

/** The PersistentVolume for one claim: a hostPath directory under `root`, pre-bound to it. */
export function volumeFor(
  claim: z.infer<typeof claimList>["items"][number],
  root: string,
): Record<string, unknown> {
  const name = `pv-${claim.metadata.uid}`;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec.resources.requests?.storage ?? "1Gi" },
      accessModes: claim.spec.accessModes,
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: STORAGE_CLASS,
      hostPath: { path: join(root, name), type: "DirectoryOrCreate" },
      claimRef: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
      },
    },
  };
}

/**
 * A minimal dynamic provisioner for the one-node devnet: each Pending claim of class `hh-local`
 * gets a hostPath PersistentVolume under `root` (mode 0777 so non-root pods can write; only this
 * machine's pods mount it), and a Released volume is deleted with its directory.
 */
export function startVolumeProvisioner(options: {
  root: string;
  kubectl: (args: string[], input?: string) => Promise<string>;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}): { stop(): Promise<void> } {
  mkdirSync(options.root, { recursive: true });
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();
  const once = async () => {
    const claims = claimList.parse(JSON.parse(await options.kubectl(["get", "pvc", "-A", "-o", "json"])));
    for (const claim of claimsToProvision(claims)) {
      const pv = volumeFor(claim, options.root);
      const path = (pv.spec as { hostPath: { path: string } }).hostPath.path;
      mkdirSync(path, { recursive: true });
      chmodSync(path, 0o777);
      await options.kubectl(["apply", "-f", "-"], JSON.stringify(pv));
    }
    const volumes = volumeList.parse(JSON.parse(await options.kubectl(["get", "pv", "-o", "json"])));
    for (const v of volumes.items) {
      if (v.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) continue;
      if (v.status.phase !== "Released" && v.status.phase !== "Failed") continue;
      await options.kubectl(["delete", "pv", v.metadata.name, "--wait=false"]);
      if (v.spec.hostPath?.path.startsWith(options.root))
        rmSync(v.spec.hostPath.path, { recursive: true, force: true });
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    pass = pass.then(once).catch((err) => options.onError?.(err));
  }, options.intervalMs ?? 1000);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pass;
    },
  };
}
