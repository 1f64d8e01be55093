import { createLogger } from "@hyperhash/telemetry";
import test from "ava";
import {
  type BackupFeed,
  type ChannelBackup,
  exportChannelBackups,
  SCB_CHANNELS_ANNOTATION,
  SCB_KEY,
  shouldWriteBackup,
  toChannelBackup,
} from "../../src/backups.ts";
import { initWalletBody, type LndUnlocker, toWalletState, type WalletState } from "../../src/lnd-unlocker.ts";
import {
  AGENT_PERMISSIONS,
  ensureNodeAccess,
  MACAROON_KEYS,
  type MacaroonBakery,
  NoAdminMacaroon,
  OPERATOR_PERMISSIONS,
} from "../../src/macaroons.ts";
import { parseMacaroonRootKey, parseWalletPassword } from "../../src/managed.ts";
import {
  initialiseWallet,
  planWalletStep,
  SEED_STATE_ANNOTATION,
  seedSecretData,
  WalletInitRefused,
  type WalletStep,
} from "../../src/wallet-init.ts";
import { memorySecrets } from "../support/memory-secrets.ts";

const WORDS = Array.from({ length: 24 }, (_, i) => `word${String.fromCharCode(97 + i)}`);
const PUBKEY = `02${"ab".repeat(32)}`;
const logger = createLogger({ service: "test", level: "error" });
const seedSecret = (state: string) => ({
  data: seedSecretData({ mnemonic: WORDS }),
  annotations: { [SEED_STATE_ANNOTATION]: state },
});

test("wallet plan: every lnd state × seed Secret gives one step; a new seed only without any stored", (t) => {
  const cases: Array<[WalletState, string | undefined, WalletStep["kind"]]> = [
    ["WAITING_TO_START", undefined, "wait"],
    ["LOCKED", "initialised", "wait"],
    ["UNLOCKED", "initialised", "wait"],
    ["NON_EXISTING", undefined, "generate-seed"],
    ["NON_EXISTING", "pending", "init-with-stored-seed"],
    ["NON_EXISTING", "initialised", "refuse"],
    ["RPC_ACTIVE", "pending", "mark-initialised"],
    ["SERVER_ACTIVE", "initialised", "ready"],
    ["SERVER_ACTIVE", undefined, "ready"],
  ];
  for (const [state, seed, kind] of cases)
    t.is(planWalletStep(state, seed ? seedSecret(seed) : undefined).kind, kind, `${state} / ${seed}`);
  // A Secret of that name the agent did not write is never taken for a seed.
  t.like(planWalletStep("NON_EXISTING", { data: {}, annotations: {} }), { reason: "foreign-seed-secret" });
});

/** A scripted lnd: NON_EXISTING until InitWallet, then RPC_ACTIVE. */
function fakeUnlocker(initial: WalletState) {
  let state = initial;
  const calls: string[] = [];
  const unlocker: LndUnlocker = {
    getState: async () => state,
    genSeed: async () => {
      calls.push("genSeed");
      return { mnemonic: WORDS };
    },
    initWallet: async (req) => {
      calls.push("initWallet");
      if (state !== "NON_EXISTING") throw new Error("wallet already exists");
      if (req.mnemonic.join(" ") !== WORDS.join(" ")) throw new Error("unexpected seed");
      state = "RPC_ACTIVE";
      return new Uint8Array([1, 2, 3]);
    },
  };
  return { unlocker, calls, set: (s: WalletState) => (state = s) };
}

const deps = (unlocker: LndUnlocker, store: ReturnType<typeof memorySecrets>["store"]) => ({
  unlocker,
  secrets: store,
  seedSecretName: "alpha-lnd-seed",
  walletPassword: new TextEncoder().encode("password-of-16ch"),
  macaroonRootKey: new Uint8Array(32),
  logger,
  pause: async () => {},
});

