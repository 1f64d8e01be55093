/**
 * ARCHITECTURE.md "Managed Lightning" and node-agent README "Managed mode": the lnd pod the
 * operator renders is the one the sidecar's contract (`@hyperhash/node-agent/managed`) expects.
 */
import { nodeAgentEnvSchema } from "@hyperhash/node-agent/config";
import { managedEnvSchema } from "@hyperhash/node-agent/managed";
import test from "ava";
import {
  agentRoleRules,
  buildHyperNodeChildren,
  type DesiredChild,
  type HyperNodeInput,
  hyperNodeNames,
  lndArgs,
} from "../src/index.ts";
import { contractProblems, type EnvEntry, materialise } from "./contract.ts";
import { managedNode, material, platform } from "./fixtures.ts";

interface Container {
  name: string;
  args?: string[];
  env?: EnvEntry[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Pod {
  volumes: Array<{ name: string; secret?: { secretName: string } }>;
  containers: Container[];
}
const find = (list: DesiredChild[], kind: string, name: string) =>
  list.find((c) => c.kind === kind && c.name === name)?.object as unknown;
const lndPod = (list: DesiredChild[]) =>
  (find(list, "StatefulSet", "edge-1-lnd") as { spec: { template: { spec: Pod } } }).spec.template.spec;
const container = (pod: Pod, name: string) => pod.containers.find((c) => c.name === name)!;

const withPeer = { ...platform, neutrinoPeer: "hyperhash-btcd.hyperhash.svc:18444" };
const nodeWithoutPeer = (): HyperNodeInput => {
  const n = managedNode();
  return {
    ...n,
    spec: { ...n.spec, lightning: { mode: "managed", managed: { storageSize: "10Gi" } } },
  };
};

test("names: the agent's three Secrets are <hn>-lnd-{seed,macaroons,scb} (node-agent README)", (t) => {
  const n = hyperNodeNames("edge-1");
  t.deepEqual([n.seed, n.macaroons, n.scb], ["edge-1-lnd-seed", "edge-1-lnd-macaroons", "edge-1-lnd-scb"]);
});

test("managed contract: the sidecar's env parses with managed-contract.ts's schema and with the agent's own", (t) => {
  const agent = container(lndPod(buildHyperNodeChildren(managedNode(), platform, material)), "node-agent");
  const env = agent.env ?? [];
  t.deepEqual(contractProblems([nodeAgentEnvSchema, managedEnvSchema], env), []);
  const m = managedEnvSchema.parse(materialise(env));
  t.is(m.HH_AGENT_MANAGED, "true");
  t.is(m.HH_AGENT_HYPERNODE, "edge-1");
  t.is(m.HH_AGENT_LND_REST_URL, "https://127.0.0.1:8080");
  t.is(m.HH_AGENT_LND_SOCKET, "127.0.0.1:10009");
  t.is(m.HH_AGENT_SEED_SECRET, "edge-1-lnd-seed");
  t.deepEqual(
    env.find((e) => e.name === "HH_AGENT_NAMESPACE")?.valueFrom,
    { fieldRef: { fieldPath: "metadata.namespace" } } as never,
    "namespace from the downward API",
  );
  t.is(new Set(env.map((e) => e.name)).size, env.length, "each variable once");
  t.false(
    env.some((e) => /^LND_|^NODE_/.test(e.name)),
    "none of the old names",
  );
  t.false(
    env.some((e) => e.name === "HH_AGENT_LND_MACAROON_PATH"),
    "the agent bakes its own macaroon",
  );
  // Every file the contract names is on a mount of the sidecar.
  const mounts = agent.volumeMounts ?? [];
  for (const path of [
    m.HH_AGENT_LND_CERT_PATH,
    m.HH_AGENT_LND_WALLET_PASSWORD_PATH,
    m.HH_AGENT_LND_MACAROON_ROOT_KEY_PATH,
    m.HH_AGENT_LND_ADMIN_MACAROON_PATH!,
  ])
    t.true(
      mounts.some((v) => path.startsWith(`${v.mountPath}/`)),
      `${path} is mounted`,
    );
  const pod = lndPod(buildHyperNodeChildren(managedNode(), platform, material));
  const secretOf = (mountPath: string) =>
    pod.volumes.find((v) => v.name === mounts.find((x) => x.mountPath === mountPath)?.name)?.secret
      ?.secretName;
  t.is(secretOf("/etc/lnd/wallet"), "edge-1-lnd-wallet-password");
  t.is(secretOf("/etc/lnd/macaroon-root-key"), "edge-1-lnd-macaroon-root-key");
  t.is(secretOf("/etc/lnd/tls"), "edge-1-lnd-tls");
});

test("managed contract: lnd's admin.macaroon path follows the network's chain directory", (t) => {
  const n = managedNode();
  const signet = { ...n, spec: { ...n.spec, network: "signet" } };
  const env = container(lndPod(buildHyperNodeChildren(signet, platform, material)), "node-agent").env!;
  t.is(
    env.find((e) => e.name === "HH_AGENT_LND_ADMIN_MACAROON_PATH")?.value,
    "/data/lnd/data/chain/bitcoin/signet/admin.macaroon",
  );
});

test("Role: secrets create (RBAC cannot limit create by name), get/update/patch only on seed, macaroons, scb", (t) => {
  const list = buildHyperNodeChildren(managedNode(), platform, material);
  const role = find(list, "Role", "edge-1-node-agent") as { rules: unknown };
  const expected = [
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
    {
      apiGroups: [""],
      resources: ["secrets"],
      resourceNames: ["edge-1-lnd-seed", "edge-1-lnd-macaroons", "edge-1-lnd-scb"],
      verbs: ["get", "update", "patch"],
    },
  ];
  t.deepEqual(role.rules, expected);
  t.deepEqual(agentRoleRules("edge-1"), expected);
});

test("lnd args: a wallet with a kept seed (no --noseedbackup), unlocked from the password file, REST in-pod only", (t) => {
  const args = container(lndPod(buildHyperNodeChildren(managedNode(), platform, material)), "lnd").args!;
  t.false(
    args.some((a) => a.startsWith("--noseedbackup")),
    "the sidecar creates the wallet and keeps its seed",
  );
  t.true(args.includes("--wallet-unlock-password-file=/etc/lnd/wallet/password"));
  t.true(args.includes("--wallet-unlock-allow-create"));
  t.true(args.includes("--restlisten=127.0.0.1:8080"), "the agent's HH_AGENT_LND_REST_URL");
  t.true(args.includes("--tlscertpath=/etc/lnd/tls/tls.crt"));
  t.true(args.includes("--bitcoin.regtest"));
});

test("lnd args: neutrino against the platform's chain node; the HyperNode's neutrinoPeer overrides it", (t) => {
  const fromPlatform = lndArgs(nodeWithoutPeer(), withPeer);
  t.true(fromPlatform.includes("--bitcoin.node=neutrino"));
  t.true(fromPlatform.includes("--neutrino.connect=hyperhash-btcd.hyperhash.svc:18444"));
  const overridden = lndArgs(managedNode(), withPeer);
  t.true(overridden.includes("--neutrino.connect=bitcoind.hyperhash.svc:18444"));
  t.false(overridden.includes("--neutrino.connect=hyperhash-btcd.hyperhash.svc:18444"));
  t.false(
    lndArgs(nodeWithoutPeer(), platform).some((a) => a.startsWith("--neutrino.connect")),
    "no peer configured: lnd's DNS seeds",
  );
});
