import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type BitcoinRpc, bitcoinRpc, jsonRpcClient } from "@hyperhash/bitcoin";
import { encodeAuthoritySecretKey, generateSecretKey } from "@hyperhash/sv2";
import { binaryPath } from "./binaries.ts";
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

/** The Secrets the chart cannot generate: the pool's and the TP's Noise authority keys. */
function authoritySecrets(namespace: string): string {
  const key = () => encodeAuthoritySecretKey(generateSecretKey((n) => new Uint8Array(randomBytes(n))));
  return ["hyperhash-pool-authority", "hyperhash-tp-authority"]
    .map((name) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "Opaque",
        stringData: { authoritySecretKey: key() },
      }),
    )
    .join("\n");
}

/**
 * Installs the chart's core plane (regtest profile, btcd as the chain node, local images) and
 * brings it to Ready: btcd mined past segwit activation, the treasury lnd's Secret made from its
 * own TLS certificate and admin macaroon (the profile's development lnd), its wallet funded,
 * then every Deployment and StatefulSet of the release rolled out.
 */
export async function installPlatform(options: PlatformOptions): Promise<Platform> {
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
  await kubectl(["apply", "-f", "-"], authoritySecrets(ns));
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
  // Segwit activates at height 432 on regtest (BIP9); templates need a recent tip.
  await rpc.generate(440);
  log("btcd: 440 blocks mined (segwit active)");

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
  ]);
  log(`helm upgrade: the pool pays the treasury wallet ${address}`);
  // Fund the treasury wallet from the faucet (its channels to the nodes come from these coins).
  await faucet.pay([{ address, sats: 10n * 100_000_000n }]);
  await rpc.generate(1);
  await waitFor(
    async () => {
      const b = JSON.parse(await treasuryLncli(["walletbalance"])) as { confirmed_balance?: string };
      return BigInt(b.confirmed_balance ?? "0") >= 10n * 100_000_000n;
    },
    { what: "the treasury wallet's 10 BTC to confirm", timeoutMs: 120_000, intervalMs: 500 },
  );
  log("treasury wallet funded: 10 BTC");

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
  return { namespace: ns, release, prefix, btcctl, rpc, faucet, treasuryLncli, helm };
}
