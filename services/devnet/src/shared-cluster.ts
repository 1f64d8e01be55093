import { execFile } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { z } from "zod";
import { binaryPath } from "./binaries.ts";
import type { Cluster } from "./cluster.ts";

const run = promisify(execFile);

/**
 * The node's cgroups, bridge, iptables chains and sysctls are machine-wide, so one cluster serves
 * a whole test run: scripts/run-tests.mjs starts it (`cli.ts cluster`) before ava and names its
 * state file in HH_CLUSTER_STATE. Tests isolate themselves by namespace (and by release name).
 */
export const clusterStateSchema = z.object({
  server: z.string().url(),
  kubeconfigPath: z.string().min(1),
  caPath: z.string().min(1),
  nodeName: z.string().min(1),
  nodeIp: z.string().min(1),
  containerdSocket: z.string().min(1),
  dir: z.string().min(1),
  /** Image refs imported into the node (name:tag as the chart names them). */
  images: z.array(z.string()),
  pid: z.number().int().positive(),
});
/** What a running shared cluster publishes to the tests. */
export type ClusterState = z.infer<typeof clusterStateSchema>;

/** Writes the state file (last: its existence means "ready"). */
export function writeClusterState(path: string, cluster: Cluster, dir: string, images: string[]): void {
  const state: ClusterState = {
    server: cluster.server,
    kubeconfigPath: cluster.kubeconfigPath,
    caPath: cluster.ca.certPath,
    nodeName: cluster.nodeName,
    nodeIp: cluster.nodeIp,
    containerdSocket: cluster.containerdSocket,
    dir,
    images,
    pid: process.pid,
  };
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2));
  // rename is atomic: a reader sees the whole file or none
  renameSync(`${path}.tmp`, path);
}

/** The shared cluster a test uses, with kubectl bound to its admin kubeconfig. */
export interface SharedCluster extends ClusterState {
  kubectl(args: string[], input?: string): Promise<string>;
}

/**
 * The run's shared cluster. Fails, never skips, when there is none, saying how to get one.
 */
export function sharedCluster(): SharedCluster {
  const path = process.env.HH_CLUSTER_STATE;
  if (!path || !existsSync(path)) {
    throw new Error(
      "this test runs pods on the devnet's node, which the test runner starts: run it through `npm test` or `npm run test:integration` (scripts/run-tests.mjs), or start a node with `npm run cluster` and set HH_CLUSTER_STATE to the state file it prints",
    );
  }
  const state = clusterStateSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  const kubectl = async (args: string[], input?: string) => {
    const child = run(binaryPath("kubectl"), [`--kubeconfig=${state.kubeconfigPath}`, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    try {
      return (await child).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`);
    }
  };
  return { ...state, kubectl };
}
