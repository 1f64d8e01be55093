/**
 * A CPU miner for Stratum V2, for tests and `npm start`: opens one standard or extended
 * channel, follows jobs, tips and targets, brute-forces nonces (rolling version bits and the
 * extranonce on extended channels) and submits every share that meets its target. It also
 * lets a test submit hand-made shares and await their answer.
 */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import {
  concat,
  hashToDisplayHex,
  MAX_TARGET,
  merkleRootFromPath,
  parseTransaction,
  serializeHeader,
  targetFromU256LE,
  targetToU256LE,
  txid,
  VERSION_ROLLING_MASK,
} from "@hyperhash/bitcoin";
import { decodeMessage, encodeMessage, MINING_SETUP_FLAGS, PROTOCOL, type Sv2Message } from "@hyperhash/sv2";
import { connectInitiator, type Sv2Connection } from "@hyperhash/sv2/connection";

/** Options of {@link startSv2Miner}. */
export interface Sv2MinerOptions {
  readonly host: string;
  readonly port: number;
  /** The pool's authority key (x-only); when absent the certificate is not checked. */
  readonly authorityPublicKey?: Uint8Array;
  readonly userIdentity: string;
  readonly channel: "standard" | "extended";
  /** Declared hash rate (h/s); the pool's starting difficulty follows it. */
  readonly nominalHashRate?: number;
  readonly maxTarget?: bigint;
  /** SetupConnection device_id (a node credential `<nodeId>:<credential>` binds the connection). */
  readonly deviceId?: string;
  /** SetupConnection flags; default 0b1 (standard) or 0b100 (extended), as SRI's peers send. */
  readonly setupFlags?: number;
  readonly minExtranonceSize?: number;
  /** Extended channels: roll BIP320 version bits (default true). */
  readonly rollVersion?: boolean;
  /** Added to the clock for ntime (SRI's device uses +60 s). */
  readonly ntimeOffsetSeconds?: number;
  /** false: connect and open the channel but only submit what the test asks. */
  readonly autoMine?: boolean;
  /** Hashes per slice before yielding to the event loop. */
  readonly hashesPerSlice?: number;
  /** Sees every message the pool sends, in order, before the miner acts on it (tests watch SetTarget). */
  readonly onMessage?: (m: Sv2Message) => void;
}

/** The job the miner works on. */
export interface MinerWork {
  readonly channelId: number;
  readonly jobId: number;
  readonly version: number;
  readonly prevHash: Uint8Array;
  readonly nBits: number;
  readonly minNtime: number;
  readonly target: bigint;
  readonly extranoncePrefix: Uint8Array;
  readonly extranonceSize: number;
  /** Merkle root for an extranonce part (standard channels ignore it). */
  merkleRoot(extranonce: Uint8Array): Uint8Array;
}

/** A share a test hands in. */
export interface ManualShare {
  readonly jobId: number;
  readonly nonce: number;
  readonly ntime: number;
  readonly version: number;
  readonly extranonce?: Uint8Array;
  readonly channelId?: number;
}

/** Outcome of a submitted share. */
export type SubmitAnswer = { readonly ok: true } | { readonly ok: false; readonly code: string };

/** Counters of a running miner. */
export interface MinerStats {
  readonly hashes: number;
  readonly submitted: number;
  readonly accepted: number;
  readonly rejected: Readonly<Record<string, number>>;
  /** Shares the pool acknowledged, with the header hash the miner computed (display order). */
  readonly acknowledged: readonly { readonly sequenceNumber: number; readonly hashHex: string }[];
  readonly channelId: number | null;
  readonly target: bigint | null;
  readonly jobs: number;
  readonly tips: number;
}

/** A running miner. */
export interface Sv2Miner {
  stats(): MinerStats;
  /** Current work (null before the first job and tip). */
  work(): MinerWork | null;
  /** Submits a hand-made share; resolves with the pool's answer. */
  submit(share: ManualShare): Promise<SubmitAnswer>;
  /** Resolves when the connection closes. */
  readonly closed: Promise<unknown>;
  stop(): Promise<void>;
}

