import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { binaryPath } from "./binaries.ts";
import { type ControlPlane, startControlPlane } from "./control-plane.ts";
import {
  checkHostPrerequisites,
  killPodProcesses,
  NODE_NETWORK,
  prepareHost,
  restoreHost,
} from "./host-network.ts";
import { freePort } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";
import { startVolumeProvisioner, storageClassManifest } from "./volumes.ts";
import { waitFor } from "./wait.ts";

const run = promisify(execFile);

/** The devnet's node name (one node per machine). */
export const NODE_NAME = "hh-devnet-node";
/** The pause image every pod sandbox runs; built by images/build.ts, imported before the kubelet starts. */
export const PAUSE_IMAGE = "ghcr.io/hyperhash/pause:0.1.0";

/** A Kubernetes that runs pods: the control plane plus one node on containerd. */
export interface Cluster extends ControlPlane {
  readonly nodeName: string;
  readonly nodeIp: string;
  /** containerd's gRPC socket (images live in its `k8s.io` namespace). */
  readonly containerdSocket: string;
  /** Cluster DNS (CoreDNS, `cluster.local`) at this address, port 53. */
  readonly dnsIp: string;
  /** Imports OCI or docker-save image archives into the node's containerd. */
  importImages(archives: string[]): Promise<void>;
  /** `kubectl` with the admin kubeconfig; resolves with stdout. */
  kubectl(args: string[], input?: string): Promise<string>;
}

/** Memory in use by every pod on the node (the kubepods memory cgroup, cgroup v1), if readable. */
export function podMemoryBytes(): number | undefined {
  try {
    return Number(readFileSync("/sys/fs/cgroup/memory/kubepods/memory.usage_in_bytes", "utf8").trim());
  } catch {
    return undefined;
  }
}

/** Options for startCluster. */
export interface ClusterOptions {
  dir: string;
  /** Image archives imported before the kubelet starts; must include the pause image. */
  images: string[];
}

async function kubectlWith(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const child = run(binaryPath("kubectl"), [`--kubeconfig=${kubeconfig}`, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

function containerdConfig(dir: string, socket: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "version = 2",
    `root = "${join(dir, "root")}"`,
    `state = "${join(dir, "state")}"`,
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]',
    "[grpc]",
    `  address = "${socket}"`,
    "[ttrpc]",
    `  address = "${socket}.ttrpc"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${join(dir, "opt")}"`,
    `[${cri}]`,
    `  sandbox_image = "${PAUSE_IMAGE}"`,
    "  enable_selinux = false",
    "  disable_apparmor = true",
    "  restrict_oom_score_adj = true",
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    "  SystemdCgroup = false",
    `[${cri}.cni]`,
    '  bin_dir = "/usr/lib/cni"',
    `  conf_dir = "${join(dir, "net.d")}"`,
    "",
  ].join("\n");
}

function cniConfig(dir: string): string {
  const n = NODE_NETWORK;
  return JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: "hh-devnet",
      plugins: [
        {
          type: "bridge",
          bridge: n.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: n.podCidr, rangeStart: "10.88.1.1", gateway: n.nodeIp }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: join(dir, "ipam"),
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** Cluster-scoped RBAC the node's parts need (the API server runs RBAC only, no Node authorizer). */
const NODE_RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: hh-devnet:nodes }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: hh-devnet:coredns }
rules:
  - { apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: hh-devnet:coredns }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: hh-devnet:coredns }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: hh-devnet:coredns }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: hh-devnet:kube-router }
rules:
  - { apiGroups: [""], resources: [pods, namespaces, nodes, services, endpoints], verbs: [get, list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch] }
  - { apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch] }
  - { apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: hh-devnet:kube-router }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: hh-devnet:kube-router }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: hh-devnet:kube-router }]
