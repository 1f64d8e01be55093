#!/usr/bin/env node
// `npm run cluster`: the devnet's Kubernetes with a real node (see cluster.ts), with every image
// of the platform built (or reused) and imported. Writes a state file that tests read through
// HH_CLUSTER_STATE (shared-cluster.ts), then runs until SIGINT/SIGTERM and puts the host back.
//   cluster-cli.ts [--state FILE] [--dir DIR] [--only pause,node,...] [--keep-dir]
//   cluster-cli.ts --reload --state FILE [--only operator,...]
// --reload rebuilds the images (or the named ones) and imports them into the running cluster
// that FILE describes, then exits: restart the pods that use them to pick them up
// (`kubectl rollout restart`). The tags stay the same, so the kubelet needs no pull.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startCluster } from "./cluster.ts";
import { clusterStateSchema, writeClusterState } from "./shared-cluster.ts";

const { values } = parseArgs({
  options: {
    state: { type: "string" },
    dir: { type: "string" },
    "keep-dir": { type: "boolean", default: false },
    reload: { type: "boolean", default: false },
    /** Build only these images (comma-separated names); default all. */
    only: { type: "string" },
  },
});

const started = Date.now();
const say = (line: string) =>
  console.log(`[cluster +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

const dir = values.dir ?? mkdtempSync(join(tmpdir(), "hh-cluster-"));
mkdirSync(dir, { recursive: true });
const statePath = values.state ?? join(dir, "cluster.json");

const { buildImages } = await import("../../../images/build.ts");
say("building images (unchanged ones are reused)...");
// ghcr.io/hyperhash/...: the references the chart and the operator use by default.
const only = values.only?.split(",").map((s) => s.trim());
const built = await buildImages({
  registry: "ghcr.io",
  ...(only ? { only } : {}),
  log: (line: string) => say(line),
});
say(`${built.length} images ready (${built.filter((b) => b.reused).length} reused)`);

if (values.reload) {
  if (!values.state) throw new Error("--reload needs --state FILE (the running cluster's state file)");
  const state = clusterStateSchema.parse(JSON.parse(readFileSync(values.state, "utf8")));
  for (const b of built.filter((b) => !b.reused)) {
    execFileSync("/usr/bin/ctr", [
      "--address",
      state.containerdSocket,
      "-n",
      "k8s.io",
      "images",
      "import",
      "--no-unpack=false",
      b.archivePath,
    ]);
    say(`imported ${b.ref}`);
  }
  process.exit(0);
}

say("starting the control plane, containerd, kubelet, kube-proxy and CoreDNS...");
const cluster = await startCluster({ dir, images: built.map((b) => b.archivePath) });
writeClusterState(
  statePath,
  cluster,
  dir,
  built.map((b) => b.ref),
);
say(`node ${cluster.nodeName} Ready at ${cluster.nodeIp}; API server ${cluster.server}`);
say(`kubeconfig ${cluster.kubeconfigPath}`);
say(`state ${statePath} (export HH_CLUSTER_STATE=${statePath})`);

let stopping = false;
const stop = async (why: string) => {
  if (stopping) return;
  stopping = true;
  say(`${why}: stopping the node and restoring the host...`);
  await cluster.stop();
  rmSync(statePath, { force: true });
  if (!values["keep-dir"] && !values.dir) rmSync(dir, { recursive: true, force: true });
  say("stopped");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
// Stay up until signalled.
setInterval(() => {}, 1 << 30);
