import { windowSummary } from "@hyperhash/core";
import test from "ava";
import { nodesNaming } from "../../src/controllers/hypernode-controller.ts";
import { coreWindow } from "../../src/core/core-client.ts";
import type { KubeObject } from "../../src/runtime/kube.ts";

// A window summary as Core serves it, checked against Core's own response schema first.
const summary = {
  phase: "Calculated",
  blockHash: "ab".repeat(32),
  height: 451,
  foundAt: "2026-01-01T00:00:00.000Z",
  S: "625000000",
  F: "7",
  P: "6250000",
  T: "3125000",
  N: "3125000",
  carriedInSats: "0",
  carriedForwardSats: "0",
  recipientCount: 3,
  paidSats: "0",
  inFlightSats: "0",
  pendingSats: "621875007",
  payoutDigest: "cd".repeat(32),
  hold: false,
  reason: null,
  rolledInto: null,
};

test("Core contract: the operator reads Core's windowSummary (S, F, P, T, N) as PayoutWindow totals", (t) => {
  t.true(windowSummary.safeParse(summary).success, "the sample is what Core's schema serves");
  t.deepEqual(coreWindow.parse(summary), {
    blockHash: summary.blockHash,
    height: 451,
    phase: "Calculated",
    subsidySats: "625000000",
    feesSats: "7",
    poolFeeSats: "6250000",
    treasurySats: "3125000",
    nodeNetworkSats: "3125000",
    recipientCount: 3,
    paidSats: "0",
    pendingSats: "621875007",
    payoutDigest: "cd".repeat(32),
    hold: false,
  });
  // A Maturing window has no recipient count yet.
  const maturing = { ...summary, phase: "Maturing", recipientCount: null, payoutDigest: null };
  t.true(windowSummary.safeParse(maturing).success);
  t.is(coreWindow.parse(maturing).recipientCount, 0);
  t.false(coreWindow.safeParse({ ...summary, S: "-1" }).success, "sats are decimal strings");
});

test("Steady state is watch-driven: a Secret event maps to exactly the HyperNodes whose external lnd refs name it", (t) => {
  const node = (ns: string, name: string, secret: string): KubeObject => ({
    apiVersion: "hyperhash.network/v1alpha1",
    kind: "HyperNode",
    metadata: { name, namespace: ns },
    spec: {
      lightning: {
        mode: "external",
        external: { tlsCertSecretRef: { name: secret }, macaroonSecretRef: { name: `${secret}-mac` } },
      },
    },
  });
  const nodes = [node("a", "n1", "lnd1"), node("a", "n2", "lnd2"), node("b", "n3", "lnd1")];
  const secret = (ns: string, name: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
  });
  t.deepEqual(nodesNaming(secret("a", "lnd1"), nodes), [{ namespace: "a", name: "n1" }]);
  t.deepEqual(nodesNaming(secret("a", "lnd2-mac"), nodes), [{ namespace: "a", name: "n2" }]);
  t.deepEqual(nodesNaming(secret("c", "lnd1"), nodes), []);
});