`;

/**
 * Starts a Kubernetes that runs pods on this machine: the control plane bound to the node's
 * bridge address, kube-scheduler, containerd (CRI, overlayfs, runc, CNI bridge on the devnet's
 * own pod subnet), a kubelet registered as a Ready Node, kube-proxy (iptables) for Services, and
 * CoreDNS for `*.svc.cluster.local`. Every part is started and stopped by pid; `stop` also puts
 * the host back (see host-network.ts). One per machine.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  checkHostPrerequisites();
  const dir = options.dir;
  const n = NODE_NETWORK;
  const ctrDir = join(dir, "containerd");
  mkdirSync(join(ctrDir, "net.d"), { recursive: true });
  const socket = join(ctrDir, "containerd.sock");
  const host = prepareHost({ dir, containerdSocket: socket });
  const processes: ManagedProcess[] = [];
  let cp: ControlPlane | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await provisioner?.stop();
    const proxy = processes.find((p) => p.name === "kube-proxy");
    for (const p of [...processes].reverse()) {
      if (p.name === "containerd") continue;
      await p.stop();
    }
    if (proxy) spawnSync(binaryPath("kube-proxy"), ["--cleanup"], { stdio: "ignore" });
    // Pods die with their cgroups before containerd goes, so no shim outlives the run.
    killPodProcesses(socket);
    for (const p of processes) if (p.name === "containerd") await p.stop();
    await cp?.stop();
    restoreHost(host);
  };
  try {
    cp = await startControlPlane({ dir, address: n.nodeIp });
    const plane = cp;
    const kubectl = (args: string[], input?: string) => kubectlWith(plane.kubeconfigPath, args, input);
    await kubectl(["apply", "-f", "-"], NODE_RBAC);

    writeFileSync(join(ctrDir, "config.toml"), containerdConfig(ctrDir, socket));
    writeFileSync(join(ctrDir, "net.d", "10-hh-devnet.conflist"), cniConfig(ctrDir));
    const containerd = startProcess({
      name: "containerd",
      command: "/usr/bin/containerd",
      args: ["--config", join(ctrDir, "config.toml"), "--log-level", "warn"],
      logPath: join(dir, "containerd.log"),
    });
    processes.push(containerd);
    const ctr = (args: string[]) => run("/usr/bin/ctr", ["--address", socket, "-n", "k8s.io", ...args]);
    await waitFor(async () => existsSync(socket) && (await ctr(["version"])).stdout.includes("Server"), {
      what: "containerd to answer on its socket",
      timeoutMs: 30_000,
      watch: [containerd],
    });
    const importImages = async (archives: string[]) => {
      for (const archive of archives) {
        try {
          await ctr(["images", "import", "--no-unpack=false", archive]);
        } catch (err) {
          throw new Error(`importing ${archive} into containerd failed: ${(err as Error).message}`);
        }
      }
    };
    await importImages(options.images);
    const listed = (await ctr(["images", "ls", "-q"])).stdout;
    if (!listed.split("\n").includes(PAUSE_IMAGE)) {
      throw new Error(
        `the pause image ${PAUSE_IMAGE} is not among the imported images (build it: npx tsx images/build.ts)`,
      );
    }

    const schedPort = await freePort();
    const schedKubeconfig = plane.kubeconfigFor("system:kube-scheduler");
    processes.push(
      startProcess({
        name: "kube-scheduler",
        command: binaryPath("kube-scheduler"),
        args: [
          `--kubeconfig=${schedKubeconfig}`,
          `--authentication-kubeconfig=${schedKubeconfig}`,
          `--authorization-kubeconfig=${schedKubeconfig}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${schedPort}`,
          "--leader-elect=false",
          "--v=0",
        ],
        logPath: join(dir, "kube-scheduler.log"),
      }),
    );

    const kubeletDir = join(dir, "kubelet");
    mkdirSync(kubeletDir, { recursive: true });
    const serving = plane.ca.issue({
      name: "kubelet-serving",
      commonName: NODE_NAME,
      usage: "server",
      ipAddresses: [n.nodeIp],
      dnsNames: [NODE_NAME],
    });
    const [kubeletPort, kubeletHealthz] = [await freePort(), await freePort()];
    // Pods with dnsPolicy Default get this resolv.conf: the cluster DNS, never the host's resolvers.
    const resolvConf = join(kubeletDir, "resolv.conf");
    writeFileSync(resolvConf, `nameserver ${n.nodeIp}\n`);
    const kubeletConfig = {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      address: n.nodeIp,
      port: kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort: kubeletHealthz,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: plane.ca.certPath },
      },
      authorization: { mode: "Webhook" },
      tlsCertFile: serving.certPath,
      tlsPrivateKeyFile: serving.keyPath,
      cgroupDriver: "cgroupfs",
      containerRuntimeEndpoint: `unix://${socket}`,
      clusterDNS: [n.nodeIp],
      clusterDomain: "cluster.local",
      resolvConf,
      failSwapOn: false,
      // Images cannot be pulled back here: never collect them.
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { "memory.available": "200Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
      serializeImagePulls: false,
      maxPods: 110,
      rotateCertificates: false,
      serverTLSBootstrap: false,
      protectKernelDefaults: false,
      registerNode: true,
    };
    writeFileSync(join(kubeletDir, "config.yaml"), stringify(kubeletConfig));
    const kubeletKubeconfig = plane.kubeconfigFor(`system:node:${NODE_NAME}`, ["system:nodes"]);
    const kubelet = startProcess({
      name: "kubelet",
      command: binaryPath("kubelet"),
      args: [
        `--config=${join(kubeletDir, "config.yaml")}`,
        `--kubeconfig=${kubeletKubeconfig}`,
        `--root-dir=${join(kubeletDir, "root")}`,
        `--cert-dir=${join(kubeletDir, "pki")}`,
        `--node-ip=${n.nodeIp}`,
        `--hostname-override=${NODE_NAME}`,
        "--v=1",
      ],
      logPath: join(dir, "kubelet.log"),
    });
    processes.push(kubelet);

    const [proxyHealthz, proxyMetrics] = [await freePort(), await freePort()];
    processes.push(
      startProcess({
        name: "kube-proxy",
        command: binaryPath("kube-proxy"),
        args: [
          `--kubeconfig=${plane.kubeconfigFor("system:kube-proxy")}`,
          "--proxy-mode=iptables",
          `--cluster-cidr=${n.podCidr}`,
          `--hostname-override=${NODE_NAME}`,
          `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
          `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
          `--nodeport-addresses=${n.nodeIp}/32`,
          "--conntrack-max-per-core=0",
          "--v=0",
        ],
        logPath: join(dir, "kube-proxy.log"),
      }),
    );

    const corefile = join(dir, "Corefile");
    writeFileSync(
      corefile,
      [
        `.:53 {`,
        `  bind ${n.nodeIp}`,
        "  errors",
        `  kubernetes cluster.local in-addr.arpa {`,
        `    kubeconfig ${plane.kubeconfigFor("hh-devnet:coredns")} devnet`,
        "    pods insecure",
        "    ttl 5",
        "  }",
        "  cache 5",
        "}",
        "",
      ].join("\n"),
    );
    processes.push(
      startProcess({
        name: "coredns",
        command: binaryPath("coredns"),
        args: ["-conf", corefile],
        logPath: join(dir, "coredns.log"),
      }),
    );

    await waitFor(
      async () => {
        const out = await kubectl([
          "get",
          "node",
          NODE_NAME,
          "-o",
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        return out.trim() === "True";
      },
      { what: `node ${NODE_NAME} Ready`, timeoutMs: 90_000, intervalMs: 250, watch: processes },
    );
    await waitFor(
      async () => {
        const taints = await kubectl(["get", "node", NODE_NAME, "-o", "jsonpath={.spec.taints}"]);
        return !taints.includes("not-ready");
      },
      { what: "the not-ready taint to go", timeoutMs: 60_000, intervalMs: 250, watch: processes },
    );
    // NetworkPolicy enforcement: kube-router's firewall only (iptables + ipset on the bridge's
    // traffic); routing stays CNI's, Services stay kube-proxy's. It reads its Node at start.
    const kubeRouter = startProcess({
      name: "kube-router",
      command: binaryPath("kube-router"),
      args: [
        `--kubeconfig=${plane.kubeconfigFor("hh-devnet:kube-router")}`,
        `--hostname-override=${NODE_NAME}`,
        "--run-firewall=true",
        "--run-router=false",
        "--run-service-proxy=false",
        "--run-loadbalancer=false",
        "--enable-cni=false",
        `--service-cluster-ip-range=${n.serviceCidr}`,
        "--health-port=0",
        "--metrics-port=0",
        "--v=1",
      ],
      logPath: join(dir, "kube-router.log"),
    });
    processes.push(kubeRouter);
    await waitFor(async () => (await run("iptables", ["-S", "KUBE-ROUTER-FORWARD"])).stdout.length > 0, {
      what: "kube-router's KUBE-ROUTER-FORWARD chain (NetworkPolicy enforcement)",
      timeoutMs: 30_000,
      intervalMs: 200,
      watch: [kubeRouter],
    });
    await kubectl(["apply", "-f", "-"], storageClassManifest);
    provisioner = startVolumeProvisioner({
      root: join(dir, "volumes"),
      kubectl,
      onError: (err) => console.error(`[cluster] volume provisioner: ${(err as Error).message}`),
    });
    return {
      ...plane,
      processes: [...plane.processes, ...processes],
      nodeName: NODE_NAME,
      nodeIp: n.nodeIp,
      containerdSocket: socket,
      dnsIp: n.nodeIp,
      importImages,
      kubectl,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
