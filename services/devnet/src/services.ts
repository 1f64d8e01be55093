// The whole Hyper Hash network on top of a devnet, run in this process: `npm start` and the
// end-to-end tests use this one composition. Exported as `@hyperhash/devnet/services`, not
// from index.ts: the services' own tests import @hyperhash/devnet, and this module imports
// the services.

import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { difficultyToTarget } from "@hyperhash/bitcoin";
import { credentialResponse, ledgerResponse, listWindowsResponse } from "@hyperhash/contracts";
import { type RunningCore, startCore } from "@hyperhash/core";
import { type NodeAgent, startNodeAgent } from "@hyperhash/node-agent";
import { type RunningPool, type Sv2Miner, startPool, startSv2Miner } from "@hyperhash/pool";
import { createLogger, type Logger, type LogLevel } from "@hyperhash/telemetry";
import { startTemplateProvider, type TemplateProviderHandle } from "@hyperhash/template-provider";
import { type Sv1Miner, startSv1Miner, startTranslator, type Translator } from "@hyperhash/translator";
import { startTreasury, type Treasury } from "@hyperhash/treasury";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { z } from "zod";
import type { Devnet } from "./devnet.ts";
import type { Lnd } from "./lnd.ts";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait.ts";

/** Options of {@link startHyperhashNetwork}. */
export interface HyperhashNetworkOptions {
  /** Progress lines (e.g. the CLI's). */
  say?: (line: string) => void;
  /** Core's confirmations before a window is calculated (default 1, regtest's). */
  payoutConfirmations?: number;
  /**
   * Difficulty of the pool's regtest `blockTarget` (default 2^-11: about two million hashes,
   * a block every few seconds from the in-process CPU miners, while each channel, aiming at
   * `sharesPerMinute`, puts several shares in every window).
   */
  blockDifficulty?: number;
  /** Pool vardiff aim per channel (default 120 shares a minute). */
  sharesPerMinute?: number;
  /**
   * Sent from the faucet to the treasury lnd's wallet for the miners' on-chain payouts, in
   * payments of at most 45 BTC (one early 50 BTC coinbase each; default 500 BTC: the pool's
   * own coinbases only mature after 100 blocks).
   */
  treasuryOnchainSats?: bigint;
  /** Start the CPU miners (default true; `miners.start()` starts them later). */
  startMiners?: boolean;
  logLevel?: LogLevel;
}

/** One HyperNode: its Core identity, lnd, agent, translator and the SV1 miner behind it. */
export interface NetworkNode {
  readonly nodeId: string;
  readonly lnd: Lnd;
  readonly agent: NodeAgent;
  readonly translator: Translator;
  /** Payout destination of the node's SV1 miner (an address of the node lnd's wallet). */
  readonly minerAddress: string;
}

