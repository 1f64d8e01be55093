import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Btcd,
  type ControlPlane,
  fundWallet,
  type Lnd,
  openActiveChannel,
  startBtcd,
  startControlPlane,
  startLnd,
  waitFor,
} from "@hyperhash/devnet";
import { lndWallet, lnServiceHandle } from "@hyperhash/lightning";
import { createLogger } from "@hyperhash/telemetry";
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import test from "ava";
import * as ln from "ln-service";
import { SCB_CHANNELS_ANNOTATION, SCB_KEY } from "../../src/backups.ts";
import { lndRestUnlocker } from "../../src/lnd-unlocker.ts";
import { MACAROON_KEYS } from "../../src/macaroons.ts";
import { type ManagedDuties, managedSecretNames, runManagedDuties } from "../../src/managed.ts";
import { kubeSecretStore } from "../../src/secrets.ts";
import { SEED_STATE_ANNOTATION } from "../../src/wallet-init.ts";
import { type ManagedLnd, startManagedLnd } from "../support/managed-lnd.ts";

const NS = "hypernodes";
const names = managedSecretNames("alpha");
let dir: string;
let btcd: Btcd;
let cp: ControlPlane;
let lnd: ManagedLnd;
let opener: Lnd | undefined;
let admin: CoreV1Api;
let agentKube: KubeConfig;
let running: { duties: ManagedDuties; abort: AbortController } | undefined;
const logged: string[] = [];
const logger = createLogger({
  service: "hh-node-agent-test",
  level: "debug",
  write: (line) => {
    logged.push(line);
  },
});

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hh-agent-managed-"));
  btcd = await startBtcd({ dir });
  cp = await startControlPlane({ dir });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  admin = kc.makeApiClient(CoreV1Api);
  await admin.createNamespace({ body: { metadata: { name: NS } } });
  // The agent runs as its own user with only the rights README "RBAC" lists.
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: NS,
    body: {
      metadata: { name: "alpha-agent" },
      rules: [
        { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: [names.seed, names.macaroons, names.scb],
          verbs: ["get", "update", "patch"],
        },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: {
      metadata: { name: "alpha-agent" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "alpha-agent" },
      subjects: [{ kind: "User", name: "alpha-agent", apiGroup: "rbac.authorization.k8s.io" }],
    },
  });
  agentKube = new KubeConfig();
  agentKube.loadFromFile(cp.kubeconfigFor("alpha-agent"));
  writeFileSync(join(dir, "password"), `${randomBytes(16).toString("hex")}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "root-key"), randomBytes(32).toString("hex"), { mode: 0o600 });
  lnd = await startManagedLnd({ dir, alias: "alpha", btcd, passwordFile: join(dir, "password") });
});

test.after.always(async () => {
  running?.abort.abort();
  await running?.duties.backups.catch(() => undefined);
  await opener?.stop();
  await lnd?.stop();
  await cp?.stop();
  await btcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startDuties(): Promise<ManagedDuties> {
  running?.abort.abort();
  await running?.duties.backups;
  const abort = new AbortController();
  const duties = await runManagedDuties({
    lnd: { grpcSocket: lnd.grpcSocket, restUrl: lnd.restUrl, certPem: lnd.certPem },
    passwordFile: join(dir, "password"),
    rootKeyFile: join(dir, "root-key"),
    kube: kubeSecretStore(agentKube, NS),
    names,
    logger,
    signal: abort.signal,
    pollMs: 200,
  });
  running = { duties, abort };
  return duties;
}

const readSecret = (name: string) => admin.readNamespacedSecret({ name, namespace: NS });
const bytes = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64");
const connection = (macaroon: Buffer | Uint8Array) => ({
  socket: lnd.grpcSocket,
  certPem: lnd.certPem,
  macaroonHex: Buffer.from(macaroon).toString("hex"),
});

test.serial(
  "managed duty 1-2, 4-5: wallet initialised once, seed stored, macaroons and pubkey published",
  async (t) => {
    // lnd writes its certificate before its REST listener is up: ask until it answers.
    const unlocker = lndRestUnlocker({ restUrl: lnd.restUrl, tlsCertPem: lnd.certPem });
    const state = await waitFor(
      async () => {
        const now = await unlocker.getState();
        return now === "WAITING_TO_START" ? undefined : now;
      },
      {
        what: "lnd's REST listener",
        timeoutMs: 30_000,
        watch: [lnd.process()],
      },
    );
    t.is(state, "NON_EXISTING");
    const duties = await startDuties();
    t.true(duties.initialisedNow);
    const seed = await readSecret(names.seed);
    t.is(bytes(seed.data?.mnemonic).toString().split(" ").length, 24);
    t.is(seed.metadata?.annotations?.[SEED_STATE_ANNOTATION], "initialised");
    const macaroons = await readSecret(names.macaroons);
    const pubkey = bytes(macaroons.data?.[MACAROON_KEYS.pubkey]).toString();
    t.regex(pubkey, /^0[23][0-9a-f]{64}$/);
    t.is(pubkey, duties.access.pubkey);
    // The published pubkey is lnd's identity (asked with the admin macaroon lnd wrote).
    const adminWallet = lndWallet(connection(readFileSync(lnd.adminMacaroonPath)));
    t.is((await adminWallet.getInfo()).pubkey, pubkey);
    // The agent reaches lnd with its restricted macaroon from now on.
    t.is(duties.agentLnd.macaroonHex, bytes(macaroons.data?.[MACAROON_KEYS.agent]).toString("hex"));
    // No secret ever reaches the log.
    const log = logged.join("\n");
    const words = bytes(seed.data?.mnemonic).toString().split(" ");
    t.false(log.includes(words.slice(0, 3).join(" ")));
    t.false(log.includes(JSON.stringify(words.slice(0, 3)).slice(1, -1)));
    t.false(log.includes(readFileSync(join(dir, "root-key"), "utf8")));
    t.false(log.includes(readFileSync(join(dir, "password"), "utf8").trim()));
    t.false(log.includes(duties.agentLnd.macaroonHex));
  },
);

test.serial("managed duty 1: a restarted agent does not re-initialise nor rewrite the seed", async (t) => {
  const before = [
    (await readSecret(names.seed)).metadata?.resourceVersion,
    (await readSecret(names.macaroons)).metadata?.resourceVersion,
  ];
  const duties = await startDuties();
  t.false(duties.initialisedNow);
  const after = [
    (await readSecret(names.seed)).metadata?.resourceVersion,
    (await readSecret(names.macaroons)).metadata?.resourceVersion,
  ];
  t.deepEqual(after, before);
});

test.serial("managed duty 4: the operator macaroon lists channels but may not create invoices", async (t) => {
  const macaroons = await readSecret(names.macaroons);
  const operator = lndWallet(connection(bytes(macaroons.data?.[MACAROON_KEYS.operator])));
  t.deepEqual(await operator.listChannels(), []);
  const refused = await t.throwsAsync(operator.createInvoice({ sats: 1000n, description: "x" }));
  t.regex(refused?.message ?? "", /permission denied/i);
  const agent = lndWallet(connection(bytes(macaroons.data?.[MACAROON_KEYS.agent])));
  t.is((await agent.createInvoice({ sats: 1000n, description: "agent may" })).sats, 1000n);
  const agentRefused = await t.throwsAsync(agent.connectPeer("02".padEnd(66, "1"), "127.0.0.1:1"));
  t.regex(agentRefused?.message ?? "", /permission denied/i);
});

test.serial(
  "managed duty 1: lnd restarted unlocks itself from its password file; the agent does not re-init",
  async (t) => {
    await lnd.restart();
    const unlocker = lndRestUnlocker({ restUrl: lnd.restUrl, tlsCertPem: lnd.certPem });
    await waitFor(async () => ["RPC_ACTIVE", "SERVER_ACTIVE"].includes(await unlocker.getState()), {
      what: "lnd to unlock itself",
      timeoutMs: 60_000,
      intervalMs: 200,
      watch: [lnd.process()],
    });
    const duties = await startDuties();
    t.false(duties.initialisedNow);
    t.is((await readSecret(names.seed)).metadata?.annotations?.[SEED_STATE_ANNOTATION], "initialised");
  },
);

test.serial("managed duty 3: the static channel backup is exported when a channel opens", async (t) => {
  const managedAdmin = readFileSync(lnd.adminMacaroonPath);
  const wallet = lndWallet(connection(managedAdmin));
  const tip = await btcd.rpc.getBlockCount();
  await waitFor(
    async () => {
      const i = await wallet.getInfo();
      return i.syncedToChain && i.blockHeight >= tip;
    },
    { what: "managed lnd to sync", timeoutMs: 90_000, intervalMs: 250, watch: [lnd.process()] },
  );
  opener = await startLnd({ dir, alias: "opener", btcd });
  await fundWallet(btcd, opener, 3_000_000n);
  const peer = {
    alias: "alpha",
    process: lnd.process(),
    wallet,
    pubkey: running!.duties.access.pubkey,
    p2pSocket: lnd.p2pSocket,
  } as unknown as Lnd;
  const channel = await openActiveChannel(btcd, opener, peer, 1_000_000n);
  const scb = await waitFor(
    async () => {
      const s = await readSecret(names.scb).catch(() => undefined);
      return s?.metadata?.annotations?.[SCB_CHANNELS_ANNOTATION] === "1" ? s : undefined;
    },
    {
      what: "the SCB Secret to cover the channel",
      timeoutMs: 30_000,
      intervalMs: 200,
      watch: [lnd.process()],
    },
  );
  const backup = bytes(scb.data?.[SCB_KEY]);
  t.true(backup.length > 0);
  // lnd itself accepts the exported bytes as a valid multi-channel backup of that channel.
  const verified = (await ln.verifyBackups({
    lnd: lnServiceHandle(connection(managedAdmin)),
    backup: backup.toString("hex"),
    channels: [{ transaction_id: channel.fundingTxid, transaction_vout: channel.fundingOutputIndex }],
  })) as { is_valid: boolean };
  t.true(verified.is_valid);
});
