import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPidAlive } from "./process.ts";

/**
 * The devnet node's own network, and the machine-wide state it changes.
 *
 * Every address in play belongs to the devnet: a bridge `hh0` it creates, holding the node
 * address 10.88.0.1 on the pod subnet 10.88.0.0/16 (CNI puts each pod's veth on it), and the
 * Service range 10.0.0.0/16, routed onto the same bridge so a ClusterIP without endpoints dies
 * there instead of following the default route. A forward chain drops anything pods send off the
 * pod subnet: no masquerade, no route off the machine.
 *
 * The kubelet, the bridge plugin and kube-proxy change machine-wide state (sysctls, iptables,
 * cgroups, links). One node per machine, so a lock and a state file in /run/hyperhash record
 * what was changed; `restoreHost` undoes it, also for a run that crashed and left it behind.
 */
export const NODE_NETWORK = {
  bridge: "hh0",
  nodeIp: "10.88.0.1",
  podCidr: "10.88.0.0/16",
  prefixLength: 16,
  serviceCidr: "10.0.0.0/16",
  /** The `kubernetes` Service's ClusterIP (first of the Service range). */
  apiServiceIp: "10.0.0.1",
  forwardChain: "HH-DEVNET-FORWARD",
} as const;

/** Sysctls the node's parts change; their values before the node started are restored. */
const SYSCTLS = [
  "net.ipv4.ip_forward",
  "net.bridge.bridge-nf-call-iptables",
  "vm.overcommit_memory",
  "kernel.panic",
  "kernel.panic_on_oops",
  "net.ipv4.conf.all.route_localnet",
] as const;

const stateDir = process.env.HH_NODE_STATE_DIR ?? "/run/hyperhash";
const statePath = join(stateDir, "node.json");

/** What a node run recorded about the host before changing it. */
export interface HostState {
  ownerPid: number;
  /** The run's work directory (kubelet and containerd state live there). */
  dir: string;
  sysctls: Record<string, string>;
  /** containerd's socket, to find the run's shims. */
  containerdSocket: string;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function trySh(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function readSysctl(name: string): string | undefined {
  const path = `/proc/sys/${name.replaceAll(".", "/")}`;
  return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
}

function writeSysctl(name: string, value: string): void {
  const path = `/proc/sys/${name.replaceAll(".", "/")}`;
  if (existsSync(path)) writeFileSync(path, `${value}\n`);
}

/** Fails with what to do when the machine cannot host a node. */
export function checkHostPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("the devnet node needs root (it creates a bridge, cgroups and iptables rules)");
  }
  const missing = [
    ["containerd", "/usr/bin/containerd", "containerd"],
    ["runc", "/usr/sbin/runc", "runc"],
    ["CNI bridge plugin", "/usr/lib/cni/bridge", "containernetworking-plugins"],
    ["iptables", "/usr/sbin/iptables", "iptables"],
    ["conntrack", "/usr/sbin/conntrack", "conntrack"],
    ["ipset", "/usr/sbin/ipset", "ipset"],
  ].filter(([, path]) => !existsSync(path as string));
  if (missing.length > 0) {
    const pkgs = missing.map((m) => m[2]).join(" ");
    throw new Error(
      `the devnet node needs ${missing.map((m) => m[0]).join(", ")}: run \`npm run bootstrap -- --node\` (apt-get install -y ${pkgs})`,
    );
  }
}

/** The recorded state of a node run on this machine, if any. */
export function readHostState(): HostState | undefined {
  if (!existsSync(statePath)) return undefined;
  try {
    return JSON.parse(readFileSync(statePath, "utf8")) as HostState;
  } catch {
    return undefined;
  }
}

/**
 * Takes the machine's node lock and prepares the host network. A previous run whose owner is
 * dead is cleaned up first; a live one is refused (one node per machine).
 */
export function prepareHost(options: { dir: string; containerdSocket: string }): HostState {
  mkdirSync(stateDir, { recursive: true });
  const previous = readHostState();
  if (previous) {
    if (previous.ownerPid !== process.pid && isPidAlive(previous.ownerPid)) {
      throw new Error(
        `a devnet node is already running on this machine (pid ${previous.ownerPid}, ${previous.dir}); one node per machine: stop it first, or use its cluster (HH_CLUSTER_STATE)`,
      );
    }
    restoreHost(previous);
  }
  const sysctls: Record<string, string> = {};
  for (const name of SYSCTLS) {
    const value = readSysctl(name);
    if (value !== undefined) sysctls[name] = value;
  }
  const state: HostState = {
    ownerPid: process.pid,
    dir: options.dir,
    sysctls,
    containerdSocket: options.containerdSocket,
  };
  writeFileSync(statePath, JSON.stringify(state, null, 2));

  const n = NODE_NETWORK;
  sh("ip", ["link", "add", n.bridge, "type", "bridge"]);
  sh("ip", ["addr", "add", `${n.nodeIp}/${n.prefixLength}`, "dev", n.bridge]);
  sh("ip", ["link", "set", n.bridge, "up"]);
  sh("ip", ["route", "add", n.serviceCidr, "dev", n.bridge]);
  // Bridged pod-to-pod replies must pass iptables for kube-proxy's DNAT to be undone.
  writeSysctl("net.bridge.bridge-nf-call-iptables", "1");
  writeSysctl("net.ipv4.ip_forward", "1");
  sh("iptables", ["-N", n.forwardChain]);
  sh("iptables", ["-A", n.forwardChain, "-s", n.podCidr, "-d", n.podCidr, "-j", "ACCEPT"]);
  sh("iptables", ["-A", n.forwardChain, "-s", n.podCidr, "-j", "DROP"]);
  sh("iptables", ["-A", n.forwardChain, "-d", n.podCidr, "-j", "DROP"]);
  sh("iptables", ["-I", "FORWARD", "1", "-j", n.forwardChain]);
  return state;
}

