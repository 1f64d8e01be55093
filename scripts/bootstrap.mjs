#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages when node_modules is missing or
// older than package-lock.json, and with --stack builds the pinned Go binaries (btcd, lnd,
// etcd, kube-apiserver, ...) into the per-version cache when any is missing.
// Uses only Node built-ins, so it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));

function run(cmd, argv, what) {
  const started = Date.now();
  const r = spawnSync(cmd, argv, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`[bootstrap] ${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
  console.log(`[bootstrap] ${what} done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

const lock = join(root, "package-lock.json");
const installed = join(root, "node_modules", ".package-lock.json");
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log("[bootstrap] installing npm packages (npm ci)...");
  run("npm", ["ci", "--no-audit", "--no-fund"], "npm ci");
}

if (args.has("--stack")) {
  const check = spawnSync("bash", [join(root, "services/devnet/stack/build.sh"), "--check"], {
    cwd: root,
    encoding: "utf8",
  });
  if (check.status !== 0) {
    console.log(
      "[bootstrap] building the real stack from the Go module proxy (first run: tens of minutes)...",
    );
    run("bash", [join(root, "services/devnet/stack/build.sh")], "stack build");
  }
}

// The devnet node (kubelet on containerd) needs Debian's container runtime, CNI plugins and
// iptables. Installed when missing, as root (this machine kind's developers and CI are root).
const nodePackages = [
  ["/usr/bin/containerd", "containerd"],
  ["/usr/sbin/runc", "runc"],
  ["/usr/lib/cni/bridge", "containernetworking-plugins"],
  ["/usr/sbin/iptables", "iptables"],
  ["/usr/sbin/conntrack", "conntrack"],
  ["/usr/sbin/ipset", "ipset"],
];
if (args.has("--stack") || args.has("--node")) {
  const missing = nodePackages.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      console.error(
        `[bootstrap] the devnet node needs Debian packages: ${missing.join(" ")}. Run as root, or: sudo apt-get install -y ${missing.join(" ")}`,
      );
      process.exit(2);
    }
    console.log(`[bootstrap] installing the node's Debian packages: ${missing.join(" ")}...`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const started = Date.now();
    for (const argv of [
      ["update", "-q"],
      ["install", "-y", "-q", "--no-install-recommends", ...missing],
    ]) {
      const r = spawnSync("apt-get", argv, { cwd: root, stdio: "inherit", env });
      if (r.status !== 0) {
        console.error(`[bootstrap] apt-get ${argv[0]} failed (exit ${r.status ?? r.signal}).`);
        process.exit(r.status ?? 1);
      }
    }
    console.log(`[bootstrap] node packages installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}
