import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { connect } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { binaryPath } from "./binaries.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createServiceAccountKeys,
  type IssuedCert,
} from "./pki.ts";
import { freePort } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** etcd + kube-apiserver + kube-controller-manager on loopback, with an admin kubeconfig. */
export interface ControlPlane {
  /** `https://127.0.0.1:port` of the API server. */
  readonly server: string;
  /** A kubeconfig for `system:masters` (client certificate), usable by @kubernetes/client-node and kubectl. */
  readonly kubeconfigPath: string;
  readonly ca: CertificateAuthority;
  /** Issues a kubeconfig for another user (RBAC applies to it). */
  kubeconfigFor(user: string, groups?: string[]): string;
  readonly processes: ManagedProcess[];
  stop(): Promise<void>;
}

function kubeconfigYaml(server: string, caPem: string, user: string, client: IssuedCert): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "devnet", cluster: { server, "certificate-authority-data": b64(caPem) } }],
    users: [
      {
        name: user,
        user: { "client-certificate-data": b64(client.certPem), "client-key-data": b64(client.keyPem) },
      },
    ],
    contexts: [{ name: "devnet", context: { cluster: "devnet", user } }],
    "current-context": "devnet",
  });
}

function httpsGet(url: string, ca: string, cert: IssuedCert): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, cert: cert.certPem, key: cert.keyPem, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function tcpListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Options for startControlPlane. */
export interface ControlPlaneOptions {
  dir: string;
  /**
   * The address the API server binds and advertises. 127.0.0.1 (the default) for a control plane
   * alone; the devnet node's bridge address when pods run (see cluster.ts), so pods reach the API
   * server through the `kubernetes` Service, whose endpoint the lease reconciler then maintains.
   */
  address?: string;
}

/**
 * Starts a local Kubernetes control plane: etcd (no fsync: tests), kube-apiserver with RBAC and
 * client-certificate authentication, and kube-controller-manager (garbage collector, Deployment,
 * StatefulSet and other controllers). Alone it has no node: Pods stay Pending. `startCluster`
 * adds the scheduler, a kubelet on containerd and the service path.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const address = options.address ?? "127.0.0.1";
  const withNode = address !== "127.0.0.1";
  const dir = join(options.dir, "control-plane");
  mkdirSync(dir, { recursive: true });
  const [etcdClient, etcdPeer, apiPort, kcmPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const ca = createCertificateAuthority(dir, "hyperhash-devnet-ca");
  const serving = ca.issue({
    name: "apiserver",
    commonName: "kube-apiserver",
    usage: "server",
    ipAddresses: [...new Set(["127.0.0.1", "10.0.0.1", address])],
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
  });
  const sa = createServiceAccountKeys(dir);
  // The API server's identity toward kubelets (logs, exec, port-forward).
  const kubeletClient = ca.issue({
    name: "apiserver-kubelet-client",
    commonName: "kube-apiserver-kubelet-client",
    organization: "system:masters",
    usage: "client",
  });
  const server = `https://${address}:${apiPort}`;
  const kubeconfigFor = (user: string, groups: string[] = []) => {
    const safe = user.replace(/[^a-zA-Z0-9_.-]/g, "_");
    const client = ca.issue({
      name: `user-${safe}`,
      commonName: user,
      organization: groups.join("/O="),
      usage: "client",
    });
    const path = join(dir, `${safe}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml(server, ca.certPem, user, client), { mode: 0o600 });
    return path;
  };
  const admin = ca.issue({
    name: "admin",
    commonName: "hyperhash-admin",
    organization: "system:masters",
    usage: "client",
  });
  const kubeconfigPath = join(dir, "admin.kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfigYaml(server, ca.certPem, "hyperhash-admin", admin), {
    mode: 0o600,
  });

  const processes: ManagedProcess[] = [];
  const stop = async () => {
    // Reverse order: controllers, then the API server, then its store.
    for (const p of [...processes].reverse()) await p.stop();
  };
  try {
    const etcd = startProcess({
      name: "etcd",
      command: binaryPath("etcd"),
      args: [
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      logPath: join(dir, "etcd.log"),
    });
    processes.push(etcd);
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === "true";
      },
      { what: "etcd to report healthy", timeoutMs: 30_000, watch: [etcd] },
    );

    const apiserver = startProcess({
      name: "kube-apiserver",
      command: binaryPath("kube-apiserver"),
      args: [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--bind-address=${address}`,
        `--advertise-address=${address}`,
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${serving.certPath}`,
        `--tls-private-key-file=${serving.keyPath}`,
        `--client-ca-file=${ca.certPath}`,
        // With a node, pods reach the API server through the `kubernetes` Service.
        `--endpoint-reconciler-type=${withNode ? "lease" : "none"}`,
        ...(withNode
          ? [
              "--kubelet-preferred-address-types=InternalIP",
              `--kubelet-client-certificate=${kubeletClient.certPath}`,
              `--kubelet-client-key=${kubeletClient.keyPath}`,
              `--kubelet-certificate-authority=${ca.certPath}`,
            ]
          : []),
        "--service-cluster-ip-range=10.0.0.0/16",
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${sa.publicKeyPath}`,
        `--service-account-signing-key-file=${sa.privateKeyPath}`,
        "--allow-privileged=true",
        "--v=0",
      ],
      logPath: join(dir, "kube-apiserver.log"),
    });
    processes.push(apiserver);
    await waitFor(
      async () => {
        const res = await httpsGet(`${server}/readyz`, ca.certPem, admin);
        return res.status === 200;
      },
      { what: "kube-apiserver /readyz", timeoutMs: 120_000, intervalMs: 250, watch: [etcd, apiserver] },
    );

    const kcmKubeconfig = kubeconfigFor("system:kube-controller-manager");
    const kcm = startProcess({
      name: "kube-controller-manager",
      command: binaryPath("kube-controller-manager"),
      args: [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        `--cert-dir=${join(dir, "kcm")}`,
        "--leader-elect=false",
        `--service-account-private-key-file=${sa.privateKeyPath}`,
        `--root-ca-file=${ca.certPath}`,
        "--use-service-account-credentials=true",
        // The node-lifecycle controller removes the not-ready taint once a kubelet reports Ready.
        `--controllers=*,-nodeipam,${withNode ? "" : "-nodelifecycle,"}-cloud-node-lifecycle,-route,-service`,
        "--v=0",
      ],
      logPath: join(dir, "kube-controller-manager.log"),
    });
    processes.push(kcm);
    await waitFor(() => tcpListening(kcmPort), {
      what: "kube-controller-manager to listen",
      timeoutMs: 60_000,
      intervalMs: 250,
      watch: [kcm],
    });
    return { server, kubeconfigPath, ca, kubeconfigFor, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
