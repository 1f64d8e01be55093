#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages when node_modules is missing or
// older than package-lock.json, builds the secp256k1 addon, and with --stack builds the pinned Go binaries (btcd, lnd,
// etcd, kube-apiserver, ...) into the per-version cache when any is missing.
// Uses only Node built-ins, so it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
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

// The Noise handshake's libsecp256k1 addon (services/sv2/native): compiled once per machine into
// the cache, copied into the clone; a no-op when current. Every test path needs it.
{
  const r = spawnSync(process.execPath, [join(root, "services/sv2/native/build.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0) {
    console.error(`[bootstrap] building the secp256k1 addon failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
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
// iptables, and the devnet's observability its Prometheus (prometheus, promtool). Installed
// when missing, as root (this machine kind's developers and CI are root). Debian's prometheus
// package would start its own server through the init system; the devnet never uses it (it
// runs its own on loopback), and containers here have no init system to start it.
const nodePackages = [
  ["/usr/bin/containerd", "containerd"],
  ["/usr/sbin/runc", "runc"],
  ["/usr/lib/cni/bridge", "containernetworking-plugins"],
  ["/usr/sbin/iptables", "iptables"],
  ["/usr/sbin/conntrack", "conntrack"],
  ["/usr/sbin/ipset", "ipset"],
  ["/usr/bin/prometheus", "prometheus"],
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
    // No package may start a service while installing (Debian's policy-rc.d convention, exit
    // 101 = action forbidden): prometheus's postinst would otherwise start a server on :9090.
    const policy = "/usr/sbin/policy-rc.d";
    const ownPolicy = !existsSync(policy);
    if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    let failed;
    try {
      for (const argv of [
        ["update", "-q"],
        ["install", "-y", "-q", "--no-install-recommends", ...missing],
      ]) {
        const r = spawnSync("apt-get", argv, { cwd: root, stdio: "inherit", env });
        if (r.status !== 0) {
          console.error(`[bootstrap] apt-get ${argv[0]} failed (exit ${r.status ?? r.signal}).`);
          failed = r.status ?? 1;
          break;
        }
      }
    } finally {
      if (ownPolicy) rmSync(policy, { force: true });
    }
    if (failed !== undefined) process.exit(failed);
    console.log(`[bootstrap] node packages installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}
