/**
 * Validated shares per second on extended channels, full path: encrypt (client) → decrypt,
 * decode, validate, group-commit to SQLite, ack — with 1, 100 and 1,000 concurrent channels
 * (one connection each), against a stand-in template provider. Also: memory per connection,
 * and the raw double-SHA256 header rate of this machine as the physical reference.
 *
 * Shares are pre-mined (channel target = the maximum, so every header is a share) and sent
 * as fast as acks come back; the pool runs in this process, so the figure is for one core
 * shared by the pool and the load generator (a lower bound for the pool alone).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_TARGET, targetToU256LE } from "@hyperhash/bitcoin";
import { decodeMessage, encodeMessage } from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";
import { createLogger } from "@hyperhash/telemetry";
import { startPool } from "../src/pool.ts";
import { startFakeTemplateProvider } from "./fake-template-provider.ts";

const TREASURY = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
const MINER = "bcrt1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3lgth6c";

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

interface Client {
  conn: Sv2Connection;
  channelId: number;
  jobId: number;
  minNtime: number;
  version: number;
  extranonceSize: number;
  frames: AsyncIterator<import("@hyperhash/sv2").Frame>;
}

async function openClient(port: number, key: Uint8Array): Promise<Client> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise((r) => socket.once("connect", r));
  const conn = await connectInitiator(socket, {
    handshakeTimeoutMs: 30_000,
    maxPayload: 1 << 20,
    authorityPublicKey: key,
  });
  const frames = conn.frames()[Symbol.asyncIterator]();
  const next = async () => decodeMessage((await frames.next()).value);
  await conn.send(
    encodeMessage({
      type: "SetupConnection",
      protocol: 0,
      minVersion: 2,
      maxVersion: 2,
      flags: 4,
      endpointHost: "",
      endpointPort: 0,
      vendor: "",
      hardwareVersion: "",
      firmware: "",
      deviceId: "",
    }),
  );
  await next();
  await conn.send(
    encodeMessage({
      type: "OpenExtendedMiningChannel",
      requestId: 1,
      userIdentity: MINER,
      nominalHashRate: 1,
      maxTarget: targetToU256LE(MAX_TARGET),
      minExtranonceSize: 8,
    }),
  );
  const ok = await next();
  if (ok.type !== "OpenExtendedMiningChannel.Success") throw new Error(ok.type);
  let job = await next();
  while (job.type !== "SetNewPrevHash") job = await next();
  return {
    conn,
    channelId: ok.channelId,
    jobId: job.jobId,
    minNtime: job.minNtime,
    version: 0x2000_0000,
    extranonceSize: ok.extranonceSize,
    frames,
  };
}

async function run(
  channels: number,
  sharesPerChannel: number,
): Promise<{ rate: number; memPerConn: number }> {
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
    logger: createLogger({ service: "bench", level: "error" }),
  });
  while (!pool.ready) await new Promise((r) => setTimeout(r, 20));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const clients: Client[] = [];
  for (let i = 0; i < channels; i++) clients.push(await openClient(pool.port, pool.authorityPublicKey));
  gc?.();
  // Both ends live in this process, so this counts a client's state too (an upper bound).
  const memPerConn = (process.memoryUsage().heapUsed - heapBefore) / channels;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c, ci) => {
      const window = 64;
      let sent = 0;
      let acked = 0;
      const extranonce = new Uint8Array(c.extranonceSize);
      const sendOne = () => {
        extranonce[0] = ci & 0xff;
        extranonce[1] = ci >> 8;
        const seq = ++sent;
        c.conn.send(
          encodeMessage({
            type: "SubmitSharesExtended",
            channelId: c.channelId,
            sequenceNumber: seq,
            jobId: c.jobId,
            nonce: seq,
            ntime: c.minNtime,
            version: c.version,
            extranonce,
          }),
        );
      };
      for (let i = 0; i < Math.min(window, sharesPerChannel); i++) sendOne();
      while (acked < sharesPerChannel) {
        const r = await c.frames.next();
        if (r.done) throw new Error("closed");
        const m = decodeMessage(r.value);
        if (m.type === "SubmitShares.Success") {
          acked += m.newSubmitsAcceptedCount;
          while (sent < sharesPerChannel && sent - acked < window) sendOne();
        } else if (m.type === "SubmitShares.Error") throw new Error(m.errorCode);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) c.conn.close();
  await pool.stop();
  await tp.stop();
  rmSync(dir, { recursive: true, force: true });
  return { rate: (channels * sharesPerChannel) / seconds, memPerConn };
}

const raw = rawHashRate();
console.log(`raw double-SHA256 header rate: ${Math.round(raw).toLocaleString()} /s (one core)`);
for (const [channels, perChannel] of [
  [1, 20_000],
  [100, 300],
  [1000, 30],
] as const) {
  const { rate, memPerConn } = await run(channels, perChannel);
  console.log(
    `${channels} channel(s): ${Math.round(rate).toLocaleString()} validated shares/s (full path, pool + load in one process); ` +
      `~${Math.round(memPerConn / 1024)} KiB heap per connection (pool + client side); ratio to raw hashing 1:${Math.round(raw / rate)}`,
  );
}
