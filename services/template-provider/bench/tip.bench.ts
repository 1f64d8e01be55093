/**
 * hh-tp benchmarks against a real btcd on regtest, all on loopback:
 * 1. tip → SetNewPrevHash latency with one client, from the tip notification (the long poll
 *    or the poll seeing the block) to the client's receipt of SetNewPrevHash; p50/p99.
 * 2. fan-out with many clients, in their own process (bench/tdp-swarm.ts): blocks mined back
 *    to back, templates (NewTemplate + SetNewPrevHash pairs) delivered per second, and
 *    notification → each client's socket read of its SetNewPrevHash (wall clock across the
 *    two processes), over all clients and for the last client of each tip.
 *
 * `npm run bench -w services/template-provider [-- blocks clients]`
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { hashToDisplayHex } from "@hyperhash/bitcoin";
import { startBtcd } from "@hyperhash/devnet";
import { startTemplateProvider } from "../src/index.ts";
import { openTdpClient, type TdpClient } from "../test/support/tdp-client.ts";

const BLOCKS = Number(process.argv[2] ?? 100);
const CLIENTS = Number(process.argv[3] ?? 100);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const fmt = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms, max ${Math.max(...values).toFixed(2)} ms (n=${values.length})`;

const dir = mkdtempSync(join(tmpdir(), "hh-tp-bench-"));
const btcd = await startBtcd({ dir });
const observed = new Map<string, { observedAt: number; servedAt: number }>();
const tp = await startTemplateProvider({
  network: "regtest",
  rpc: btcd.rpc,
  rpcEndpoint: {
    url: `https://${btcd.rpcHost}`,
    user: btcd.rpcUser,
    password: btcd.rpcPassword,
    caPem: btcd.rpcCertPem,
  },
  authoritySecretKey: crypto.getRandomValues(new Uint8Array(32)),
  logLevel: "warn",
  onTipServed: (i) => observed.set(i.prevHash, { observedAt: i.observedAt, servedAt: i.servedAt }),
});
const clients: TdpClient[] = [];
try {
  const open = async () => {
    const c = await openTdpClient({
      host: tp.host,
      port: tp.port,
      authorityPublicKey: tp.authorityPublicKey,
    });
    await c.next("SetNewPrevHashTdp");
    clients.push(c);
    return c;
  };

  // 1. One client, one block at a time.
  const one = await open();
  const toReceipt: number[] = [];
  const toServed: number[] = [];
  const fromGenerate: number[] = [];
  for (let i = 0; i < BLOCKS; i++) {
    const before = performance.now();
    const [hash] = await btcd.mine(1);
    const snph = await one.next("SetNewPrevHashTdp");
    if (hashToDisplayHex(snph.prevHash) !== hash) throw new Error("tip mismatch");
    const seen = observed.get(hash!);
    if (!seen) throw new Error("no served record");
    toReceipt.push(snph.receivedAt - seen.observedAt);
    toServed.push(seen.servedAt - seen.observedAt);
    fromGenerate.push(snph.receivedAt - before);
  }
  console.log(`tip source: ${tp.stats().tipSource}`);
  console.log(`1 client, ${BLOCKS} blocks: notification → SetNewPrevHash received: ${fmt(toReceipt)}`);
  console.log(`1 client: notification → written to the socket: ${fmt(toServed)}`);
  console.log(`1 client: generate RPC start → SetNewPrevHash received: ${fmt(fromGenerate)}`);

  // 2. Many clients, in another process.
  const t0 = performance.now();
  const swarm = spawn(
    process.execPath,
    [
      "--import=tsx",
      fileURLToPath(new URL("./tdp-swarm.ts", import.meta.url)),
      tp.host,
      String(tp.port),
      Buffer.from(tp.authorityPublicKey).toString("hex"),
      String(CLIENTS),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise((resolve) => swarm.once("exit", resolve));
  try {
    const lines = createInterface({ input: swarm.stdout! })[Symbol.asyncIterator]();
    const next = async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`the client swarm exited (${await exited})`);
      return JSON.parse(r.value) as { event: string; client?: number; prevHash?: string; readAt?: number };
    };
    while ((await next()).event !== "ready");
    console.log(
      `${CLIENTS} clients connected in another process (Noise + setup + first template) in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const all: number[] = [];
    const last: number[] = [];
    const served: number[] = [];
    let delivered = 0;
    const start = performance.now();
    for (let i = 0; i < BLOCKS; i++) {
      const [hash] = await btcd.mine(1);
      const reads: number[] = [];
      while (reads.length < CLIENTS) {
        const line = await next();
        if (line.event === "tip" && line.prevHash === hash) reads.push(line.readAt!);
      }
      const seen = observed.get(hash!)!;
      const observedWall = performance.timeOrigin + seen.observedAt;
      for (const r of reads) all.push(r - observedWall);
      last.push(Math.max(...reads) - observedWall);
      served.push(seen.servedAt - seen.observedAt);
      delivered += reads.length;
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${CLIENTS} clients, ${BLOCKS} blocks: ${(delivered / seconds).toFixed(0)} templates/s delivered (NewTemplate + SetNewPrevHash each; bounded by btcd's generate)`,
    );
    console.log(`${CLIENTS} clients: notification → every client's SetNewPrevHash read: ${fmt(all)}`);
    console.log(`${CLIENTS} clients: notification → the last client's SetNewPrevHash read: ${fmt(last)}`);
    console.log(`${CLIENTS} clients: notification → all written to the sockets: ${fmt(served)}`);
  } finally {
    swarm.stdin!.end();
    swarm.kill();
    await exited;
  }
} finally {
  for (const c of clients) c.close();
  await tp.stop();
  await btcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
