import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The devnet's default StorageClass: a directory on this machine per claim. */
export const STORAGE_CLASS = "hh-local";
const PROVISIONER = "hyperhash.network/devnet-hostpath";

/** The annotation kube-scheduler puts on a claim of a WaitForFirstConsumer class once it picked the pod's node. */
export const SELECTED_NODE = "volume.kubernetes.io/selected-node";

/**
 * The StorageClass manifest the cluster applies at start. WaitForFirstConsumer: the scheduler
 * keeps the pod in its binding cycle (PreBind waits for the claim to bind) instead of parking it
 * as unschedulable when its claim is still unbound. With Immediate, a pod tried before the
 * provisioner's volume existed went to the unschedulable queue and, once the wake-up event was
 * missed, waited for the scheduler's 5-minute flush (a CI run's treasury lnd pod had no node for
 * over 180 s).
 */
export const storageClassManifest = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: ${PROVISIONER}
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
`;

const claimList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({
        name: z.string(),
        namespace: z.string(),
        uid: z.string(),
        annotations: z.record(z.string(), z.string()).nullish(),
      }),
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

/** The shape of `kubectl get pvc -o json` the provisioner reads. */
export type ClaimList = z.input<typeof claimList>;

/**
 * The claims waiting for a volume of the devnet's class whose pod the scheduler has placed
 * (WaitForFirstConsumer: a claim no pod uses yet stays unprovisioned, as with any provisioner).
 * Pure, so it is tested without a cluster.
 */
export function claimsToProvision(claims: ClaimList): z.infer<typeof claimList>["items"] {
  return claimList
    .parse(claims)
    .items.filter(
      (c) =>
        (c.spec.storageClassName ?? STORAGE_CLASS) === STORAGE_CLASS &&
        !c.spec.volumeName &&
        c.status.phase === "Pending" &&
        Boolean(c.metadata.annotations?.[SELECTED_NODE]),
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
 * the scheduler has placed (its selected-node annotation) gets a hostPath PersistentVolume under `root` (mode 0777 so non-root pods can write; only this
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
    const claims = JSON.parse(await options.kubectl(["get", "pvc", "-A", "-o", "json"])) as ClaimList;
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
