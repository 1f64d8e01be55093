/**
 * The share benchmark's load generator, run as its own process (shares.bench.ts spawns it) so
 * the pool's CPU time is the pool's alone. It opens `channels` extended channels (one Noise
 * connection each) on the pool at `port`, then submits `perChannel` shares on each as fast as
 * acks return (a window of 64 in flight per channel), and prints one JSON line with what it saw.
 *
 *   node --import tsx bench/share-load.ts <port> <authority-key-hex> <channels> <perChannel>
 *
 * Shares are valid by construction: the pool runs its channels at the maximum target, so every
 * header is a share; each (channel, sequence) pair gives a distinct nonce, hence a distinct hash.
 */
import { connect } from "node:net";
import { MAX_TARGET, targetToU256LE } from "@hyperhash/bitcoin";
import { decodeMessage, encodeMessage, type Frame } from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";

const [portArg, keyHex, channelsArg, perChannelArg] = process.argv.slice(2);
if (!portArg || !keyHex || !channelsArg || !perChannelArg) {
  console.error("usage: share-load.ts <port> <authority-key-hex> <channels> <perChannel>");
  process.exit(2);
}
const port = Number(portArg);
const authorityPublicKey = Uint8Array.from(Buffer.from(keyHex, "hex"));
const channels = Number(channelsArg);
const perChannel = Number(perChannelArg);
const MINER = "bcrt1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3lgth6c";
const WINDOW = 64;

interface Client {
  conn: Sv2Connection;
  channelId: number;
  jobId: number;
  minNtime: number;
  extranonceSize: number;
  frames: AsyncIterator<Frame>;
}

async function openClient(): Promise<Client> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  const conn = await connectInitiator(socket, {
    handshakeTimeoutMs: 60_000,
    maxPayload: 1 << 20,
    authorityPublicKey,
  });
  const frames = conn.frames()[Symbol.asyncIterator]();
  const next = async () => {
    const r = await frames.next();
    if (r.done) throw new Error("the pool closed the connection");
    return decodeMessage(r.value);
  };
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
  if (ok.type !== "OpenExtendedMiningChannel.Success") throw new Error(`channel refused: ${ok.type}`);
  let job = await next();
  while (job.type !== "SetNewPrevHash") job = await next();
  return {
    conn,
    channelId: ok.channelId,
    jobId: job.jobId,
    minNtime: job.minNtime,
    extranonceSize: ok.extranonceSize,
    frames,
  };
}

async function drive(c: Client, ci: number): Promise<{ rejected: number }> {
  let sent = 0;
  let acked = 0;
  let rejected = 0;
  const extranonce = new Uint8Array(c.extranonceSize);
  extranonce[0] = ci & 0xff;
  extranonce[1] = (ci >> 8) & 0xff;
  extranonce[2] = ci >> 16;
  const sendOne = () => {
    const seq = ++sent;
    void c.conn.send(
      encodeMessage({
        type: "SubmitSharesExtended",
        channelId: c.channelId,
        sequenceNumber: seq,
        jobId: c.jobId,
        nonce: seq,
        ntime: c.minNtime,
        version: 0x2000_0000,
        extranonce,
      }),
    );
  };
  for (let i = 0; i < Math.min(WINDOW, perChannel); i++) sendOne();
  while (acked + rejected < perChannel) {
    const r = await c.frames.next();
    if (r.done) throw new Error("the pool closed the connection");
    const m = decodeMessage(r.value);
    if (m.type === "SubmitShares.Success") acked += m.newSubmitsAcceptedCount;
    else if (m.type === "SubmitShares.Error") rejected++;
    else continue;
    while (sent < perChannel && sent - acked - rejected < WINDOW) sendOne();
  }
  return { rejected };
}

const clients: Client[] = [];
const opening = performance.now();
// A few handshakes at a time: the pool's accept path, not a thundering herd, is what is measured.
for (let i = 0; i < channels; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, channels - i) }, () => openClient()));
  clients.push(...batch);
}
const openedMs = performance.now() - opening;
console.log(JSON.stringify({ event: "open", channels, openedMs }));
// The parent samples the pool's CPU between "open" and "done".
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
const started = performance.now();
const results = await Promise.all(clients.map((c, ci) => drive(c, ci)));
const seconds = (performance.now() - started) / 1000;
const rejected = results.reduce((s, r) => s + r.rejected, 0);
console.log(JSON.stringify({ event: "done", seconds, shares: channels * perChannel, rejected }));
for (const c of clients) c.conn.close();
process.exit(0);