/** Every pid in the node's pod cgroups (cgroup v1 hierarchies, cgroupfs driver). */
function podCgroupDirs(): string[] {
  const dirs: string[] = [];
  const roots = existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : [];
  for (const controller of roots) {
    const base = join("/sys/fs/cgroup", controller, "kubepods");
    if (!existsSync(base)) continue;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      dirs.push(d);
    };
    walk(base);
  }
  return dirs; // deepest first within each controller
}

function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** containerd shims serving the given socket. */
function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmd[0]?.endsWith("containerd-shim-runc-v2") && cmd.includes(socket)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Unmounts everything below `dir`, deepest first. */
function unmountBelow(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) trySh("umount", ["-l", m]);
}

/** Kills every process left in the pod cgroups and the shims of a containerd socket. */
export function killPodProcesses(containerdSocket: string): void {
  for (let round = 0; round < 3; round++) {
    const pids = new Set<number>();
    for (const d of podCgroupDirs()) {
      try {
        for (const p of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n")) if (p) pids.add(Number(p));
      } catch {
        // gone
      }
    }
    for (const p of shimPids(containerdSocket)) pids.add(p);
    if (pids.size === 0) break;
    killPids(pids);
    // Wait (bounded) for the kernel to reap them before the cgroups can be removed.
    const deadline = Date.now() + 5000;
    const tick = new Int32Array(new SharedArrayBuffer(4));
    while ([...pids].some((p) => isPidAlive(p)) && Date.now() < deadline) Atomics.wait(tick, 0, 0, 20);
  }
}

/**
 * Removes the rules and chains the kubelet, kube-proxy and kube-router left (KUBE-*, which covers
 * KUBE-ROUTER-*, KUBE-NWPLCY-* and KUBE-POD-FW-*): no other Kubernetes runs here.
 */
function removeKubeChains(): void {
  for (const table of ["filter", "nat", "mangle"]) {
    let rules: string[];
    try {
      rules = sh("iptables", ["-t", table, "-S"]).split("\n");
    } catch {
      continue;
    }
    for (const rule of rules) {
      const m = /^-A (\S+) (.*-j KUBE-\S+.*)$/.exec(rule);
      if (m?.[1] && !m[1].startsWith("KUBE-"))
        trySh("iptables", ["-t", table, "-D", m[1], ...m[2]!.split(" ")]);
    }
    const chains = rules.map((r) => /^-N (KUBE-\S+)$/.exec(r)?.[1]).filter((c): c is string => !!c);
    for (const c of chains) trySh("iptables", ["-t", table, "-F", c]);
    for (const c of chains) trySh("iptables", ["-t", table, "-X", c]);
  }
}

/**
 * Destroys the ipsets kube-router's NetworkPolicy controller made (KUBE-SRC-*, KUBE-DST-*, its
 * kube-router-* sets and their TMP-/inet6: twins); their iptables references must be gone first.
 */
function removeKubeRouterIpsets(): void {
  if (!existsSync("/usr/sbin/ipset")) return;
  let names: string[];
  try {
    names = sh("ipset", ["list", "-n"]).split("\n");
  } catch {
    return;
  }
  const ours = /^(inet6:)?(KUBE-SRC-|KUBE-DST-|kube-router-|TMP-)/;
  for (const name of names.map((s) => s.trim()).filter((s) => ours.test(s)))
    trySh("ipset", ["destroy", name]);
}

/**
 * Puts the host back as it was: kills what is left in the pod cgroups and the run's shims,
 * unmounts the kubelet's and containerd's mounts, removes kube-proxy's and the kubelet's rules,
 * the forward chain, the bridge and the veths on it, and restores the sysctls. Safe to call twice.
 */
export function restoreHost(state: HostState): void {
  const n = NODE_NETWORK;
  killPodProcesses(state.containerdSocket);
  for (const d of podCgroupDirs()) {
    try {
      rmdirSync(d);
    } catch {
      // still busy: the next run's restore retries
    }
  }
  if (state.dir) unmountBelow(state.dir);
  removeKubeChains();
  removeKubeRouterIpsets();
  trySh("iptables", ["-D", "FORWARD", "-j", n.forwardChain]);
  trySh("iptables", ["-F", n.forwardChain]);
  trySh("iptables", ["-X", n.forwardChain]);
  // veths CNI made on the bridge go with their pods' netns; delete any left.
  try {
    const links = sh("ip", ["-o", "link", "show", "master", n.bridge]);
    for (const line of links.split("\n")) {
      const name = line.split(":")[1]?.trim().split("@")[0];
      if (name) trySh("ip", ["link", "del", name]);
    }
  } catch {
    // no bridge
  }
  trySh("ip", ["route", "del", n.serviceCidr, "dev", n.bridge]);
  trySh("ip", ["link", "del", n.bridge]);
  for (const [name, value] of Object.entries(state.sysctls)) {
    try {
      writeSysctl(name, value);
    } catch {
      // read-only on this kernel
    }
  }
  rmSync(statePath, { force: true });
}
