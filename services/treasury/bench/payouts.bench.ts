// Payments per second the treasury's payment path sustains on regtest: each payment is written
// to SQLite (WAL, synchronous FULL), announced, marked sending, paid by keysend over real lnd,
// and reported — the same driveLightningPayment the service runs. Core is an in-memory stand-in
// here so the figure is the treasury's and lnd's, not Core's HTTP.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startDevnet } from "@hyperhash/devnet";
import { lndReads } from "@hyperhash/node-agent";
import { createLogger } from "@hyperhash/telemetry";
import type { CoreClient, CorePayment } from "../src/core-client.ts";
import { treasuryLnd } from "../src/lnd-payer.ts";
import { type DriveDeps, driveLightningPayment } from "../src/payer.ts";
import { openPaymentStore } from "../src/store.ts";

const PAYMENTS = Number(process.env.HH_BENCH_PAYMENTS ?? 200);
const dir = mkdtempSync(join(tmpdir(), "hh-treasury-bench-"));
const devnet = await startDevnet({ nodes: 2, controlPlane: false, channelSats: 5_000_000n });
try {
  let id = 0;
  const core: CoreClient = {
    listDue: async () => [],
    recordIntent: async (i) => ({
      ok: true,
      value: {
        id: String(++id),
        state: "pending",
        attempts: 0,
        amountSats: i.amountSats,
        reason: null,
      } as CorePayment,
    }),
    reportResult: async (pid, r) => ({
      ok: true,
      value: {
        id: pid,
        state: r.state === "succeeded" ? "succeeded" : "pending",
        attempts: 1,
        amountSats: 0n,
        reason: null,
      },
    }),
    nodePubkey: async () => ({ ok: true, value: null }),
    nodeAgent: async () => ({ ok: true, value: null }),
  };
  const t = devnet.treasury;
  const connection = { socket: t.grpcSocket, certPem: t.certPem, macaroonHex: t.macaroonHex };
  const reads = lndReads(connection);
  const deps: DriveDeps = {
    store: openPaymentStore(join(dir, "bench.db")),
    core,
    lnd: treasuryLnd(connection),
    channels: () => reads.listChannelLiquidity(),
    feeLimits: { baseSats: 10n, ppm: 5000n },
    logger: createLogger({ service: "bench", level: "error" }),
  };
  for (const concurrency of [1, 4]) {
    const payments = Array.from({ length: PAYMENTS }, (_, i) => {
      const preimage = randomBytes(32).toString("hex");
      const node = devnet.nodes[i % 2]!;
      return deps.store.insert({
        windowBlockHash: randomBytes(32).toString("hex"),
        recipientId: `miner:${node.pubkey}`,
        kind: "miner",
        method: "keysend",
        amountSats: 1000n + BigInt(i),
        destination: node.pubkey,
        paymentHash: createHash("sha256").update(Buffer.from(preimage, "hex")).digest("hex"),
        invoice: null,
        preimage,
      });
    });
    let next = 0;
    let failed = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < payments.length) {
          const p = payments[next++]!;
          await driveLightningPayment(deps, p);
          if (deps.store.get(p.id).state !== "done") failed++;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `treasury keysend payouts, concurrency ${concurrency}: ${PAYMENTS} in ${seconds.toFixed(2)} s = ${(PAYMENTS / seconds).toFixed(1)} payments/s (${failed} not done)`,
    );
  }
  deps.store.close();
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
