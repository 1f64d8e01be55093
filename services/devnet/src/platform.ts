import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type BitcoinRpc, bitcoinRpc, jsonRpcClient } from "@hyperhash/bitcoin";
import { encodeAuthoritySecretKey, generateSecretKey } from "@hyperhash/sv2";
import { schnorr } from "@noble/curves/secp256k1.js";
import { binaryPath } from "./binaries.ts";
import { namespaceDiagnostics } from "./diagnostics.ts";
import { createFaucet, type Faucet } from "./faucet.ts";
import { waitFor } from "./wait.ts";

const run = promisify(execFile);

/** The chart, and the profiles the devnet installs it with. */
export const chartDir = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "charts",
  "hyperhash",
);
export const devnetValues = [join(chartDir, "values-regtest.yaml"), join(chartDir, "values-devnet.yaml")];

/** Where the platform was installed, and how to reach its parts. */
export interface Platform {
  namespace: string;
  release: string;
  /** `<release>-hyperhash`: the prefix of every object the chart makes. */
  prefix: string;
  /** btcctl inside the btcd pod (its RPC is TLS with the chart's CA; exec needs no port-forward). */
  btcctl(args: string[]): Promise<string>;
  /** btcd's RPC from this machine: its ClusterIP, TLS checked against the chart's CA and Service name. */
  rpc: BitcoinRpc;
  /** btcd mines to this key's address; it pays from mature coinbases. */
  faucet: Faucet;
  /** The pool's Noise authority key (x-only): SV2 miners check its certificate with it. */
  poolAuthorityPublicKey: Uint8Array;
  /** A Service's ClusterIP and ports (reachable from this machine through kube-proxy). */
  serviceAddress(name: string): Promise<{ host: string; ports: Array<{ name?: string; port: number }> }>;
  /** lncli inside the treasury lnd pod. */
  treasuryLncli(args: string[]): Promise<string>;
  helm(args: string[]): Promise<string>;
}

/** Options for installPlatform. */
export interface PlatformOptions {
  kubeconfigPath: string;
  namespace: string;
  release: string;
  /** Helm's cache and config (kept out of $HOME). */
  workDir: string;
  /** Extra `helm install` arguments (`--set`, `-f`). */
  extraArgs?: string[];
  log?: (line: string) => void;
}

