/**
 * A CPU SV1 miner for tests, benchmarks and `npm start`: speaks mining.configure (BIP310
 * version rolling), subscribe, extranonce.subscribe, authorize and suggest_difficulty,
 * hashes jobs in small batches (yielding to the event loop between them) and submits
 * every header at or below its difficulty's target.
 */
import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import { difficultyToTarget } from "@hyperhash/bitcoin";
import {
  bytesFromHex,
  encodeRequest,
  LineDecoder,
  prevHashFromSv1,
  toHex,
  u32FromHex,
  u32ToHex,
} from "@hyperhash/sv1";
import { z } from "zod";

/** Options of {@link startSv1Miner}. */
export interface Sv1MinerOptions {
  readonly host: string;
  readonly port: number;
  /** `<payout destination>[.<worker>]`. */
  readonly user: string;
  readonly password?: string;
  /** Negotiate BIP310 version rolling and roll the version (default true). */
  readonly versionRolling?: boolean;
  /** Send mining.extranonce.subscribe (default true). */
  readonly extranonceSubscribe?: boolean;
  /** Send mining.suggest_difficulty with this value. */
  readonly suggestDifficulty?: number;
  /** Hashes per batch between event-loop turns (default 2,000). */
  readonly batchSize?: number;
  /** Nonces scanned per (extranonce2, version) before moving on (default 2^20). */
  readonly nonceWindow?: number;
}

/** Counters of a running miner. */
export interface Sv1MinerStats {
  readonly connected: boolean;
  readonly authorized: boolean;
  readonly extranonce1: string | null;
  readonly extranonce2Size: number;
  readonly versionMask: number | null;
  readonly difficulty: number;
  readonly jobs: number;
  readonly hashes: number;
  readonly submitted: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejection messages by count. */
  readonly rejectReasons: Readonly<Record<string, number>>;
  /** Header hashes (display hex) of accepted shares, for duplicate checks. */
  readonly acceptedHashes: readonly string[];
  /** Shares submitted with version bits other than zero. */
  readonly rolledShares: number;
  /** Of those, how many were answered true. */
  readonly acceptedRolled: number;
}

/** A running miner. */
export interface Sv1Miner {
  stats(): Sv1MinerStats;
  stop(): Promise<void>;
}

interface MinerJob {
  readonly id: string;
  readonly prevHash: Uint8Array;
  readonly coinb1: Uint8Array;
  readonly coinb2: Uint8Array;
  readonly branches: readonly Uint8Array[];
  readonly version: number;
  readonly nBits: number;
  readonly ntime: number;
  readonly target: bigint;
}

const NotifySchema = z.tuple([
  z.string(),
  z.string().length(64),
  z.string(),
  z.string(),
  z.array(z.string().length(64)),
  z.string().length(8),
  z.string().length(8),
  z.string().length(8),
  z.boolean(),
]);
const MessageSchema = z.object({
  id: z.union([z.number(), z.string(), z.null()]).optional(),
  method: z.string().optional(),
  params: z.array(z.unknown()).optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
});

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();
const sha256d = (data: Uint8Array) => sha256(sha256(data));

/** Spreads the low bits of `n` over the set bits of `mask` (a software PDEP). */
function spreadOverMask(n: number, mask: number): number {
  let out = 0;
  let bit = 0;
  for (let i = 0; i < 32; i++) {
    if ((mask >>> i) & 1) {
      if ((n >>> bit) & 1) out |= 1 << i;
      bit++;
    }
  }
  return out >>> 0;
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask >>> 0; m; m &= m - 1) count++;
  return count;
}

