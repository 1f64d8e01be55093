import { createLogger } from "@hyperhash/telemetry";
import test from "ava";
import { startTelemetryReporter, toTelemetryBody } from "../../src/telemetry-reporter.ts";
import { startStandInCore } from "../support/stand-in-core.ts";

const snapshot = {
  pubkey: `02${"aa".repeat(32)}`,
  syncedToChain: true,
  channels: [
    {
      id: "1x2x3",
      peerPubkey: `03${"bb".repeat(32)}`,
      capacitySats: 2_000_000n,
      localBalanceSats: 5n,
      remoteBalanceSats: 1_990_000n,
      localReserveSats: 1n,
      remoteReserveSats: 2n,
      active: true,
    },
  ],
  onchainBalanceSats: 12n,
  routingFeesSats: 3n,
};

test("issue 7 §3: the telemetry body carries channels, balances and routing fees as decimal strings", (t) => {
  t.deepEqual(toTelemetryBody(snapshot), {
    lightning: {
      pubkey: snapshot.pubkey,
      syncedToChain: true,
      channels: [
        {
          id: "1x2x3",
          peerPubkey: snapshot.channels[0]!.peerPubkey,
          capacitySats: "2000000",
          localBalanceSats: "5",
          remoteBalanceSats: "1990000",
          active: true,
        },
      ],
      onchainBalanceSats: "12",
      routingFeesSats: "3",
    },
  });
});

test("issue 7 §3: the reporter posts with the node credential; a refusal is a value, not a crash", async (t) => {
  let status = 200;
  const core = await startStandInCore(() => ({ status, body: {} }));
  t.teardown(() => core.stop());
  const results: boolean[] = [];
  const reporter = startTelemetryReporter({
    target: { coreUrl: core.url, nodeId: "hn_abcdefghijklmnop", credential: "hnc_secret_credential" },
    intervalMs: 3_600_000,
    snapshot: async () => snapshot,
    logger: createLogger({ service: "test", level: "error" }),
    onReport: (r) => results.push(r.ok),
  });
  t.teardown(() => reporter.stop());
  t.deepEqual(await reporter.reportNow(), { ok: true });
  status = 401;
  const refused = await reporter.reportNow();
  t.false(refused.ok);
  const last = core.requests.at(-1)!;
  t.is(last.path, "/api/v1/nodes/hn_abcdefghijklmnop/telemetry");
  t.is(last.authorization, "Bearer hnc_secret_credential");
  t.true(results.includes(false));
});
