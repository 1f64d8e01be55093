/**
 * hh-pool against the real stack: btcd (regtest) → hh-tp → hh-pool ← SV2 CPU miner.
 * Blocks found through standard and extended (version-rolling) channels land on btcd's
 * chain and in the outbox; a pool killed with SIGKILL mid-stream loses no acknowledged share.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addressToScriptPubKey, jsonRpcClient, toHex } from "@hyperhash/bitcoin";
import { type Btcd, freePort, startProcess, waitFor } from "@hyperhash/devnet";
import { encodeAuthorityPublicKey } from "@hyperhash/sv2";
import anyTest, { type TestFn } from "ava";
import Database from "better-sqlite3";
import { startSv2Miner } from "../../src/miner/sv2-miner.ts";
import type { BlockFoundEvent } from "../../src/store.ts";
import {
  api,
  MINER_A,
  MINER_B,
  startTestPool,
  TEST_DIFFICULTY,
  TREASURY,
  testBlockTarget,
} from "../helpers/pool-fixture.ts";
import { type RealStack, useRealStack } from "../helpers/real-stack.ts";

const test = anyTest as TestFn<RealStack>;
const HASHRATE = (4_295_032_833 * TEST_DIFFICULTY * 600) / 60;
const FAUCET_FEE_SATS = 5_000n;

useRealStack(test, "btcd", {
  // A mempool transaction, so the first template (and the block) carries fees.
  prepare: async (btcd) => {
    await btcd.faucet.pay([{ address: MINER_B, sats: 100_000n }]);
  },
});

async function blockHeader(btcd: Btcd, hash: string): Promise<{ version: number; height: number }> {
  const call = jsonRpcClient({
    url: `https://${btcd.rpcHost}`,
    user: btcd.rpcUser,
    password: btcd.rpcPassword,
    caPem: btcd.rpcCertPem,
  });
  return (await call("getblockheader", [hash, true])) as { version: number; height: number };
}

for (const channel of ["standard", "extended"] as const) {
  test.serial(
    `${channel} channel: the CPU miner finds a regtest block through pool → hh-tp → btcd; the coinbase pays the treasury; the winner is recorded with S and F`,
    async (t) => {
      const { btcd, tpAddress } = t.context;
      const startHeight = await btcd.rpc.getBlockCount();
      const { pool } = await startTestPool(t, tpAddress, { blockTarget: testBlockTarget(30) });
      const identity = `${channel === "standard" ? MINER_A : MINER_B}.${channel}`;
      const miner = await startSv2Miner({
        host: "127.0.0.1",
        port: pool.port,
        authorityPublicKey: pool.authorityPublicKey,
        userIdentity: identity,
        channel,
        nominalHashRate: HASHRATE,
      });
      t.teardown(() => miner.stop());
      const event = await waitFor(
        async () => (await api<{ events: BlockFoundEvent[] }>(pool, "/api/v1/outbox?after=0")).events[0],
        { what: "a block-found event", timeoutMs: 150_000, intervalMs: 250, watch: [btcd.process] },
      );
      // The miner keeps going and may find the next block too: wait for this one, on the main chain.
      const block = await waitFor(
        async () => {
          const b = await btcd.rpc.getBlock(event.blockHash);
          return b.confirmations >= 1 ? b : undefined;
        },
        { what: "the pool's block on btcd's main chain", timeoutMs: 30_000, watch: [btcd.process] },
      );
      const tip = block.hash;
      t.is(block.height, startHeight + 1);
      t.is(event.height, block.height);
      const first = block.tx[0]!;
      const coinbase = await btcd.rpc.getRawTransaction(typeof first === "string" ? first : first.txid);
      t.is(coinbase.vout[0]!.scriptPubKey.hex, toHex(addressToScriptPubKey(TREASURY, "regtest")));
      t.is(BigInt(Math.round(coinbase.vout[0]!.value * 1e8)), BigInt(event.coinbaseValueSats));
      t.is(event.winner.destination, identity.split(".")[0]!);
      t.is(event.winner.worker, channel);
      t.is(BigInt(event.subsidySats) + BigInt(event.feesSats), BigInt(event.coinbaseValueSats));
      if (channel === "standard") {
        // The faucet's transaction was in the template: the winner's F is its fee.
        t.is(block.tx.length, 2);
        t.is(BigInt(event.feesSats), FAUCET_FEE_SATS);
      }
      if (channel === "extended") {
        const header = await blockHeader(btcd, tip);
        t.is(header.version & 0xe000_0000, 0x2000_0000, "top bits are the template's");
        t.not(header.version & 0x1fff_e000, 0, "the miner rolled BIP320 version bits");
      }
      t.is(miner.stats().rejected["duplicate-share"] ?? 0, 0, "the miner never repeats work");
      const blocks = await api<{ blocks: { blockHash: string; feesSats: string }[] }>(pool, "/api/v1/blocks");
      t.is(blocks.blocks.at(-1)?.blockHash, event.blockHash, "newest first: the first block is last");
    },
  );
}

test.serial(
  "kill -9 during a share stream: every acknowledged share is in the log after restart, none twice",
  async (t) => {
    const { dir, tp } = t.context;
    const dbPath = join(dir, "kill9.db");
    const [port, httpPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const authority = randomBytes(32);
    const env = {
      ...process.env,
      HH_POOL_NETWORK: "regtest",
      HH_POOL_HOST: "127.0.0.1",
      HH_POOL_PORT: String(port),
      HH_POOL_HTTP_HOST: "127.0.0.1",
      HH_POOL_HTTP_PORT: String(httpPort),
      HH_POOL_OPS_HOST: "127.0.0.1",
      HH_POOL_OPS_PORT: String(opsPort),
      HH_POOL_AUTHORITY_SECRET_KEY: toHex(authority),
      HH_POOL_TP_HOST: "127.0.0.1",
      HH_POOL_TP_PORT: String(tp.port),
      HH_POOL_TP_AUTHORITY_PUBLIC_KEY: encodeAuthorityPublicKey(tp.authorityPublicKey),
      HH_POOL_TREASURY_ADDRESS: TREASURY,
      HH_POOL_DB_PATH: dbPath,
      HH_POOL_BLOCK_TARGET: "1", // no blocks: this test is about the share log
      HH_POOL_SHARES_PER_MINUTE: "600",
      HH_POOL_MIN_DIFFICULTY: String(2 ** -24),
    };
    const cwd = fileURLToPath(new URL("../..", import.meta.url));
    const start = (n: number) =>
      // node itself (not npx) so the pid SIGKILL hits is the pool's.
      startProcess({
        name: `hh-pool-${n}`,
        command: process.execPath,
        args: ["--import", "tsx", "src/main.ts"],
        cwd,
        env,
        logPath: join(dir, `pool-${n}.log`),
      });
    const ready = (p: ReturnType<typeof start>) =>
      waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok, {
        what: "the pool to be ready",
        timeoutMs: 60_000,
        watch: [p],
      });
    const first = start(1);
    t.teardown(() => first.stop());
    await ready(first);
    const { xOnlyPublicKey } = await import("@hyperhash/sv2");
    const miner = await startSv2Miner({
      host: "127.0.0.1",
      port,
      authorityPublicKey: xOnlyPublicKey(authority),
      userIdentity: `${MINER_A}.stream`,
      channel: "extended",
      nominalHashRate: HASHRATE,
    });
    t.teardown(() => miner.stop());
    await waitFor(() => miner.stats().accepted >= 100, {
      what: "100 acknowledged shares",
      timeoutMs: 120_000,
      watch: [first],
    });
    process.kill(first.pid, "SIGKILL");
    await first.exited;
    await miner.closed;
    const acknowledged = miner.stats().acknowledged;
    const second = start(2);
    t.teardown(() => second.stop());
    await ready(second);
    const db = new Database(dbPath, { readonly: true });
    t.teardown(() => db.close());
    const has = db.prepare("SELECT COUNT(*) AS n FROM shares WHERE hash = ?");
    for (const share of acknowledged) t.is((has.get(share.hashHex) as { n: number }).n, 1, share.hashHex);
    const totals = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT hash) AS d FROM shares").get() as {
      n: number;
      d: number;
    };
    t.is(totals.n, totals.d, "no share counted twice");
    t.true(totals.n >= acknowledged.length);
    t.log(`acknowledged ${acknowledged.length}, logged ${totals.n}`);
  },
);
