/**
 * Invariant 1 for a managed lnd (node-agent README "Managed mode", operator contract): the
 * pubkey is read from `<hn>-lnd-macaroons`, the operator's lnd calls use `operator.macaroon`
 * (never admin), and LightningWalletReady says why it waits. Fakes stand in for the informer
 * and lnd here; the integration test runs the real API server.
 */
import type { LightningWallet, WalletInfo } from "@hyperhash/lightning";
import test from "ava";
import { hyperNode } from "../../src/api/hypernode-types.ts";
import { managedLightningWallet, nodesNaming } from "../../src/controllers/hypernode-controller.ts";
import { readManagedMacaroons } from "../../src/controllers/lnd-access.ts";
import type { OperatorSettings } from "../../src/controllers/settings.ts";
import type { ControllerContext } from "../../src/runtime/controller.ts";
import type { KubeObject } from "../../src/runtime/kube.ts";

const PUBKEY = `03${"cd".repeat(32)}`;
const b64 = (v: string | Uint8Array) => Buffer.from(v).toString("base64");
/** A binary macaroon starts with its version byte 0x02. */
const operatorMacaroon = (tag: number) => Uint8Array.of(0x02, 0x01, tag, 0x6f, 0x70);

const secret = (name: string, data: Record<string, string>): KubeObject =>
  ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "miners" }, data }) as KubeObject;
const macaroonsSecret = (tag: number, pubkey = PUBKEY) =>
  secret("vault-lnd-macaroons", {
    pubkey: b64(pubkey),
    "operator.macaroon": b64(operatorMacaroon(tag)),
    "agent.macaroon": b64(Uint8Array.of(0x02, 0x09)),
  });
const tlsSecret = secret("vault-lnd-tls", { "tls.crt": b64("-----BEGIN CERTIFICATE-----\nMIIB\n") });

const node = hyperNode.parse({
  apiVersion: "hyperhash.network/v1alpha1",
  kind: "HyperNode",
  metadata: { name: "vault", namespace: "miners", uid: "u-1", generation: 1 },
  spec: {
    visibility: "public",
    network: "regtest",
    lightning: { mode: "managed", managed: {} },
  },
});

function harness(secrets: KubeObject[], info: () => Promise<WalletInfo>) {
  const connections: Array<{ socket: string; macaroonHex: string }> = [];
  const ctx = {
    informer: (kind: string) => ({
      get: (ns: string | undefined, name: string) =>
        kind === "Secret"
          ? secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name)
          : undefined,
      list: () => [],
    }),
  } as unknown as ControllerContext;
  const settings = {
    connectLnd: (c: { socket: string; macaroonHex: string }) => {
      connections.push({ socket: c.socket, macaroonHex: c.macaroonHex });
      return { getInfo: info } as unknown as LightningWallet;
    },
  } as unknown as OperatorSettings;
  return { ctx, settings, connections };
}
const info =
  (patch: Partial<WalletInfo>): (() => Promise<WalletInfo>) =>
  async () => ({
    pubkey: PUBKEY,
    alias: "vault",
    version: "0.20.1-beta",
    blockHeight: 101,
    syncedToChain: true,
    activeChannels: 0,
    pendingChannels: 0,
    peers: 0,
    ...patch,
  });

test("readManagedMacaroons: no Secret yet → WaitingForWalletInit; malformed → MacaroonsSecretInvalid", (t) => {
  const missing = readManagedMacaroons(undefined, "vault-lnd-macaroons");
  t.like(missing, { ok: false, reason: "WaitingForWalletInit" });
  t.like(readManagedMacaroons(macaroonsSecret(1, "not-a-pubkey") as never, "x"), {
    ok: false,
    reason: "MacaroonsSecretInvalid",
  });
  t.like(readManagedMacaroons(secret("x", { pubkey: b64(PUBKEY) }) as never, "x"), {
    ok: false,
    reason: "MacaroonsSecretInvalid",
  });
});

test("readManagedMacaroons: pubkey as UTF-8, operator.macaroon raw bytes → hex (hex text accepted too)", (t) => {
  t.deepEqual(readManagedMacaroons(macaroonsSecret(7) as never, "x"), {
    ok: true,
    pubkey: PUBKEY,
    operatorMacaroonHex: "0201076f70",
  });
  const asHex = secret("x", { pubkey: b64(`${PUBKEY}\n`), "operator.macaroon": b64("0201076F70") });
  t.like(readManagedMacaroons(asHex as never, "x"), {
    ok: true,
    pubkey: PUBKEY,
    operatorMacaroonHex: "0201076f70",
  });
});

test("invariant 1, managed: until the agent writes <hn>-lnd-macaroons the wallet is not ready and no pubkey is known", async (t) => {
  const h = harness([tlsSecret], info({}));
  const r = await managedLightningWallet(h.ctx, h.settings, node);
  t.is(r.pubkey, undefined);
  t.like(r.condition, { type: "LightningWalletReady", status: "False", reason: "WaitingForWalletInit" });
  t.deepEqual(h.connections, [], "no lnd call before the wallet exists");
});

test("invariant 1, managed: pubkey from the Secret; lnd reached at its Service with operator.macaroon, never admin", async (t) => {
  const h = harness([tlsSecret, macaroonsSecret(2)], info({}));
  const r = await managedLightningWallet(h.ctx, h.settings, node);
  t.is(r.pubkey, PUBKEY);
  t.like(r.condition, { status: "True", reason: "WalletReady" });
  t.deepEqual(h.connections, [{ socket: "vault-lnd.miners.svc:10009", macaroonHex: "0201026f70" }]);
});

test("invariant 1, managed: not synced → NotSynced; unreachable → LndUnreachable, pubkey kept (treasury may open)", async (t) => {
  const notSynced = harness([tlsSecret, macaroonsSecret(3)], info({ syncedToChain: false }));
  const a = await managedLightningWallet(notSynced.ctx, notSynced.settings, node);
  t.like(a, { pubkey: PUBKEY, condition: { status: "False", reason: "NotSynced" } });
  const down = harness([tlsSecret, macaroonsSecret(4)], () => Promise.reject(new Error("14 UNAVAILABLE")));
  const b = await managedLightningWallet(down.ctx, down.settings, node);
  t.like(b, { pubkey: PUBKEY, condition: { status: "False", reason: "LndUnreachable" } });
});

test("invariant 1, managed: lnd answering as another node than the Secret names → PubkeyMismatch, no pubkey", async (t) => {
  const h = harness([tlsSecret, macaroonsSecret(5)], info({ pubkey: `02${"ee".repeat(32)}` }));
  const r = await managedLightningWallet(h.ctx, h.settings, node);
  t.is(r.pubkey, undefined);
  t.like(r.condition, { status: "False", reason: "PubkeyMismatch" });
});

test("invariant 1, managed: no TLS Secret → LndSecretMissing, the Secret's pubkey still reported", async (t) => {
  const h = harness([macaroonsSecret(6)], info({}));
  const r = await managedLightningWallet(h.ctx, h.settings, node);
  t.like(r, { pubkey: PUBKEY, condition: { status: "False", reason: "LndSecretMissing" } });
});

test("watch: the agent's <hn>-lnd-macaroons (not owned by the HyperNode) re-runs its managed HyperNode", (t) => {
  const nodes = [node as unknown as KubeObject];
  t.deepEqual(nodesNaming(macaroonsSecret(1), nodes), [{ namespace: "miners", name: "vault" }]);
  t.deepEqual(nodesNaming(secret("vault-lnd-seed", {}), nodes), []);
});
