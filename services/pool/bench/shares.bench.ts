/**
 * Validated shares per second on extended channels, full path: the load generator (its own
 * process, bench/share-load.ts) encrypts; the pool, in this process, decrypts, decodes,
 * validates, group-commits to SQLite and acks — with 1, 100 and 1,000 concurrent channels (one
 * connection each), against a stand-in template provider. The figure per core is shares over
 * the pool's own CPU seconds (process.cpuUsage across the run), so the load generator's work is
 * not counted against it; the wall-clock rate is printed beside it (2 cores: pool + load).
 * Also: the pool's heap per connection, and this machine's hashing as the physical reference
 * (a share's SHA-256d work through the addon, and Node's createHash per header).
 *
 * Shares are pre-mined (channel target = the maximum, so every header is a share).
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { nativeShareCrypto } from "@hyperhash/sv2/native";
import { createLogger } from "@hyperhash/telemetry";
import { startPool } from "../src/pool.ts";
import { startFakeTemplateProvider } from "./fake-template-provider.ts";

const TREASURY = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

function rawHashRate(): number {
  const header = randomBytes(80);
  const n = 300_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    header.writeUInt32LE(i, 76);
    createHash("sha256").update(createHash("sha256").update(header).digest()).digest();
  }
  return n / ((performance.now() - started) / 1000);
}

/** A share's hashing alone, natively: a 200-byte coinbase, a 4-deep merkle path, the header. */
function nativeShareHashRate(): number | null {
  if (!nativeShareCrypto) return null;
  const [prefix, enPrefix, en, suffix, path, prev] = [42, 8, 8, 142, 128, 32].map((n) => randomBytes(n));
  const header = new Uint8Array(80);
  const hash = new Uint8Array(32);
  const n = 500_000;
  const started = performance.now();
  for (let i = 0; i < n; i++)
    nativeShareCrypto.shareHash(
      prefix!,
      enPrefix!,
      en!,
      suffix!,
      path!,
      0x2000_0000,
      prev!,
      1,
      2,
      i,
      header,
      hash,
    );
  return n / ((performance.now() - started) / 1000);
}

interface LoadLine {
  event: "open" | "done";
  seconds?: number;
  shares?: number;
  rejected?: number;
  openedMs?: number;
}

async function run(channels: number, sharesPerChannel: number) {
  const dir = mkdtempSync(join(tmpdir(), "hh-pool-bench-"));
  const tp = await startFakeTemplateProvider();
  const pool = await startPool({
    network: "regtest",
    authoritySecretKey: randomBytes(32),
    templateProvider: { host: "127.0.0.1", port: tp.port, authorityPublicKey: tp.authorityPublicKey },
    treasuryAddress: TREASURY,
    dbPath: join(dir, "bench.db"),
    blockTarget: 1n,
    // Targets stay at the maximum: every header is a share; vardiff never fires in the run.
    vardiff: {
      minDifficulty: 2 ** -48,
      targetSharesPerMinute: 6000,
      minWindowSeconds: 3600,
      burstShares: 1e9,
    },
    // All the load comes from 127.0.0.1.
    maxConnectionsPerAddress: 2_000,
    logger: createLogger({ service: "bench", level: "error" }),
  });
  while (!pool.ready) await new Promise((r) => setTimeout(r, 20));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  // The load runs without this process's flags (no --cpu-prof there when the pool is profiled).
  const load = spawn(
    process.execPath,
    [
      "--import=tsx",
      fileURLToPath(new URL("./share-load.ts", import.meta.url)),
      String(pool.port),
      Buffer.from(pool.authorityPublicKey).toString("hex"),
      String(channels),
      String(sharesPerChannel),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) => load.once("exit", resolve));
  const lines = createInterface({ input: load.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<LoadLine> => {
    const r = await lines.next();
    if (r.done) throw new Error(`the load generator exited (${await exited}) before reporting`);
    return JSON.parse(r.value) as LoadLine;
  };
  try {
    const opened = await nextLine();
    gc?.();
    const memPerConn = (process.memoryUsage().heapUsed - heapBefore) / channels;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    load.stdin!.write("go\n");
    const done = await nextLine();
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const shares = done.shares ?? 0;
    return {
      perCore: shares / cpuSeconds,
      wall: shares / wallSeconds,
      poolCpu: cpuSeconds / wallSeconds,
      rejected: done.rejected ?? 0,
      memPerConn,
      openedMs: opened.openedMs ?? 0,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    load.kill();
    await exited;
    await pool.stop();
    await tp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const raw = rawHashRate();
const nativeRate = nativeShareHashRate();
console.log(
  `reference: Node createHash double-SHA256 of a header ${Math.round(raw).toLocaleString()} /s (one core)`,
);
if (nativeRate)
  console.log(
    `reference: a share's SHA-256d work (200 B coinbase, 4-deep path, header) through the addon ${Math.round(nativeRate).toLocaleString()} /s (one core)`,
  );
const floor = nativeRate ?? raw;
for (const [channels, perChannel] of [
  [1, 100_000],
  [100, 2_000],
  [1000, 200],
] as const) {
  const r = await run(channels, perChannel);
  console.log(
    `${channels} channel(s): ${Math.round(r.perCore).toLocaleString()} validated shares/s per pool core ` +
      `(${Math.round(r.wall).toLocaleString()}/s wall, pool at ${(r.poolCpu * 100).toFixed(0)}% of a core, load in its own process); ` +
      `ratio to the hashing reference 1:${(floor / r.perCore).toFixed(1)}; rejected ${r.rejected}; ` +
      `pool heap ~${(r.memPerConn / 1024).toFixed(1)} KiB per connection, RSS ${r.rssMiB.toFixed(0)} MiB; ` +
      `CPU per 1,000 shares/s: ${((1000 / r.perCore) * 100).toFixed(1)}% of a core`,
  );
}
