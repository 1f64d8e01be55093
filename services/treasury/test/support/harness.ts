import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subsidy } from "@hyperhash/bitcoin";
import { type RunningCore, startCore } from "@hyperhash/core";
import { type Devnet, fundWallet, type Lnd, startDevnet, waitFor } from "@hyperhash/devnet";
import { type NodeAgent, startNodeAgent } from "@hyperhash/node-agent";
import { type BlockFoundEvent, startPoolOutbox } from "./pool-outbox.ts";

export const ADMIN_TOKEN = "admin-token-0123456789abcdef";
export const POOL_TOKEN = "pool-token-0123456789abcdef";
export const TREASURY_TOKEN = "treasury-token-0123456789abc";
export const AGENT_TOKEN = "agent-token-0123456789abcdef";

/** Devnet (treasury + 2 node lnds), the real Core, a pool-outbox stand-in and two node agents. */
export interface Harness {
  dir: string;
  devnet: Devnet;
  core: RunningCore;
  coreUrl: string;
  nodes: Array<{ nodeId: string; lnd: Lnd; agent: NodeAgent }>;
  /** Mines a block, publishes it as a window with these shares and waits until Core calculated it. */
  publishWindow(
    shares: BlockFoundEvent["shares"],
    winner: string,
  ): Promise<{ blockHash: string; height: number; subsidySats: bigint }>;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the harness; everything started is stopped by `stop` (also when start fails). */
export async function startHarness(options: {
  channelSats: bigint;
  treasuryOnchainSats: bigint;
}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "hh-treasury-it-"));
  const stoppers: Array<() => Promise<void>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
  };
  try {
    const devnet = await startDevnet({ nodes: 2, controlPlane: false, channelSats: options.channelSats });
    stoppers.push(() => devnet.stop());
    await fundWallet(devnet.btcd, devnet.treasury, options.treasuryOnchainSats);
    const outbox = await startPoolOutbox();
    stoppers.push(() => outbox.stop());
    const core = await startCore(
      {
        network: "regtest",
        dbPath: join(dir, "core.db"),
        adminToken: ADMIN_TOKEN,
        poolToken: POOL_TOKEN,
        treasuryToken: TREASURY_TOKEN,
        poolUrl: outbox.url,
        payoutConfirmations: 1,
        payoutThresholdSats: 1000n,
        maxPaymentAttempts: 3,
        pollIntervalMs: 200,
        logLevel: "warn",
      },
      { rpc: devnet.btcd.rpc },
    );
    stoppers.push(() => core.stop());
    const coreUrl = `http://127.0.0.1:${core.port}`;
    const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(new URL(path, coreUrl), {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`core ${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    const nodes: Harness["nodes"] = [];
    for (const [i, lnd] of devnet.nodes.entries()) {
      const { nodeId, credential } = await admin<{ nodeId: string; credential: string }>(
        "POST",
        "/api/v1/nodes",
        {
          name: `node-${i + 1}`,
          visibility: "public",
          lightningPubkey: lnd.pubkey,
        },
      );
      const agent = await startNodeAgent({
        host: "127.0.0.1",
        port: 0,
        apiToken: AGENT_TOKEN,
        lnd: { socket: lnd.grpcSocket, certPem: lnd.certPem, macaroonHex: lnd.macaroonHex },
        treasuryPubkey: devnet.treasury.pubkey,
        invoiceStorePath: join(dir, `agent-${i + 1}-invoices.json`),
        invoiceExpirySeconds: 3600,
        core: { url: coreUrl, nodeId, credential, telemetryIntervalMs: 60_000 },
        logLevel: "warn",
      });
      stoppers.push(() => agent.stop());
      nodes.push({ nodeId, lnd, agent });
    }

    let previous: string | null = null;
    const publishWindow: Harness["publishWindow"] = async (shares, winner) => {
      // Windows after the halving at 450 pay 6.25 BTC: amounts the tests can predict.
      const tip = await devnet.btcd.rpc.getBlockCount();
      if (tip < 449) await devnet.btcd.mine(449 - tip);
      const [blockHash] = (await devnet.btcd.mine(1)) as [string];
      const height = await devnet.btcd.rpc.getBlockCount();
      const subsidySats = subsidy(height, "regtest");
      outbox.publish({
        blockHash,
        height,
        subsidySats: subsidySats.toString(),
        feesSats: "0",
        coinbaseValueSats: subsidySats.toString(),
        winner: { destination: winner, nodeId: null, worker: "w1" },
        shares,
        previousBlockHash: previous,
        foundAt: new Date().toISOString(),
      });
      previous = blockHash;
      await waitFor(
        async () =>
          (await admin<{ phase: string }>("GET", `/api/v1/windows/${blockHash}`).catch(() => undefined))
            ?.phase === "Calculated",
        { what: `window ${blockHash} to be Calculated`, timeoutMs: 60_000, intervalMs: 200 },
      );
      return { blockHash, height, subsidySats };
    };
    return { dir, devnet, core, coreUrl, nodes, publishWindow, admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