test("wallet init: seed stored (create, pending) BEFORE InitWallet, then marked initialised; a rerun changes nothing", async (t) => {
  const lnd = fakeUnlocker("NON_EXISTING");
  const kube = memorySecrets();
  const first = await initialiseWallet(deps(lnd.unlocker, kube.store));
  t.true(first.initialised);
  t.deepEqual(first.adminMacaroon, new Uint8Array([1, 2, 3]));
  t.deepEqual(lnd.calls, ["genSeed", "initWallet"]);
  t.deepEqual(kube.writes, [
    { op: "create", name: "alpha-lnd-seed" },
    { op: "annotate", name: "alpha-lnd-seed" },
  ]);
  t.is(kube.secrets.get("alpha-lnd-seed")?.annotations[SEED_STATE_ANNOTATION], "initialised");
  const again = await initialiseWallet(deps(lnd.unlocker, kube.store));
  t.false(again.initialised);
  t.is(lnd.calls.length, 2);
  t.is(kube.writes.length, 2);
});

test("wallet init: a crash after the seed was stored resumes with THAT seed, no new GenSeed", async (t) => {
  const lnd = fakeUnlocker("NON_EXISTING");
  const kube = memorySecrets({ "alpha-lnd-seed": seedSecret("pending") });
  t.true((await initialiseWallet(deps(lnd.unlocker, kube.store))).initialised);
  t.deepEqual(lnd.calls, ["initWallet"]);
});

test("wallet init: stored seed of an initialised wallet and no wallet → refused, nothing generated", async (t) => {
  const lnd = fakeUnlocker("NON_EXISTING");
  const kube = memorySecrets({ "alpha-lnd-seed": seedSecret("initialised") });
  const err = await t.throwsAsync(initialiseWallet(deps(lnd.unlocker, kube.store)), {
    instanceOf: WalletInitRefused,
  });
  t.is(err?.reason, "seed-of-lost-wallet");
  t.deepEqual(lnd.calls, []);
  t.deepEqual(kube.writes, []);
});

test("wallet init: a locked wallet is left to lnd's password file (never InitWallet)", async (t) => {
  const lnd = fakeUnlocker("LOCKED");
  const kube = memorySecrets({ "alpha-lnd-seed": seedSecret("initialised") });
  let polls = 0;
  const result = await initialiseWallet({
    ...deps(lnd.unlocker, kube.store),
    pause: async () => {
      if (++polls === 3) lnd.set("SERVER_ACTIVE");
    },
  });
  t.false(result.initialised);
  t.deepEqual(lnd.calls, []);
});

test("lnd REST mapping: InitWallet body carries the macaroon root key (walletunlocker.proto field 10)", (t) => {
  const body = initWalletBody({
    walletPassword: new TextEncoder().encode("12345678"),
    mnemonic: WORDS,
    macaroonRootKey: new Uint8Array(32).fill(7),
  });
  t.is(body.macaroon_root_key, Buffer.alloc(32, 7).toString("base64"));
  t.is(body.wallet_password, Buffer.from("12345678").toString("base64"));
  t.false("aezeed_passphrase" in body);
  t.throws(() =>
    initWalletBody({
      walletPassword: new Uint8Array(8),
      mnemonic: WORDS,
      macaroonRootKey: new Uint8Array(16),
    }),
  );
  t.is(toWalletState({ state: "SERVER_ACTIVE" }), "SERVER_ACTIVE");
  t.throws(() => toWalletState({ state: "BOGUS" }));
});

test("secret files: lnd's password file loses only trailing CR/LF; the root key is 32 bytes of hex", (t) => {
  t.deepEqual(
    parseWalletPassword(new TextEncoder().encode("pass word\r\n")),
    new TextEncoder().encode("pass word"),
  );
  t.throws(() => parseWalletPassword(new TextEncoder().encode("short\n")));
  t.is(parseMacaroonRootKey(`${"0f".repeat(32)}\n`).length, 32);
  t.throws(() => parseMacaroonRootKey("0f".repeat(16)));
});

function fakeBakery() {
  const baked: string[][] = [];
  const bakery: MacaroonBakery = {
    bake: async (_admin, permissions) => {
      baked.push([...permissions]);
      return new TextEncoder().encode(permissions.join(","));
    },
    pubkey: async () => PUBKEY,
  };
  return { bakery, baked };
}

