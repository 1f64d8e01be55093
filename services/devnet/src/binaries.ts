import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The binaries the devnet runs, as pinned in stack/build.sh. */
export type BinaryName =
  | "btcd"
  | "btcctl"
  | "etcd"
  | "etcdctl"
  | "lnd"
  | "lncli"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kubelet"
  | "kube-proxy"
  | "kubectl"
  | "coredns"
  | "kube-router"
  | "helm"
  | "actionlint";

/** A pinned binary and where the cache keeps it. */
export interface Binary {
  name: BinaryName;
  version: string;
  path: string;
}

const buildScript = join(dirname(fileURLToPath(import.meta.url)), "..", "stack", "build.sh");
let listing: Map<string, Binary> | undefined;

/** Every pinned binary, read from build.sh (the one place versions are written). */
export function pinnedBinaries(): Map<string, Binary> {
  if (!listing) {
    const out = execFileSync("bash", [buildScript, "--list"], { encoding: "utf8" });
    listing = new Map();
    for (const line of out.trim().split("\n")) {
      const [name, version, path] = line.split(" ");
      if (name && version && path) listing.set(name, { name: name as BinaryName, version, path });
    }
  }
  return listing;
}

/**
 * The path of a built binary. Fails with the command that builds it when it is missing,
 * so a test never skips silently for want of a part.
 */
export function binaryPath(name: BinaryName): string {
  const binary = pinnedBinaries().get(name);
  if (!binary) throw new Error(`${name} is not pinned in ${buildScript}`);
  try {
    accessSync(binary.path, constants.X_OK);
  } catch {
    throw new Error(
      `${name} ${binary.version} is not built (${binary.path} is missing). Run \`npm run stack:build\` (or \`npm test\`, which builds it) to build it from the Go module proxy.`,
    );
  }
  return binary.path;
}