/** Connects and starts mining; resolves once connected (the handshake runs in the background). */
export async function startSv1Miner(options: Sv1MinerOptions): Promise<Sv1Miner> {
  const socket: Socket = connect({ host: options.host, port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  const decoder = new LineDecoder(1 << 20);
  const pending = new Map<number, (m: z.infer<typeof MessageSchema>) => void>();
  let nextId = 1;
  let running = true;
  let connected = true;
  let authorized = false;
  let extranonce1: Uint8Array | null = null;
  let extranonce2Size = 4;
  let versionMask: number | null = null;
  let difficulty = 1;
  let job: MinerJob | null = null;
  let workCounter = 0;
  let jobs = 0;
  let hashes = 0;
  let submitted = 0;
  let accepted = 0;
  let rejected = 0;
  let rolledShares = 0;
  let acceptedRolled = 0;
  const rejectReasons: Record<string, number> = {};
  const acceptedHashes: string[] = [];

  const request = (method: string, params: unknown[]) => {
    const id = nextId++;
    return new Promise<z.infer<typeof MessageSchema>>((resolve) => {
      pending.set(id, resolve);
      if (!socket.destroyed) socket.write(encodeRequest(id, method, params));
    });
  };

  const onNotification = (method: string, params: unknown[]) => {
    if (method === "mining.set_difficulty" && typeof params[0] === "number" && params[0] > 0) {
      difficulty = params[0];
    } else if (method === "mining.notify") {
      const p = NotifySchema.safeParse(params);
      if (!p.success) return;
      const [id, prev, c1, c2, branches, version, nbits, ntime, clean] = p.data;
      if (!clean && job !== null && job.id === id) return;
      job = {
        id,
        prevHash: prevHashFromSv1(prev),
        coinb1: bytesFromHex(c1),
        coinb2: bytesFromHex(c2),
        branches: branches.map(bytesFromHex),
        version: u32FromHex(version),
        nBits: u32FromHex(nbits),
        ntime: u32FromHex(ntime),
        target: difficultyToTarget(difficulty),
      };
      jobs++;
      // Like cgminer, extranonce2 keeps counting across jobs: a job re-sent after a
      // difficulty change has the same coinbase, and restarting at 0 would redo old work.
    } else if (method === "mining.set_version_mask" && typeof params[0] === "string") {
      versionMask = u32FromHex(params[0]);
    } else if (method === "mining.set_extranonce" && typeof params[0] === "string") {
      extranonce1 = bytesFromHex(params[0]);
      if (typeof params[1] === "number") extranonce2Size = params[1];
    }
  };

  socket.on("data", (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const line of lines) {
      let parsed: z.infer<typeof MessageSchema>;
      try {
        parsed = MessageSchema.parse(JSON.parse(line));
      } catch {
        continue;
      }
      if (parsed.method) onNotification(parsed.method, parsed.params ?? []);
      else if (typeof parsed.id === "number") {
        const resolve = pending.get(parsed.id);
        pending.delete(parsed.id);
        resolve?.(parsed);
      }
    }
  });
  const closed = new Promise<void>((resolve) =>
    socket.on("close", () => {
      connected = false;
      running = false;
      for (const resolve of pending.values()) resolve({ id: null, result: null, error: ["closed"] });
      pending.clear();
      resolve();
    }),
  );
  socket.on("error", () => {});

  const submit = (
    work: MinerJob,
    ex2: Uint8Array,
    ntime: number,
    nonce: number,
    vbits: number,
    hash: string,
  ) => {
    submitted++;
    if (vbits !== 0) rolledShares++;
    const params = [options.user, work.id, toHex(ex2), u32ToHex(ntime), u32ToHex(nonce)];
    if (versionMask !== null) params.push(u32ToHex(vbits));
    void request("mining.submit", params).then((answer) => {
      if (answer.result === true) {
        accepted++;
        if (vbits !== 0) acceptedRolled++;
        if (acceptedHashes.length < 200_000) acceptedHashes.push(hash);
      } else {
        rejected++;
        const reason = Array.isArray(answer.error) ? String(answer.error[1] ?? answer.error[0]) : "unknown";
        rejectReasons[reason] = (rejectReasons[reason] ?? 0) + 1;
      }
    });
  };

  /** Hashes one batch of the current job; returns after `batchSize` headers. */
  const mineBatch = () => {
    const work = job;
    if (!work || !extranonce1) return;
    const window = options.nonceWindow ?? 1 << 20;
    const batch = options.batchSize ?? 2_000;
    const rollBits = versionMask === null ? 0 : Math.min(popcount(versionMask), 16);
    const unit = Math.floor(workCounter / window);
    const firstNonce = workCounter % window;
    const vbits = versionMask === null ? 0 : spreadOverMask(unit % 2 ** rollBits, versionMask);
    const ex2Value = rollBits > 0 ? Math.floor(unit / 2 ** rollBits) : unit;
    const ex2 = new Uint8Array(extranonce2Size);
    for (let i = 0, v = ex2Value; i < extranonce2Size && v > 0; i++, v = Math.floor(v / 256))
      ex2[i] = v % 256;
    let root: Uint8Array = sha256d(Buffer.concat([work.coinb1, extranonce1, ex2, work.coinb2]));
    for (const branch of work.branches) root = sha256d(Buffer.concat([root, branch]));
    const header = Buffer.alloc(80);
    const version = versionMask === null ? work.version : ((work.version & ~versionMask) | vbits) >>> 0;
    header.writeUInt32LE(version, 0);
    header.set(work.prevHash, 4);
    header.set(root, 36);
    header.writeUInt32LE(work.ntime, 68);
    header.writeUInt32LE(work.nBits, 72);
    const count = Math.min(batch, window - firstNonce);
    for (let i = 0; i < count; i++) {
      const nonce = firstNonce + i;
      header.writeUInt32LE(nonce, 76);
      const hash = sha256d(header);
      hashes++;
      // Compare as the LE integer Bitcoin uses: the hash's last byte is the most significant.
      if (hash[31]! === 0 || work.target >= 1n << 248n) {
        const value = BigInt(`0x${Buffer.from(hash).reverse().toString("hex")}`);
        if (value <= work.target)
          submit(work, ex2, work.ntime, nonce, vbits, value.toString(16).padStart(64, "0"));
      }
    }
    workCounter += count;
  };

  const loop = async () => {
    while (running) {
      if (authorized && job) {
        mineBatch();
        // setImmediate, not setTimeout(0): two miners re-arming zero timers between batches kept
        // the process's other I/O waiting for seconds (an HTTPS getblockcount beside two such
        // loops: 5-35 s or a TLS disconnect at 30 s; with setImmediate 60-120 ms). Tests run
        // CPU miners in the process that also runs hh-tp's submitblock calls.
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };

  const handshake = async () => {
    if (options.versionRolling ?? true) {
      const r = await request("mining.configure", [
        ["version-rolling"],
        { "version-rolling.mask": "1fffe000", "version-rolling.min-bit-count": 2 },
      ]);
      const result = r.result as Record<string, unknown> | null;
      if (result?.["version-rolling"] === true && typeof result["version-rolling.mask"] === "string") {
        versionMask = u32FromHex(result["version-rolling.mask"]);
      }
    }
    const sub = await request("mining.subscribe", ["hh-cpu-miner/0.1.0"]);
    if (Array.isArray(sub.result) && typeof sub.result[1] === "string") {
      extranonce1 = bytesFromHex(sub.result[1]);
      if (typeof sub.result[2] === "number") extranonce2Size = sub.result[2];
    }
    if (options.extranonceSubscribe ?? true) await request("mining.extranonce.subscribe", []);
    if (options.suggestDifficulty !== undefined) {
      await request("mining.suggest_difficulty", [options.suggestDifficulty]);
    }
    const auth = await request("mining.authorize", [options.user, options.password ?? "x"]);
    authorized = auth.result === true;
  };
  void handshake();
  const mining = loop();

  return {
    stats: () => ({
      connected,
      authorized,
      extranonce1: extranonce1 ? toHex(extranonce1) : null,
      extranonce2Size,
      versionMask,
      difficulty,
      jobs,
      hashes,
      submitted,
      accepted,
      rejected,
      rejectReasons: { ...rejectReasons },
      acceptedHashes,
      rolledShares,
      acceptedRolled,
    }),
    async stop() {
      running = false;
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
      await mining;
      await closed;
    },
  };
}