/** The running network. */
export interface HyperhashNetwork {
  readonly devnet: Devnet;
  readonly templateProvider: TemplateProviderHandle;
  readonly core: RunningCore;
  readonly coreUrl: string;
  readonly pool: RunningPool;
  readonly poolUrl: string;
  /** Bearer token of the pool's `/api/v1/*` (the one Core sends for the outbox). */
  readonly poolApiToken: string;
  readonly treasury: Treasury;
  readonly nodes: readonly NetworkNode[];
  /** Payout destination of the direct SV2 miner (standard channel, no node). */
  readonly directMinerAddress: string;
  /** 0600 file with every token and node credential. */
  readonly secretsPath: string;
  /** The CPU miners (one SV1 per node, one direct SV2); stop and start them, e.g. around a reorg. */
  readonly miners: { start(): Promise<void>; stop(): Promise<void>; readonly running: boolean };
  /** Core's API as admin; throws on a non-2xx answer. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Blocks the pool found, newest first (its HTTP API). */
  poolBlocks(): Promise<PoolBlock[]>;
  summary(): Promise<NetworkSummary>;
  /** Lines for the start-up summary (no secrets: they are in `secretsPath`). */
  describe(): string[];
  /** Lines for the smoke check; throws when a part does not answer. */
  check(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Figures for the one-screen summary. */
export interface NetworkSummary {
  blocksFound: number;
  windowsByPhase: Record<string, number>;
  satsPaid: bigint;
}

const poolBlocksSchema = z.object({
  blocks: z.array(
    z.object({
      blockHash: z.string(),
      height: z.number(),
      winner: z.object({ destination: z.string(), nodeId: z.string().nullable(), worker: z.string() }),
    }),
  ),
});
/** A block in the pool's share log. */
export type PoolBlock = z.infer<typeof poolBlocksSchema>["blocks"][number];

const REGTEST_SIGNER_NETWORK = { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
/** A fresh regtest P2WPKH address whose key is thrown away: a miner's payout address. */
function throwawayAddress(): string {
  const address = p2wpkh(
    secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
    REGTEST_SIGNER_NETWORK,
  ).address;
  if (!address) throw new Error("could not derive a regtest address");
  return address;
}

const token = () => randomBytes(24).toString("base64url");
const BTC = 100_000_000n;

/** A log sink per service: JSON lines into `<dir>/<name>.log`. */
function logSink(dir: string, name: string, streams: WriteStream[]): (line: string) => void {
  const stream = createWriteStream(join(dir, `${name}.log`), { flags: "a" });
  streams.push(stream);
  return (line) => stream.write(`${line}\n`);
}

async function readyz(name: string, port: number | undefined): Promise<string> {
  if (port === undefined) throw new Error(`${name}: no ops port`);
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  if (res.status !== 200) throw new Error(`${name} not ready: ${await res.text()}`);
  return "ready";
}

/**
 * Starts hh-tp, Core, hh-pool, a node agent + hh-translator + SV1 CPU miner per node lnd, a
 * direct SV2 CPU miner and the treasury on a devnet; stops what it started if any step fails.
 */
export async function startHyperhashNetwork(
  devnet: Devnet,
  options: HyperhashNetworkOptions = {},
): Promise<HyperhashNetwork> {
  const say = options.say ?? (() => {});
  const level = options.logLevel ?? "info";
  const stoppers: Array<() => Promise<void>> = [];
  const streams: WriteStream[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => {});
    stoppers.length = 0;
    for (const s of streams) s.end();
  };
  const logger = (service: string): Logger =>
    createLogger({ service, level, write: logSink(devnet.dir, service, streams) });
  try {
    const { btcd } = devnet;
    const tokens = {
      admin: token(),
      pool: token(),
      treasury: token(),
      agent: token(),
      poolOutbox: token(),
    };

    say("starting hh-tp (Template Provider) on btcd...");
    const templateProvider = await startTemplateProvider({
      network: "regtest",
      rpc: btcd.rpc,
      rpcEndpoint: {
        url: `https://${btcd.rpcHost}`,
        user: btcd.rpcUser,
        password: btcd.rpcPassword,
        caPem: btcd.rpcCertPem,
      },
      authoritySecretKey: new Uint8Array(randomBytes(32)),
      listenPort: 0,
      opsPort: 0,
      logLevel: level,
      logWrite: logSink(devnet.dir, "hh-tp", streams),
    });
    stoppers.push(() => templateProvider.stop());

    // Core reads the pool's outbox and the pool verifies node credentials at Core: the pool's
    // API port is chosen first so Core can be told where the outbox will be.
    const poolHttpPort = await freePort();
    const poolUrl = `http://127.0.0.1:${poolHttpPort}`;
    say("starting hyperhash-core (regtest, SQLite in the devnet dir)...");
    const core = await startCore(
      {
        network: "regtest",
        dbPath: join(devnet.dir, "core.sqlite"),
        adminToken: tokens.admin,
        poolToken: tokens.pool,
        treasuryToken: tokens.treasury,
        poolUrl,
        poolOutboxToken: tokens.poolOutbox,
        payoutConfirmations: options.payoutConfirmations ?? 1,
        pollIntervalMs: 500,
        logLevel: level,
      },
      { rpc: btcd.rpc, logger: logger("hyperhash-core") },
    );
    stoppers.push(() => core.stop());
    const coreUrl = `http://127.0.0.1:${core.port}`;
    const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(new URL(path, coreUrl), {
        method,
        headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`core ${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    say(`registering ${devnet.nodes.length} node(s) at Core...`);
    const registered: Array<{ nodeId: string; credential: string; lnd: Lnd }> = [];
    for (const lnd of devnet.nodes) {
      const issued = credentialResponse.parse(
        await admin("POST", "/api/v1/nodes", {
          name: lnd.alias,
          visibility: "public",
          lightningPubkey: lnd.pubkey,
        }),
      );
      registered.push({ ...issued, lnd });
    }

    say("starting hh-pool (regtest blockTarget, coinbase to the treasury lnd's wallet)...");
    const blockDifficulty = options.blockDifficulty ?? 2 ** -11;
    const pool = await startPool({
      network: "regtest",
      authoritySecretKey: new Uint8Array(randomBytes(32)),
      templateProvider: {
        host: templateProvider.host,
        port: templateProvider.port,
        authorityPublicKey: templateProvider.authorityPublicKey,
      },
      treasuryAddress: await devnet.treasury.wallet.createAddress(),
      dbPath: join(devnet.dir, "pool.sqlite"),
      httpPort: poolHttpPort,
      opsPort: 0,
      blockTarget: difficultyToTarget(blockDifficulty),
      vardiff: {
        targetSharesPerMinute: options.sharesPerMinute ?? 120,
        minWindowSeconds: 10,
        burstShares: 20,
      },
      vardiffTickMs: 2000,
      // Node credentials are verified at Core, as in a cluster (no static list).
      core: { url: coreUrl, token: tokens.pool },
      apiToken: tokens.poolOutbox,
      logger: logger("hh-pool"),
    });
    stoppers.push(() => pool.stop());
    await waitFor(() => pool.ready, { what: "hh-pool to have a template and a tip", timeoutMs: 60_000 });

    const onchain = options.treasuryOnchainSats ?? 500n * BTC;
    say(`funding the treasury wallet with ${onchain / BTC} BTC for on-chain miner payouts...`);
    await fundTreasury(devnet, onchain);

    const nodes: NetworkNode[] = [];
    for (const [i, { nodeId, credential, lnd }] of registered.entries()) {
      say(`starting node agent and hh-translator for ${lnd.alias} (${nodeId})...`);
      const agent = await startNodeAgent(
        {
          host: "127.0.0.1",
          port: 0,
          opsPort: 0,
          apiToken: tokens.agent,
          lnd: { socket: lnd.grpcSocket, certPem: lnd.certPem, macaroonHex: lnd.macaroonHex },
          treasuryPubkey: devnet.treasury.pubkey,
          invoiceStorePath: join(devnet.dir, `${lnd.alias}-invoices.json`),
          invoiceExpirySeconds: 3600,
          core: { url: coreUrl, nodeId, credential, telemetryIntervalMs: 10_000 },
          logLevel: level,
        },
        { logger: logger(`hh-node-agent-${i + 1}`) },
      );
      stoppers.push(() => agent.stop());
      const translator = await startTranslator(
        {
          port: 0,
          opsPort: 0,
          upstreams: [
            { host: pool.host, port: pool.port, authorityPublicKey: pool.authorityPublicKeyBase58 },
          ],
          nodeId,
          credential,
          initialDifficulty: 2 ** -16,
          minDifficulty: 2 ** -24,
          maxDifficulty: 2 ** 20,
          targetSharesPerMinute: 60,
          vardiffWindowSeconds: 10,
          nominalHashRate: 2e4,
          reconnectMinMs: 100,
          reconnectMaxMs: 2_000,
          logLevel: level,
        },
        { writeLog: logSink(devnet.dir, `hh-translator-${i + 1}`, streams) },
      );
      stoppers.push(() => translator.stop());
      nodes.push({ nodeId, lnd, agent, translator, minerAddress: await lnd.wallet.createAddress() });
    }

    say("starting hh-treasury on the treasury lnd...");
    const treasury = await startTreasury(
      {
        core: { url: coreUrl, token: tokens.treasury },
        lnd: {
          socket: devnet.treasury.grpcSocket,
          certPem: devnet.treasury.certPem,
          macaroonHex: devnet.treasury.macaroonHex,
        },
        dbPath: join(devnet.dir, "treasury.sqlite"),
        // Learnt from Core: each agent reports its endpoint with its telemetry, as in a cluster.
        agents: new Map(),
        feeLimits: { baseSats: 10n, ppm: 5000n },
        minInvoiceLifeSeconds: 120,
        onchainMinSats: 100_000n,
        pollIntervalMs: 1000,
        metricsIntervalMs: 15_000,
        concurrency: 4,
        opsHost: "127.0.0.1",
        opsPort: 0,
        logLevel: level,
      },
      { logger: logger("hh-treasury") },
    );
    stoppers.push(() => treasury.stop());

    const directMinerAddress = throwawayAddress();
    const miners = minerFleet(pool, nodes, directMinerAddress);
    stoppers.push(() => miners.stop());
    if (options.startMiners !== false) {
      say(`starting ${nodes.length} SV1 CPU miner(s) behind the translators and one direct SV2 miner...`);
      await miners.start();
    }

    const secretsPath = join(devnet.dir, "hyperhash-secrets.json");
    writeFileSync(
      secretsPath,
      `${JSON.stringify(
        {
          core: {
            url: coreUrl,
            adminToken: tokens.admin,
            poolToken: tokens.pool,
            treasuryToken: tokens.treasury,
          },
          poolApiToken: tokens.poolOutbox,
          nodeAgentToken: tokens.agent,
          nodes: registered.map(({ nodeId, credential, lnd }) => ({ alias: lnd.alias, nodeId, credential })),
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );

    const poolBlocks = async () =>
      poolBlocksSchema.parse(
        await (
          await fetch(`${poolUrl}/api/v1/blocks?limit=1000`, {
            headers: { authorization: `Bearer ${tokens.poolOutbox}` },
          })
        ).json(),
      ).blocks;
    const summary = async (): Promise<NetworkSummary> => {
      const { windows } = listWindowsResponse.parse(await admin("GET", "/api/v1/windows?limit=1000"));
      const windowsByPhase: Record<string, number> = {};
      for (const w of windows) windowsByPhase[w.phase] = (windowsByPhase[w.phase] ?? 0) + 1;
      const { balances } = ledgerResponse.parse(await admin("GET", "/api/v1/ledger"));
      const satsPaid = balances.reduce((sum, b) => sum + BigInt(b.paidSats), 0n);
      return { blocksFound: (await poolBlocks()).length, windowsByPhase, satsPaid };
    };

    return {
      devnet,
      templateProvider,
      core,
      coreUrl,
      pool,
      poolUrl,
      poolApiToken: tokens.poolOutbox,
      treasury,
      nodes,
      directMinerAddress,
      secretsPath,
      miners,
      admin,
      poolBlocks,
      summary,
      describe: () => [
        `hh-tp           sv2+noise://${templateProvider.host}:${templateProvider.port} authority ${templateProvider.authorityPublicKeyBase58} (ops :${templateProvider.opsPort})`,
        `hh-pool         sv2+noise://${pool.host}:${pool.port} authority ${pool.authorityPublicKeyBase58}`,
        `  api           ${poolUrl}/api/v1/{stats,blocks,outbox} (bearer poolApiToken; ops :${pool.opsPort}); blockTarget difficulty ${blockDifficulty}`,
        `hyperhash-core  ${coreUrl}/api/v1 (OpenAPI ${coreUrl}/openapi.json, ops :${core.opsPort})`,
        `hh-treasury     on lnd treasury (ops :${treasury.opsPort})`,
        ...nodes.flatMap((n) => [
          `node ${n.lnd.alias.padEnd(10)} ${n.nodeId}: agent ${n.agent.url} (ops :${n.agent.opsPort})`,
          `  hh-translator stratum+tcp://${n.translator.host}:${n.translator.port} (ops :${n.translator.opsPort}); miner ${n.nodeId}/${n.minerAddress}.rig1`,
        ]),
        `direct miner    SV2 standard channel as ${directMinerAddress}.cpu`,
        `tokens          ${secretsPath} (mode 0600)`,
        `logs            ${devnet.dir}/{hh-tp,hh-pool,hyperhash-core,hh-treasury,hh-node-agent-N,hh-translator-N}.log`,
      ],
      check: async () => {
        const lines: string[] = [];
        const tp = templateProvider.stats();
        await readyz("hh-tp", templateProvider.opsPort);
        lines.push(
          `hh-tp     ok  tip height=${tp.tipHeight} via ${tp.tipSource}, templates issued=${tp.templatesIssued}`,
        );
        await readyz("hh-pool", pool.opsPort);
        await readyz("hyperhash-core", core.opsPort);
        await readyz("hh-treasury", treasury.opsPort);
        for (const n of nodes) {
          await readyz(`hh-node-agent ${n.lnd.alias}`, n.agent.opsPort);
          await readyz(`hh-translator ${n.lnd.alias}`, n.translator.opsPort);
        }
        const s = await summary();
        lines.push(
          `hh-pool   ok  blocks found=${s.blocksFound}, miners=${miners.running ? nodes.length + 1 : 0}`,
        );
        lines.push(
          `core      ok  windows ${Object.entries(s.windowsByPhase)
            .map(([p, n]) => `${p}=${n}`)
            .join(" ")}; sats paid=${s.satsPaid}`,
        );
        lines.push(`nodes     ok  ${nodes.length} agent(s) and translator(s) ready; treasury ready`);
        return lines;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Pays `sats` to the treasury lnd's wallet from several faucet coinbases, then mines them in. */
async function fundTreasury(devnet: Devnet, sats: bigint): Promise<void> {
  const { btcd, treasury } = devnet;
  const before = await treasury.wallet.getChainBalance();
  for (let left = sats; left > 0n; left -= 45n * BTC) {
    const amount = left < 45n * BTC ? left : 45n * BTC;
    await btcd.faucet.pay([{ address: await treasury.wallet.createAddress(), sats: amount }]);
  }
  await btcd.mine(1);
  await waitFor(async () => (await treasury.wallet.getChainBalance()) >= before + sats, {
    what: `the treasury wallet to see ${sats} sats confirmed`,
    timeoutMs: 60_000,
    intervalMs: 200,
    watch: [btcd.process, treasury.process],
  });
}

/** The CPU miners: one SV1 miner per node translator, one direct SV2 miner on a standard channel. */
function minerFleet(pool: RunningPool, nodes: readonly NetworkNode[], directAddress: string) {
  let sv1: Sv1Miner[] = [];
  let sv2: Sv2Miner | undefined;
  let running = false;
  const stopAll = async () => {
    running = false;
    const stopping = [...sv1.map((m) => m.stop()), ...(sv2 ? [sv2.stop()] : [])];
    sv1 = [];
    sv2 = undefined;
    await Promise.allSettled(stopping);
  };
  return {
    get running() {
      return running;
    },
    async start() {
      if (running) return;
      running = true;
      try {
        for (const n of nodes) {
          sv1.push(
            await startSv1Miner({
              host: n.translator.host,
              port: n.translator.port,
              // The translator prefixes its node id: the pool sees `<nodeId>/<address>.rig1`.
              user: `${n.minerAddress}.rig1`,
              batchSize: 500,
            }),
          );
        }
        // The nodes' miners first: windows then hold node shares from the start, so the
        // node-network part is not carried forward in one lump that outgrows a channel.
        const first = sv1;
        await waitFor(() => first.every((m) => m.stats().accepted > 0), {
          what: "every SV1 miner's first accepted share",
          timeoutMs: 60_000,
        });
        sv2 = await startSv2Miner({
          host: pool.host,
          port: pool.port,
          authorityPublicKey: pool.authorityPublicKey,
          userIdentity: `${directAddress}.cpu`,
          channel: "standard",
          nominalHashRate: 2e4,
          hashesPerSlice: 500,
        });
      } catch (err) {
        await stopAll();
        throw err;
      }
    },
    stop: stopAll,
  };
}
