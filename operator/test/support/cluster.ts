import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ControlPlane, startControlPlane } from "@hyperhash/devnet";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { installCrds } from "../../src/runtime/crds.ts";
import { type KubeClient, kubeClient } from "../../src/runtime/kube.ts";

/** A real control plane with the operator's CRDs installed, and an admin client. */
export interface TestCluster {
  cp: ControlPlane;
  dir: string;
  admin: KubeClient;
  stop(): Promise<void>;
}

/** Loads a kubeconfig file into a KubeClient. */
export function clientFor(kubeconfigPath: string, fieldManager = "hyperhash-test"): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kubeClient(kc, fieldManager);
}

/** Starts etcd + kube-apiserver + kube-controller-manager and installs the CRDs. */
export async function startTestCluster(prefix: string): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `hh-op-${prefix}-`));
  const cp = await startControlPlane({ dir });
  const admin = clientFor(cp.kubeconfigPath);
  try {
    await installCrds(admin);
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "hyperhash" } });
  } catch (err) {
    await cp.stop();
    throw err;
  }
  return {
    cp,
    dir,
    admin,
    stop: async () => {
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Binds config/rbac.yaml's ClusterRole to the operator's ServiceAccount identity and returns a
 * kubeconfig for that identity: the operator under test holds exactly the generated role.
 */
export async function operatorKubeconfig(cluster: TestCluster): Promise<string> {
  const role = parse(
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "config", "rbac.yaml"), "utf8"),
  );
  await cluster.admin.apply(role);
  await cluster.admin.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "hyperhash-operator" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
    subjects: [{ kind: "ServiceAccount", name: "operator", namespace: "hyperhash" }],
  } as never);
  return cluster.cp.kubeconfigFor("system:serviceaccount:hyperhash:operator", ["system:serviceaccounts"]);
}