test("macaroons: baked once with the security model's permissions, published with the pubkey, reused after", async (t) => {
  const kube = memorySecrets();
  const { bakery, baked } = fakeBakery();
  const args = {
    secrets: kube.store,
    secretName: "alpha-lnd-macaroons",
    bakery,
    adminMacaroon: () => new Uint8Array([9]),
  };
  const first = await ensureNodeAccess(args);
  t.true(first.baked);
  t.deepEqual(baked, [[...AGENT_PERMISSIONS], [...OPERATOR_PERMISSIONS]]);
  t.false(OPERATOR_PERMISSIONS.some((p) => p.startsWith("invoices") || p.startsWith("macaroon")));
  t.false(AGENT_PERMISSIONS.some((p) => p.endsWith(":write") && !p.startsWith("invoices")));
  const stored = kube.secrets.get("alpha-lnd-macaroons")!;
  t.is(new TextDecoder().decode(stored.data[MACAROON_KEYS.pubkey]), PUBKEY);
  const second = await ensureNodeAccess({ ...args, adminMacaroon: () => undefined });
  t.false(second.baked);
  t.is(baked.length, 2);
  t.deepEqual(second.access, first.access);
});

test("macaroons: missing Secret and no admin macaroon → a clear error, nothing written", async (t) => {
  const kube = memorySecrets();
  await t.throwsAsync(
    ensureNodeAccess({
      secrets: kube.store,
      secretName: "m",
      bakery: fakeBakery().bakery,
      adminMacaroon: () => undefined,
    }),
    { instanceOf: NoAdminMacaroon },
  );
  t.deepEqual(kube.writes, []);
});

const backup = (hex: string, channels: number): ChannelBackup => ({
  multiBackup: new Uint8Array(Buffer.from(hex, "hex")),
  channelCount: channels,
});

test("SCB mapping and dedup: ln-service's answer maps to bytes; a replayed identical backup is not rewritten", (t) => {
  const b = toChannelBackup({ backup: "abcd", channels: [{ transaction_id: "00", transaction_vout: 0 }] });
  t.deepEqual(b, backup("abcd", 1));
  t.true(shouldWriteBackup(undefined, b));
  t.false(shouldWriteBackup(b, backup("abcd", 1)));
  t.true(shouldWriteBackup(b, backup("abce", 1)));
  t.throws(() => toChannelBackup({ backup: "xyz", channels: [] }));
});

test("SCB export: current backup first, then one write per change, resubscribed after the stream ends", async (t) => {
  const kube = memorySecrets();
  const abort = new AbortController();
  const subs: Array<{ push: (b: ChannelBackup) => void; end: (e?: unknown) => void }> = [];
  // lnd's truth: the latest backup, which a resubscription reads again (and must not rewrite).
  let now = backup("01", 1);
  const feed: BackupFeed = {
    current: async () => now,
    subscribe(onBackup, onEnd) {
      subs.push({
        push: (b) => {
          now = b;
          onBackup(b);
        },
        end: onEnd,
      });
      return () => {};
    },
  };
  const written: string[] = [];
  let notify: (() => void) | undefined;
  const next = () => new Promise<void>((r) => (notify = r));
  const run = exportChannelBackups({
    feed,
    secrets: kube.store,
    secretName: "alpha-lnd-scb",
    logger,
    signal: abort.signal,
    pause: async () => {},
    onWritten: (b) => {
      written.push(Buffer.from(b.multiBackup).toString("hex"));
      notify?.();
    },
  });
  await next();
  subs[0]!.push(backup("02", 2));
  await next();
  subs[0]!.end(new Error("stream lost"));
  await new Promise<void>((r) => setImmediate(r));
  subs[1]!.push(backup("03", 3));
  await next();
  abort.abort();
  await run;
  t.deepEqual(written, ["01", "02", "03"]);
  const s = kube.secrets.get("alpha-lnd-scb")!;
  t.is(Buffer.from(s.data[SCB_KEY]!).toString("hex"), "03");
  t.is(s.annotations[SCB_CHANNELS_ANNOTATION], "3");
});
