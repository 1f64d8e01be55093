/**
 * SRI's released roles (pool_sv2, translator_sv2, mining_device), built by `scripts/sri.mjs`
 * into the per-machine cache, started as real processes on 127.0.0.1 with TOML configs in a
 * temporary directory, logged to files and stopped by their own pids (the devnet's
 * `startProcess`, which also writes the suite's pid ledger).
 */
import { existsSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { freePort, type ManagedProcess, startProcess, waitFor } from "@hyperhash/devnet";

/** The pinned roles: kept in step with SRI_ROLES in scripts/sri.mjs. */
const ROLES = {
  pool_sv2: { crate: "pool_sv2", version: "0.7.0" },
  translator_sv2: { crate: "translator_sv2", version: "0.6.0" },
  mining_device: { crate: "integration_tests_sv2", version: "0.6.0" },
} as const;
type Role = keyof typeof ROLES;

const cache =
  process.env.HH_SRI_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hyperhash", "sri");

/** Path of a role's binary; throws saying how to build it when it is missing. */
export function sriBinary(role: Role): string {
  const { crate, version } = ROLES[role];
  const path = join(cache, `${crate}-${version}`, "bin", role);
  if (!existsSync(path)) {
    throw new Error(
      `SRI ${role} ${version} is not built (${path} missing): run \`node scripts/sri.mjs\` (npm run test:interop does it first)`,
    );
  }
  return path;
}

/**
 * The authority key pair of SRI's example configs (pool-config-*-example.toml): public test
 * material, used so that the SRI pool's certificate is verified by hh-translator with a key
 * nobody had to convert.
 */
export const SRI_EXAMPLE_AUTHORITY = {
  publicKey: "9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72",
  secretKey: "mkDLTBBRxdBv998612qipDYoTK3YUrqLe8uWw7gu3iXbSrn2n",
} as const;

/** A running SRI role. */
export interface SriProcess {
  readonly process: ManagedProcess;
  readonly port: number;
  /** Lines of its log matching `re` so far. */
  logLines(re: RegExp): string[];
  stop(): Promise<void>;
}

const toml = (value: string) => JSON.stringify(value);

function run(role: Role, dir: string, name: string, args: string[], port: number): SriProcess {
  const logPath = join(dir, `${name}.log`);
  const proc = startProcess({
    name,
    command: sriBinary(role),
    args,
    logPath,
    cwd: dir,
    // SRI roles log with tracing at info (HH_SRI_RUST_LOG=debug for more, e.g. every share).
    env: { ...process.env, RUST_LOG: process.env.HH_SRI_RUST_LOG ?? "info", NO_COLOR: "1" },
  });
  return {
    process: proc,
    port,
    logLines: (re) => proc.tail(5_000).filter((l) => re.test(l)),
    stop: () => proc.stop(5_000),
  };
}

/**
 * Waits until the role accepts connections (or the process dies): on its own log line when
 * it has one, else until something listens on 127.0.0.1:`port`. A probe that connects and
 * closes is a failed Noise handshake to an SV2 listener (SRI's pool logs it as an ERROR), so
 * SV2 roles are waited on by their log.
 */
async function listening(p: SriProcess, what: string, readyLine?: RegExp): Promise<void> {
  const { connect } = await import("node:net");
  await waitFor(
    () => {
      p.process.assertRunning();
      if (readyLine) return p.logLines(readyLine).length > 0;
      return new Promise<boolean>((resolve) => {
        const s = connect({ host: "127.0.0.1", port: p.port });
        s.once("connect", () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", () => resolve(false));
      });
    },
    { what, timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** SRI's pool on a Template Provider (Sv2Tp: address and the TP's authority key). */
export async function startSriPool(options: {
  readonly dir: string;
  readonly name?: string;
  readonly templateProvider: { readonly host: string; readonly port: number; readonly publicKey: string };
  /** A regtest address the coinbase pays. */
  readonly coinbaseAddress: string;
  readonly sharesPerMinute: number;
  /** Wait for the listener (false when the test expects it not to get that far). */
  readonly waitListening?: boolean;
}): Promise<SriProcess> {
  const name = options.name ?? "sri-pool";
  const port = await freePort();
  const config = join(options.dir, `${name}.toml`);
  writeFileSync(
    config,
    [
      `authority_public_key = ${toml(SRI_EXAMPLE_AUTHORITY.publicKey)}`,
      `authority_secret_key = ${toml(SRI_EXAMPLE_AUTHORITY.secretKey)}`,
      "cert_validity_sec = 3600",
      `listen_address = ${toml(`127.0.0.1:${port}`)}`,
      `coinbase_reward_script = ${toml(`addr(${options.coinbaseAddress})`)}`,
      "server_id = 1",
      `pool_signature = "SRI interop"`,
      `shares_per_minute = ${options.sharesPerMinute.toFixed(1)}`,
      "share_batch_size = 1",
      "[template_provider_type.Sv2Tp]",
      `address = ${toml(`${options.templateProvider.host}:${options.templateProvider.port}`)}`,
      `public_key = ${toml(options.templateProvider.publicKey)}`,
      "",
    ].join("\n"),
  );
  const p = run("pool_sv2", options.dir, name, ["-c", config], port);
  // pool_sv2 binds first, then accepts once it holds a template and a prev hash, and says so.
  if (options.waitListening !== false)
    await listening(p, `${name} accepting on ${port}`, /ready to accept connections/);
  return p;
}

/** SRI's translator (SV1 server) on an SV2 upstream. */
export async function startSriTranslator(options: {
  readonly dir: string;
  readonly name?: string;
  readonly upstream: { readonly host: string; readonly port: number; readonly publicKey: string };
  /** Upstream user identity: `<address>` (aggregated: `.translator-proxy` is added; per miner: `.miner<N>`). */
  readonly userIdentity: string;
  readonly aggregate: boolean;
  /** H/s of the weakest SV1 miner; with shares per minute it sets the first SV1 difficulty. */
  readonly minerHashRate: number;
  readonly sharesPerMinute: number;
  /** SRI's own SV1 vardiff (default on); off, the SV1 difficulty follows the pool's target. */
  readonly vardiff?: boolean;
}): Promise<SriProcess> {
  const name = options.name ?? `sri-translator-${options.aggregate ? "aggregated" : "per-miner"}`;
  const port = await freePort();
  const config = join(options.dir, `${name}.toml`);
  writeFileSync(
    config,
    [
      `downstream_address = "127.0.0.1"`,
      `downstream_port = ${port}`,
      "max_supported_version = 2",
      "min_supported_version = 2",
      "downstream_extranonce2_size = 4",
      "verify_payout = false",
      `aggregate_channels = ${options.aggregate}`,
      "supported_extensions = []",
      "[downstream_difficulty_config]",
      `min_individual_miner_hashrate = ${options.minerHashRate.toFixed(1)}`,
      `shares_per_minute = ${options.sharesPerMinute.toFixed(1)}`,
      `enable_vardiff = ${options.vardiff ?? true}`,
      "job_keepalive_interval_secs = 60",
      "[[upstreams]]",
      `address = ${toml(options.upstream.host)}`,
      `port = ${options.upstream.port}`,
      `authority_pubkey = ${toml(options.upstream.publicKey)}`,
      `user_identity = ${toml(options.userIdentity)}`,
      "",
    ].join("\n"),
  );
  const p = run("translator_sv2", options.dir, name, ["-c", config], port);
  await listening(p, `${name} listening on ${port}`);
  return p;
}

/** SRI's CPU mining device on one standard channel. */
export function startSriMiningDevice(options: {
  readonly dir: string;
  readonly name?: string;
  readonly pool: { readonly host: string; readonly port: number; readonly publicKey: string };
  readonly userIdentity: string;
  /** Microseconds between hashes (slows it to what the test wants). */
  readonly handicapUs: number;
}): SriProcess {
  const name = options.name ?? "sri-mining-device";
  return run(
    "mining_device",
    options.dir,
    name,
    [
      "--address-pool",
      `${options.pool.host}:${options.pool.port}`,
      "--pubkey-pool",
      options.pool.publicKey,
      "--id-user",
      options.userIdentity,
      "--handicap",
      String(options.handicapUs),
      "--cores",
      "1",
    ],
    0,
  );
}
