import anyTest, { type TestFn } from "ava";
import { API_VERSION } from "../../src/api/index.ts";
import { KubeApiError, type KubeObject } from "../../src/runtime/kube.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";

const test = anyTest as TestFn<{ cluster: TestCluster }>;

test.before(async (t) => {
  t.context.cluster = await startTestCluster("crd");
});
test.after.always(async (t) => {
  await t.context.cluster?.stop();
});

const hyperNode = (
  name: string,
  lightning: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: API_VERSION,
  kind: "HyperNode",
  metadata: { name, namespace: "hyperhash" },
  spec: {
    visibility: "public",
    network: "regtest",
    lightning: {
      mode: "external",
      external: {
        grpcEndpoint: "127.0.0.1:10009",
        p2pAddress: "127.0.0.1:9735",
        tlsCertSecretRef: { name: "lnd", key: "tls.cert" },
        macaroonSecretRef: { name: "lnd", key: "admin.macaroon.hex" },
      },
      ...lightning,
    },
    ...extra,
  },
});

async function refusal(_t: unknown, run: () => Promise<unknown>): Promise<KubeApiError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error("the API server accepted an invalid object");
}

test.serial(
  "a valid HyperNode is accepted and defaulted by the API server (minTreasuryChannels 1, autoMaintain)",
  async (t) => {
    const created = (await t.context.cluster.admin.create(hyperNode("valid", {}))) as unknown as {
      spec: { lightning: { minTreasuryChannels: number; autoMaintain: boolean; minInboundSats: number } };
    };
    t.is(created.spec.lightning.minTreasuryChannels, 1);
    t.true(created.spec.lightning.autoMaintain);
    t.is(created.spec.lightning.minInboundSats, 1_000_000);
  },
);

test.serial("schema: a bad enum (visibility: secret) is refused with the schema message", async (t) => {
  const err = await refusal(t, () =>
    t.context.cluster.admin.create(hyperNode("bad-enum", {}, { visibility: "secret" })),
  );
  t.is(err.code, 422);
  t.regex(
    err.message,
    /spec\.visibility: Unsupported value: "secret": supported values: "public", "private"/,
  );
});

test.serial("CEL invariant 2: minTreasuryChannels: 0 is refused with the CEL message", async (t) => {
  const err = await refusal(t, () =>
    t.context.cluster.admin.create(hyperNode("zero-channels", { minTreasuryChannels: 0 })),
  );
  t.is(err.code, 422);
  t.regex(err.message, /minTreasuryChannels must be at least 1/);
});

test.serial("CEL: mode external without lightning.external is refused", async (t) => {
  const node = hyperNode("no-external", {});
  delete ((node.spec as { lightning: Record<string, unknown> }).lightning as Record<string, unknown>)
    .external;
  const err = await refusal(t, () => t.context.cluster.admin.create(node));
  t.regex(err.message, /mode external needs lightning\.external/);
});

const hash = "ab".repeat(32);
const totals = {
  subsidySats: "5000000000",
  feesSats: "1000",
  poolFeeSats: "50000000",
  treasurySats: "25000000",
  nodeNetworkSats: "25000000",
  recipientCount: 3,
  payoutDigest: "cd".repeat(32),
};

test.serial(
  "CEL: a Calculated PayoutWindow's totals and digest are frozen; paid/pending may move",
  async (t) => {
    const { admin } = t.context.cluster;
    await admin.create({
      apiVersion: API_VERSION,
      kind: "PayoutWindow",
      metadata: { name: "w-101", namespace: "hyperhash" },
      spec: { blockHash: hash },
    });
    const status = (s: Record<string, unknown>) =>
      admin.mergePatch("PayoutWindow", "hyperhash", "w-101", { status: s }, "status");
    await status({ phase: "Maturing", height: 101 });
    await status({ phase: "Calculated", totals, paidSats: "0", pendingSats: "50000000" });
    await status({ phase: "Paying", paidSats: "1000", pendingSats: "49999000" });
    const edited = await refusal(t, () => status({ totals: { ...totals, treasurySats: "26000000" } }));
    t.is(edited.code, 422);
    t.regex(edited.message, /totals and payoutDigest are frozen once the window is Calculated/);
    const digest = await refusal(t, () => status({ totals: { ...totals, payoutDigest: "ef".repeat(32) } }));
    t.regex(digest.message, /frozen/);
  },
);

test.serial(
  "CEL: PayoutWindow phase transitions: Paying → Maturing is refused; blockHash is immutable",
  async (t) => {
    const { admin } = t.context.cluster;
    const back = await refusal(t, () =>
      admin.mergePatch("PayoutWindow", "hyperhash", "w-101", { status: { phase: "Maturing" } }, "status"),
    );
    t.regex(back.message, /phase may only move Maturing → Calculated → Paying → Settled/);
    const moved = await refusal(t, () =>
      admin.mergePatch("PayoutWindow", "hyperhash", "w-101", { spec: { blockHash: "ee".repeat(32) } }),
    );
    t.regex(moved.message, /blockHash is immutable/);
  },
);

test.serial("CEL: LightningChannel phase Active → Pending is refused; peer is immutable", async (t) => {
  const { admin } = t.context.cluster;
  await admin.create({
    apiVersion: API_VERSION,
    kind: "LightningChannel",
    metadata: { name: "c1", namespace: "hyperhash" },
    spec: {
      nodeName: "valid",
      peer: { pubkey: `02${"11".repeat(32)}`, address: "127.0.0.1:9735" },
      capacitySats: 100000,
    },
  });
  const status = (s: Record<string, unknown>) =>
    admin.mergePatch("LightningChannel", "hyperhash", "c1", { status: s }, "status");
  await status({ phase: "Pending" });
  await status({ phase: "Opening" });
  await status({ phase: "Active" });
  const err = await refusal(t, () => status({ phase: "Pending" }));
  t.regex(err.message, /phase may only move Pending → Opening → Active/);
  const peer = await refusal(t, () =>
    admin.mergePatch("LightningChannel", "hyperhash", "c1", {
      spec: { peer: { pubkey: `03${"22".repeat(32)}`, address: "127.0.0.1:1" } },
    }),
  );
  t.regex(peer.message, /peer is immutable/);
  const small = await refusal(t, () =>
    admin.create({
      apiVersion: API_VERSION,
      kind: "LightningChannel",
      metadata: { name: "c2", namespace: "hyperhash" },
      spec: {
        nodeName: "valid",
        peer: { pubkey: `02${"11".repeat(32)}`, address: "127.0.0.1:9735" },
        capacitySats: 10,
      },
    }),
  );
  t.regex(
    small.message,
    /spec\.capacitySats: Invalid value: 10: spec\.capacitySats in body should be greater than or equal to 20000/,
  );
});