interface Job {
  jobId: number;
  version: number;
  merkleRoot?: Uint8Array;
  prefix?: Uint8Array;
  suffix?: Uint8Array;
  path?: Uint8Array[];
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();

/** Connects, sets up, opens the channel and (by default) starts mining. */
export async function startSv2Miner(options: Sv2MinerOptions): Promise<Sv2Miner> {
  const socket = connect({ host: options.host, port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const conn: Sv2Connection = await connectInitiator(socket, {
    handshakeTimeoutMs: 10_000,
    maxPayload: 1 << 20,
    ...(options.authorityPublicKey ? { authorityPublicKey: options.authorityPublicKey } : {}),
  });
  const state = createMinerState(options, conn);
  const send = (m: Sv2Message) => conn.send(encodeMessage(m));
  const extended = options.channel === "extended";
  await send({
    type: "SetupConnection",
    protocol: PROTOCOL.MINING,
    minVersion: 2,
    maxVersion: 2,
    flags:
      options.setupFlags ??
      (extended ? MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING : MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS),
    endpointHost: options.host,
    endpointPort: options.port,
    vendor: "hyperhash",
    hardwareVersion: "cpu",
    firmware: "hh-test-miner",
    deviceId: options.deviceId ?? "",
  });
  const frames = conn.frames()[Symbol.asyncIterator]();
  const next = async () => {
    const r = await frames.next();
    if (r.done) throw new Error("pool closed the connection");
    return decodeMessage(r.value);
  };
  const setup = await next();
  if (setup.type !== "SetupConnection.Success") {
    conn.close();
    throw new Error(
      `SetupConnection refused: ${setup.type === "SetupConnection.Error" ? setup.errorCode : setup.type}`,
    );
  }
  const common = {
    requestId: 1,
    userIdentity: options.userIdentity,
    nominalHashRate: options.nominalHashRate ?? 100_000,
    maxTarget: targetToU256LE(options.maxTarget ?? MAX_TARGET),
  };
  await send(
    extended
      ? { type: "OpenExtendedMiningChannel", ...common, minExtranonceSize: options.minExtranonceSize ?? 4 }
      : { type: "OpenStandardMiningChannel", ...common },
  );
  const opened = await next();
  if (opened.type === "OpenMiningChannel.Error") {
    conn.close();
    throw new Error(`channel refused: ${opened.errorCode}`);
  }
  state.onMessage(opened);
  const closed = (async () => {
    for (let r = await frames.next(); !r.done; r = await frames.next())
      state.onMessage(decodeMessage(r.value));
  })().catch((err) => err);
  closed.finally(() => state.stop());
  if (options.autoMine !== false) state.mine();
  return {
    stats: state.stats,
    work: state.work,
    submit: state.submit,
    closed,
    async stop() {
      state.stop();
      conn.close();
      await closed;
    },
  };
}

function createMinerState(options: Sv2MinerOptions, conn: Sv2Connection) {
  const jobs = new Map<number, Job>();
  let channelId: number | null = null;
  let extranoncePrefix: Uint8Array = new Uint8Array(0);
  let extranonceSize = 0;
  let target: bigint | null = null;
  let current: Job | null = null;
  let tip: { prevHash: Uint8Array; nBits: number; minNtime: number } | null = null;
  let running = true;
  let sequence = 0;
  let extranonceCounter = 0;
  // Nonces continue across slices: a standard channel's header only changes through them
  // (ntime may sit at a future min_ntime for a while), so restarting at 0 would repeat work.
  let nonceCursor = 0;
  let hashes = 0;
  let submitted = 0;
  let accepted = 0;
  let tips = 0;
  let jobsSeen = 0;
  const rejected: Record<string, number> = {};
  const acknowledged: { sequenceNumber: number; hashHex: string }[] = [];
  const pending = new Map<number, { hashHex: string; resolve: (a: SubmitAnswer) => void }>();

  const merkleRootOf = (job: Job, extranonce: Uint8Array): Uint8Array => {
    if (job.merkleRoot) return job.merkleRoot;
    const coinbase = concat(job.prefix!, extranoncePrefix, extranonce, job.suffix!);
    return merkleRootFromPath(txid(parseTransaction(coinbase)), job.path!);
  };

  function onMessage(m: Sv2Message): void {
    options.onMessage?.(m);
    switch (m.type) {
      case "OpenStandardMiningChannel.Success":
      case "OpenExtendedMiningChannel.Success":
        channelId = m.channelId;
        target = targetFromU256LE(m.target);
        extranoncePrefix = m.extranoncePrefix;
        extranonceSize = m.type === "OpenExtendedMiningChannel.Success" ? m.extranonceSize : 0;
        return;
      case "NewMiningJob":
      case "NewExtendedMiningJob": {
        jobsSeen++;
        const job: Job =
          m.type === "NewMiningJob"
            ? { jobId: m.jobId, version: m.version, merkleRoot: m.merkleRoot }
            : {
                jobId: m.jobId,
                version: m.version,
                prefix: m.coinbaseTxPrefix,
                suffix: m.coinbaseTxSuffix,
                path: m.merklePath,
              };
        jobs.set(m.jobId, job);
        if (m.minNtime !== null && tip) current = job;
        return;
      }
      case "SetNewPrevHash": {
        tips++;
        tip = { prevHash: m.prevHash, nBits: m.nbits, minNtime: m.minNtime };
        current = jobs.get(m.jobId) ?? null;
        for (const id of [...jobs.keys()]) if (id !== m.jobId) jobs.delete(id);
        return;
      }
      case "SetTarget":
        target = targetFromU256LE(m.maximumTarget);
        return;
      case "SubmitShares.Success":
        for (const [seq, p] of pending) {
          if (seq > m.lastSequenceNumber) continue;
          pending.delete(seq);
          accepted++;
          acknowledged.push({ sequenceNumber: seq, hashHex: p.hashHex });
          p.resolve({ ok: true });
        }
        return;
      case "SubmitShares.Error": {
        const p = pending.get(m.sequenceNumber);
        pending.delete(m.sequenceNumber);
        rejected[m.errorCode] = (rejected[m.errorCode] ?? 0) + 1;
        p?.resolve({ ok: false, code: m.errorCode });
        return;
      }
      default:
        return;
    }
  }

  function work(): MinerWork | null {
    if (!current || !tip || channelId === null || target === null) return null;
    const job = current;
    return {
      channelId,
      jobId: job.jobId,
      version: job.version,
      prevHash: tip.prevHash,
      nBits: tip.nBits,
      minNtime: tip.minNtime,
      target,
      extranoncePrefix,
      extranonceSize,
      merkleRoot: (extranonce) => merkleRootOf(job, extranonce),
    };
  }

  function submit(share: ManualShare): Promise<SubmitAnswer> {
    const w = work();
    const seq = ++sequence;
    const extranonce = share.extranonce ?? new Uint8Array(extranonceSize);
    let hashHex = "";
    try {
      const root = w ? merkleRootOf(jobs.get(share.jobId) ?? current!, extranonce) : new Uint8Array(32);
      const header = serializeHeader({
        version: share.version,
        prevHash: w?.prevHash ?? new Uint8Array(32),
        merkleRoot: root,
        ntime: share.ntime,
        nBits: w?.nBits ?? 0,
        nonce: share.nonce,
      });
      hashHex = hashToDisplayHex(sha256(sha256(header)));
    } catch {
      hashHex = ""; // a deliberately broken share
    }
    submitted++;
    const answer = new Promise<SubmitAnswer>((resolve) => pending.set(seq, { hashHex, resolve }));
    const common = {
      channelId: share.channelId ?? channelId ?? 0,
      sequenceNumber: seq,
      jobId: share.jobId,
      nonce: share.nonce >>> 0,
      ntime: share.ntime >>> 0,
      version: share.version >>> 0,
    };
    const message: Sv2Message =
      options.channel === "extended"
        ? { type: "SubmitSharesExtended", ...common, extranonce }
        : { type: "SubmitSharesStandard", ...common };
    conn.send(encodeMessage(message)).catch(() => {});
    return answer;
  }

  function mineSlice(): void {
    const w = work();
    if (!w) return;
    const extranonce = new Uint8Array(w.extranonceSize);
    // The counter fills as many low bytes as the channel grants (none on standard channels).
    for (let i = 0, n = extranonceCounter++; i < Math.min(4, extranonce.length); i++, n >>>= 8)
      extranonce[i] = n & 0xff;
    const rolling = options.channel === "extended" && options.rollVersion !== false;
    const version = rolling
      ? ((w.version & ~VERSION_ROLLING_MASK) | ((extranonceCounter << 13) & VERSION_ROLLING_MASK)) >>> 0
      : w.version;
    const ntime = Math.max(w.minNtime, Math.floor(Date.now() / 1000) + (options.ntimeOffsetSeconds ?? 0));
    const header = serializeHeader({
      version,
      prevHash: w.prevHash,
      merkleRoot: w.merkleRoot(extranonce),
      ntime,
      nBits: w.nBits,
      nonce: 0,
    });
    const view = new DataView(header.buffer, header.byteOffset);
    const slice = options.hashesPerSlice ?? 4000;
    const top = Number(w.target >> 224n); // quick reject on the hash's top 32 bits
    const from = nonceCursor;
    nonceCursor = (nonceCursor + slice) % 0x1_0000_0000;
    for (let nonce = from; nonce < from + slice && nonce <= 0xffff_ffff; nonce++) {
      view.setUint32(76, nonce, true);
      const hash = sha256(sha256(header));
      hashes++;
      if (hash.readUInt32LE(28) > top) continue;
      let value = 0n;
      for (let i = 31; i >= 0; i--) value = (value << 8n) | BigInt(hash[i]!);
      if (value > w.target) continue;
      void submit({ jobId: w.jobId, nonce, ntime, version, extranonce: extranonce.slice() });
    }
  }

  function mine(): void {
    const loop = () => {
      if (!running) return;
      try {
        mineSlice();
      } catch {
        // A job that does not parse is skipped until the next one.
      }
      setImmediate(loop);
    };
    setImmediate(loop);
  }

  return {
    onMessage,
    work,
    submit,
    mine,
    stop: () => {
      running = false;
      for (const p of pending.values()) p.resolve({ ok: false, code: "connection-closed" });
      pending.clear();
    },
    stats: (): MinerStats => ({
      hashes,
      submitted,
      accepted,
      rejected: { ...rejected },
      acknowledged: [...acknowledged],
      channelId,
      target,
      jobs: jobsSeen,
      tips,
    }),
  };
}