function kubectlWith(kubeconfig: string) {
  return async (args: string[], input?: string): Promise<string> => {
    const child = run(binaryPath("kubectl"), [`--kubeconfig=${kubeconfig}`, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    try {
      return (await child).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.slice(0, 4).join(" ")} failed: ${(e.stderr ?? e.message).trim()}`);
    }
  };
}

/** The host directory of a claim's volume (the devnet's hostPath provisioner, volumes.ts). */
async function lndVolumePath(
  kubectl: (args: string[]) => Promise<string>,
  ns: string,
  claim: string,
): Promise<string> {
  const pv = (await kubectl(["-n", ns, "get", "pvc", claim, "-o", "jsonpath={.spec.volumeName}"])).trim();
  const path = (await kubectl(["get", "pv", pv, "-o", "jsonpath={.spec.hostPath.path}"])).trim();
  if (!path) throw new Error(`the claim ${ns}/${claim} has no hostPath volume (is it on the devnet's node?)`);
  return path;
}

/**
 * The Secrets the chart cannot generate: the pool's and the TP's Noise authority keys. Returns
 * the manifests and the pool's public key (x-only), which miners check the pool's certificate with.
 */
function authoritySecrets(namespace: string): { manifests: string; poolAuthorityPublicKey: Uint8Array } {
  const keys = [0, 1].map(() => generateSecretKey((n) => new Uint8Array(randomBytes(n))));
  const manifests = ["hyperhash-pool-authority", "hyperhash-tp-authority"]
    .map((name, i) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "Opaque",
        stringData: { authoritySecretKey: encodeAuthoritySecretKey(keys[i]!) },
      }),
    )
    .join("\n");
  return { manifests, poolAuthorityPublicKey: schnorr.getPublicKey(keys[0]!) };
}

/**
 * Installs the chart's core plane (regtest profile, btcd as the chain node, local images) and
 * brings it to Ready: btcd mined past segwit activation, the treasury lnd's Secret made from its
 * own TLS certificate and admin macaroon (the profile's development lnd), its wallet funded,
 * then every Deployment and StatefulSet of the release rolled out.
 */
export async function installPlatform(options: PlatformOptions): Promise<Platform> {
  try {
    return await install(options);
  } catch (err) {
    // A wait that timed out says what the cluster saw: unscheduled pods, crash loops, events.
    const seen = await namespaceDiagnostics(kubectlWith(options.kubeconfigPath), options.namespace).catch(
      (e: Error) => `(no diagnostics: ${e.message})`,
    );
    throw new Error(`${(err as Error).message}\nnamespace ${options.namespace}:\n${seen}`, { cause: err });
  }
}

async function install(options: PlatformOptions): Promise<Platform> {
  const { namespace: ns, release } = options;
  const log = options.log ?? (() => {});
  const kubectl = kubectlWith(options.kubeconfigPath);
  const prefix = `${release}-hyperhash`;
  mkdirSync(options.workDir, { recursive: true });
  const helm = async (args: string[]) => {
    try {
      const { stdout } = await run(binaryPath("helm"), [...args, "--kubeconfig", options.kubeconfigPath], {
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(options.workDir, "helm-cache"),
          HELM_CONFIG_HOME: join(options.workDir, "helm-config"),
          HELM_DATA_HOME: join(options.workDir, "helm-data"),
        },
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`helm ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
    }
  };
  const exec = (target: string, container: string, argv: string[]) =>
    kubectl(["-n", ns, "exec", target, "-c", container, "--", ...argv]);
  const rpcPassword = async () =>
    Buffer.from(
      await kubectl(["-n", ns, "get", "secret", `${prefix}-bitcoind-rpc`, "-o", "jsonpath={.data.password}"]),
      "base64",
    ).toString("utf8");
  let password = "";
  const btcctl = async (args: string[]) => {
    password ||= await rpcPassword();
    return exec(`${prefix}-btcd-0`, "btcd", [
      "btcctl",
      "-C",
      "/dev/null",
      "--regtest",
      "--rpcuser=hyperhash",
      `--rpcpass=${password}`,
      "--rpcserver=127.0.0.1:18334",
      "--rpccert=/tls/tls.crt",
      "--skipverify",
      ...args,
    ]);
  };
  const treasuryLncli = (args: string[]) =>
    exec(`${prefix}-treasury-lnd-0`, "lnd", ["lncli", "--lnddir=/data/lnd", "--network=regtest", ...args]);

  // btcd mines to the faucet's key from its first block (the chart's btcd.miningAddress); the
  // faucet reaches btcd once its Service exists, so it is handed an RPC that resolves late.
  let btcdRpc: BitcoinRpc | undefined;
  const rpc = new Proxy({} as BitcoinRpc, {
    get: (_, key) => {
      if (!btcdRpc) throw new Error("btcd's RPC is not reachable yet");
      return btcdRpc[key as keyof BitcoinRpc];
    },
  });
  const faucet = createFaucet(rpc);
  await kubectl(["create", "namespace", ns]).catch((err: Error) => {
    if (!err.message.includes("AlreadyExists")) throw err;
  });
  const authority = authoritySecrets(ns);
  await kubectl(["apply", "-f", "-"], authority.manifests);
  // CRDs are the cluster's (values-devnet.yaml turns the chart's copies off): applied
  // server-side from crds/, the operator's generated output, so every release sees the same.
  await kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(chartDir, "..", "..", "crds")]);
  for (const crd of ["hypernodes", "templateproviders", "lightningchannels", "payoutwindows"]) {
    await kubectl(["wait", "--for=condition=Established", `crd/${crd}.hyperhash.network`, "--timeout=60s"]);
  }
  log(`helm install ${release} (namespace ${ns})`);
  await helm([
    "install",
    release,
    chartDir,
    "-n",
    ns,
    ...devnetValues.flatMap((f) => ["-f", f]),
    "--set",
    `btcd.miningAddress=${faucet.address}`,
    ...(options.extraArgs ?? []),
  ]);

  await kubectl(["-n", ns, "rollout", "status", `statefulset/${prefix}-btcd`, "--timeout=180s"]);
  const rpcSecret = JSON.parse(
    await kubectl(["-n", ns, "get", "secret", `${prefix}-bitcoind-rpc`, "-o", "json"]),
  ) as { data: Record<string, string> };
  const clusterIp = (
    await kubectl(["-n", ns, "get", "service", `${prefix}-btcd`, "-o", "jsonpath={.spec.clusterIP}"])
  ).trim();
  btcdRpc = bitcoinRpc(
    jsonRpcClient({
      url: `https://${clusterIp}:18334`,
      user: "hyperhash",
      password: Buffer.from(rpcSecret.data.password ?? "", "base64").toString("utf8"),
      caPem: Buffer.from(rpcSecret.data["ca.crt"] ?? "", "base64").toString("utf8"),
      servername: `${prefix}-btcd.${ns}.svc`,
    }),
    "btcd",
  );
  await waitFor(async () => (await rpc.getBlockCount()) >= 0, {
    what: "btcd's RPC through its Service",
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  // Segwit activates at height 432 on regtest (BIP9); templates need a recent tip. Past 600
  // (regtest halves every 150 blocks) the subsidy is 3.125 BTC, so a node's part of a window
  // (0.5 %) is 1.5625 M sats and a few windows fit the HyperNodes' channels: at 12.5 BTC two
  // pool blocks already owed a node more than one 10 M channel carries (InsufficientLiquidity).
  await rpc.generate(610);
  log("btcd: 610 blocks mined (segwit active, subsidy 3.125 BTC)");

  const info = await waitFor(
    async () => {
      const out = JSON.parse(await treasuryLncli(["getinfo"])) as {
        synced_to_chain?: boolean;
        identity_pubkey?: string;
      };
      return out.synced_to_chain ? out : undefined;
    },
    { what: "the treasury lnd to sync to btcd", timeoutMs: 180_000, intervalMs: 1000 },
  );
  log(`treasury lnd synced (${info.identity_pubkey})`);
  // The development lnd's TLS certificate and admin macaroon live on its volume, which the
  // devnet's provisioner keeps on this machine (the lnd image has no shell to read them with).
  const volume = await lndVolumePath(kubectl, ns, `data-${prefix}-treasury-lnd-0`);
  const tlsCert = readFileSync(join(volume, "lnd", "tls.cert"));
  const macaroon = readFileSync(join(volume, "lnd", "data", "chain", "bitcoin", "regtest", "admin.macaroon"));
  await kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${prefix}-treasury-lnd`, namespace: ns },
      type: "Opaque",
      data: {
        socket: Buffer.from(`${prefix}-treasury-lnd.${ns}.svc:10009`).toString("base64"),
        "tls.cert": tlsCert.toString("base64"),
        macaroon: macaroon.toString("base64"),
        "macaroon.hex": Buffer.from(macaroon.toString("hex")).toString("base64"),
      },
    }),
  );
  // The pool's coinbase pays the treasury lnd's wallet (the chart's placeholder until now):
  // `helm upgrade` rolls the pool onto it. btcd keeps its placeholder --miningaddr: on regtest
  // btcd deletes its chain when it restarts, so it is never rolled.
  const address = (JSON.parse(await treasuryLncli(["newaddress", "p2wkh"])) as { address: string }).address;
  await helm([
    "upgrade",
    release,
    chartDir,
    "-n",
    ns,
    "--reuse-values",
    "--set",
    `pool.treasuryAddress=${address}`,
    // Every workload of the new revision Ready: a bare rollout status right after an upgrade
    // can read the previous revision as complete.
    "--wait",
    "--timeout",
    "300s",
  ]);
  log(`helm upgrade: the pool pays the treasury wallet ${address}`);
  // Fund the treasury wallet from the faucet: its channels to the nodes and its on-chain batches
  // come from these coins (a window's own coinbase matures only 100 blocks later). 3 × 40 BTC,
  // each from one of the first, 50 BTC coinbases.
  for (let i = 0; i < 3; i++) await faucet.pay([{ address, sats: 40n * 100_000_000n }]);
  await rpc.generate(1);
  await waitFor(
    async () => {
      const b = JSON.parse(await treasuryLncli(["walletbalance"])) as { confirmed_balance?: string };
      return BigInt(b.confirmed_balance ?? "0") >= 120n * 100_000_000n;
    },
    { what: "the treasury wallet's 120 BTC to confirm", timeoutMs: 120_000, intervalMs: 500 },
  );
  log("treasury wallet funded: 120 BTC");

  for (const kind of ["deployment", "statefulset"]) {
    const names = (
      await kubectl(["-n", ns, "get", kind, "-l", `app.kubernetes.io/instance=${release}`, "-o", "name"])
    )
      .split("\n")
      .filter(Boolean);
    for (const name of names) {
      await kubectl(["-n", ns, "rollout", "status", name, "--timeout=300s"]);
      log(`${name} ready`);
    }
  }
  return {
    namespace: ns,
    release,
    prefix,
    btcctl,
    rpc,
    faucet,
    treasuryLncli,
    helm,
    poolAuthorityPublicKey: authority.poolAuthorityPublicKey,
    serviceAddress: async (name: string) => {
      const svc = JSON.parse(await kubectl(["-n", ns, "get", "service", name, "-o", "json"])) as {
        spec: { clusterIP: string; ports: Array<{ name?: string; port: number }> };
      };
      return { host: svc.spec.clusterIP, ports: svc.spec.ports };
    },
  };
}

/** An lnd a node owner runs next to the platform: what an external-mode HyperNode points at. */
export interface OwnerLnd {
  /** `<name>.<ns>.svc:10009` */
  grpcEndpoint: string;
  p2pAddress: string;
  /** The Secret holding `tls.cert` and `macaroon.hex` (admin: the owner's choice). */
  secretName: string;
  pubkey: string;
  lncli(args: string[]): Promise<string>;
}

/**
 * Runs an lnd as a StatefulSet of its own in the platform's namespace (btcd backend, keysend on,
 * development wallet without seed backup), waits until it is synced, and writes the Secret an
 * external-mode HyperNode names, from the lnd's own files on its volume.
 */
export async function deployOwnerLnd(
  options: { kubeconfigPath: string; platform: Platform },
  name: string,
): Promise<OwnerLnd> {
  const kubectl = kubectlWith(options.kubeconfigPath);
  const { namespace: ns, prefix } = options.platform;
  const labels = { "app.kubernetes.io/name": name };
  const btcd = `${prefix}-btcd`;
  const lndImage = "ghcr.io/hyperhash/lnd:v0.20.1-beta";
  const manifest = {
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: ns, labels },
        spec: {
          selector: labels,
          ports: [
            { name: "grpc", port: 10009, targetPort: 10009 },
            { name: "p2p", port: 9735, targetPort: 9735 },
          ],
        },
      },
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name, namespace: ns, labels },
        spec: {
          serviceName: name,
          replicas: 1,
          selector: { matchLabels: labels },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
          template: {
            // The chart's NetworkPolicies admit pods so labelled to the chain node's RPC.
            metadata: { labels: { ...labels, "hyperhash.network/chain-client": "true" } },
            spec: {
              securityContext: { runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true },
              containers: [
                {
                  name: "lnd",
                  image: lndImage,
                  imagePullPolicy: "Never",
                  command: ["lnd"],
                  env: [
                    {
                      name: "RPC_PASSWORD",
                      valueFrom: { secretKeyRef: { name: `${prefix}-bitcoind-rpc`, key: "password" } },
                    },
                  ],
                  args: [
                    "--lnddir=/data/lnd",
                    "--bitcoin.regtest",
                    "--bitcoin.node=btcd",
                    `--btcd.rpchost=${btcd}:18334`,
                    "--btcd.rpcuser=hyperhash",
                    "--btcd.rpcpass=$(RPC_PASSWORD)",
                    "--btcd.rpccert=/etc/bitcoin-rpc/ca.crt",
                    "--noseedbackup",
                    "--rpclisten=0.0.0.0:10009",
                    "--listen=0.0.0.0:9735",
                    `--tlsextradomain=${name}`,
                    `--tlsextradomain=${name}.${ns}.svc`,
                    "--accept-keysend",
                    `--alias=${name}`,
                  ],
                  volumeMounts: [
                    { name: "data", mountPath: "/data" },
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "bitcoin-rpc", mountPath: "/etc/bitcoin-rpc", readOnly: true },
                  ],
                  readinessProbe: { tcpSocket: { port: 9735 }, periodSeconds: 2 },
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: {} },
                {
                  name: "bitcoin-rpc",
                  secret: {
                    secretName: `${prefix}-bitcoind-rpc`,
                    items: [{ key: "ca.crt", path: "ca.crt" }],
                  },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "256Mi" } } },
            },
          ],
        },
      },
    ],
  };
  await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  await kubectl(["-n", ns, "rollout", "status", `statefulset/${name}`, "--timeout=180s"]);
  const lncli = (args: string[]) =>
    kubectl([
      "-n",
      ns,
      "exec",
      `${name}-0`,
      "-c",
      "lnd",
      "--",
      "lncli",
      "--lnddir=/data/lnd",
      "--network=regtest",
      ...args,
    ]);
  const info = await waitFor(
    async () => {
      const out = JSON.parse(await lncli(["getinfo"])) as {
        synced_to_chain?: boolean;
        identity_pubkey?: string;
      };
      return out.synced_to_chain && out.identity_pubkey ? out : undefined;
    },
    { what: `${name} to sync to btcd`, timeoutMs: 180_000, intervalMs: 1000 },
  );
  const volume = await lndVolumePath(kubectl, ns, `data-${name}-0`);
  const tlsCert = readFileSync(join(volume, "lnd", "tls.cert"));
  const macaroon = readFileSync(join(volume, "lnd", "data", "chain", "bitcoin", "regtest", "admin.macaroon"));
  const secretName = `${name}-lnd`;
  await kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secretName, namespace: ns },
      type: "Opaque",
      data: {
        "tls.cert": tlsCert.toString("base64"),
        "macaroon.hex": Buffer.from(macaroon.toString("hex")).toString("base64"),
      },
    }),
  );
  return {
    grpcEndpoint: `${name}.${ns}.svc:10009`,
    p2pAddress: `${name}.${ns}.svc:9735`,
    secretName,
    pubkey: info.identity_pubkey ?? "",
    lncli,
  };
}

/** The HyperNode manifest for a node owner's lnd (external mode). */
/**
 * The devnet's HyperNodes ask for 10 M sats of inbound: on regtest a node's part of a window
 * (0.5 % of the subsidy, 3.125 BTC past height 600) is 1.5625 M sats, which a 0.5 M channel can
 * never carry (the payment waits with InsufficientLiquidity, as the e2e saw). 10 M covers several
 * windows and stays under lnd's non-wumbo channel limit (16,777,215 sats).
 */
export const DEVNET_MIN_INBOUND_SATS = 10_000_000;

/** A devnet HyperNode (regtest, public, one treasury channel of DEVNET_MIN_INBOUND_SATS). */
function devnetHyperNode(
  namespace: string,
  name: string,
  lightning: Record<string, unknown>,
  translator: boolean,
): object {
  return {
    apiVersion: "hyperhash.network/v1alpha1",
    kind: "HyperNode",
    metadata: { name, namespace },
    spec: {
      visibility: "public",
      network: "regtest",
      lightning: { ...lightning, minTreasuryChannels: 1, minInboundSats: DEVNET_MIN_INBOUND_SATS },
      translator: { enabled: translator },
    },
  };
}

export function externalHyperNode(
  namespace: string,
  name: string,
  owner: OwnerLnd,
  translator = true,
): object {
  return devnetHyperNode(
    namespace,
    name,
    {
      mode: "external",
      external: {
        grpcEndpoint: owner.grpcEndpoint,
        p2pAddress: owner.p2pAddress,
        tlsCertSecretRef: { name: owner.secretName, key: "tls.cert" },
        macaroonSecretRef: { name: owner.secretName, key: "macaroon.hex" },
      },
    },
    translator,
  );
}

/**
 * A managed-mode HyperNode: the operator runs its lnd (neutrino against the chart's btcd, the
 * operator's default peer) with the node agent as sidecar, which creates the wallet.
 */
export function managedHyperNode(namespace: string, name: string, translator = true): object {
  return devnetHyperNode(namespace, name, { mode: "managed", managed: { storageSize: "1Gi" } }, translator);
}

/**
 * lncli inside a managed HyperNode's lnd pod, with the admin macaroon lnd wrote on its volume and
 * the operator's TLS certificate (it names localhost).
 */
export function managedLncli(
  options: { kubeconfigPath: string; namespace: string },
  name: string,
): (args: string[]) => Promise<string> {
  const kubectl = kubectlWith(options.kubeconfigPath);
  return (args) =>
    kubectl([
      "-n",
      options.namespace,
      "exec",
      `${name}-lnd-0`,
      "-c",
      "lnd",
      "--",
      "lncli",
      "--network=regtest",
      "--rpcserver=localhost:10009",
      "--tlscertpath=/etc/lnd/tls/tls.crt",
      "--macaroonpath=/data/lnd/data/chain/bitcoin/regtest/admin.macaroon",
      ...args,
    ]);
}

/** A HyperNode's status as the operator writes it. */
export interface HyperNodeStatus {
  nodeId?: string;
  lightningPubkey?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/**
 * Waits until a HyperNode is Ready, mining a block whenever its treasury channel is opening (the
 * channel confirms as blocks arrive). Fails with the HyperNode's conditions on timeout.
 */
export async function waitForHyperNodeReady(
  options: { kubeconfigPath: string; platform: Platform; timeoutMs?: number },
  name: string,
): Promise<HyperNodeStatus> {
  const kubectl = kubectlWith(options.kubeconfigPath);
  const ns = options.platform.namespace;
  let last: HyperNodeStatus = {};
  try {
    return await waitFor(
      async () => {
        last = JSON.parse(
          (await kubectl(["-n", ns, "get", "hypernode", name, "-o", "jsonpath={.status}"])) || "{}",
        ) as HyperNodeStatus;
        const c = (type: string) => last.conditions?.find((x) => x.type === type);
        if (c("TreasuryChannelOpen")?.reason === "ChannelOpening") await options.platform.rpc.generate(1);
        return c("Ready")?.status === "True" ? last : undefined;
      },
      { what: `HyperNode ${name} to be Ready`, timeoutMs: options.timeoutMs ?? 240_000, intervalMs: 1000 },
    );
  } catch (err) {
    const why = (last.conditions ?? [])
      .map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`)
      .join("; ");
    throw new Error(`${(err as Error).message}; conditions: ${why || "none yet"}`);
  }
}
