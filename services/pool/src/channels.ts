/**
 * Mining channel state (sv2-spec §5.2–5.3): targets chosen from the declared hash rate and
 * the miner's maximum target, vardiff steps, per-job duplicate sets and a standard channel's
 * merkle roots. Pure: time comes in as arguments.
 */
import { difficultyToTarget, hashRateFromShares, targetToDifficulty } from "@hyperhash/bitcoin";
import {
  type ExtranonceAllocation,
  floorPowerOfTwo,
  initialDifficulty,
  nextDifficulty,
  type VardiffConfig,
} from "@hyperhash/sv2";
import type { MinerIdentity } from "./identity.ts";

/** One open channel. */
export interface MiningChannel {
  /** Pool-wide channel id. */
  readonly id: number;
  /** Standard (header-only) or extended. */
  readonly kind: "standard" | "extended";
  /** Group channel id reported to the miner (one group per connection). */
  readonly groupChannelId: number;
  /** Who owns its shares. */
  readonly identity: MinerIdentity;
  /** Its extranonce space. */
  readonly allocation: ExtranonceAllocation;
  /** Whether the miner may roll version bits (always for standard channels). */
  readonly versionRollingAllowed: boolean;
  /** Easiest target the miner accepts (its `max_target`). */
  maxTarget: bigint;
  /** Declared hash rate (h/s). */
  nominalHashRate: number;
  /** Current difficulty (a power of two). */
  difficulty: number;
  /** Current target. */
  target: bigint;
  /** The previous, easier target, honoured until `untilMs` (shares in flight). */
  grace: { readonly target: bigint; readonly untilMs: number } | null;
  /** Vardiff window. */
  window: { startedMs: number; shares: number };
  /** Per job: header hashes accepted (duplicate detection). */
  readonly seen: Map<number, Set<string>>;
  /** Standard channels: merkle root per job. */
  readonly merkleRoots: Map<number, Uint8Array>;
  /** Job ids this channel has been sent. */
  readonly jobsSent: Set<number>;
  /** Latest hash-rate estimate (h/s) from accepted shares. */
  hashRate: number;
  /** Best share difficulty seen on the channel. */
  bestDifficulty: number;
}

/** A target choice, or why none fits. */
export type TargetChoice =
  | { readonly ok: true; readonly difficulty: number; readonly target: bigint }
  | { readonly ok: false; readonly error: "max-target-out-of-range" };

/**
 * The channel target: the power-of-two difficulty vardiff would pick for the declared hash
 * rate, raised until its target is within the miner's `max_target`.
 */
export function chooseTarget(
  nominalHashRate: number,
  maxTarget: bigint,
  vardiff: VardiffConfig,
): TargetChoice {
  let difficulty = initialDifficulty(nominalHashRate, vardiff);
  while (difficultyToTarget(difficulty) > maxTarget) {
    difficulty *= 2;
    if (difficulty > vardiff.maxDifficulty) return { ok: false, error: "max-target-out-of-range" };
  }
  return { ok: true, difficulty, target: difficultyToTarget(difficulty) };
}

/** The lowest difficulty whose target the miner accepts (powers of two). */
function floorDifficultyFor(maxTarget: bigint, vardiff: VardiffConfig): number {
  const d = targetToDifficulty(maxTarget);
  let floor = Number.isFinite(d) && d > 0 ? floorPowerOfTwo(d) : vardiff.maxDifficulty;
  while (difficultyToTarget(floor) > maxTarget && floor < vardiff.maxDifficulty) floor *= 2;
  return Math.max(floor, vardiff.minDifficulty);
}

/** A vardiff decision applied to a channel. */
export interface Retarget {
  /** The new target to announce with SetTarget. */
  readonly target: bigint;
  /** Hash-rate estimate of the judged window. */
  readonly hashRate: number;
}

/**
 * Judges the channel's vardiff window at `nowMs`. Returns the new target when it changed
 * (the caller sends SetTarget); opens a new window whenever the old one was judged. A harder
 * target keeps the old one honoured for `graceMs`, so shares already in flight are not lost.
 */
export function retarget(
  channel: MiningChannel,
  nowMs: number,
  vardiff: VardiffConfig,
  graceMs: number,
): Retarget | null {
  const elapsedSeconds = (nowMs - channel.window.startedMs) / 1000;
  const decision = nextDifficulty(
    channel.difficulty,
    { shares: channel.window.shares, elapsedSeconds },
    vardiff,
  );
  if (!decision.judged) return null;
  if (elapsedSeconds > 0)
    channel.hashRate = hashRateFromShares(channel.window.shares, channel.target, elapsedSeconds);
  // nextDifficulty judges an empty window as one share just arrived; over a window shorter
  // than a share's aimed interval that reads as "too fast", and a silent miner must never be
  // made harder.
  const proposed =
    channel.window.shares === 0 ? Math.min(decision.difficulty, channel.difficulty) : decision.difficulty;
  channel.window = { startedMs: nowMs, shares: 0 };
  const difficulty = Math.max(proposed, floorDifficultyFor(channel.maxTarget, vardiff));
  if (difficulty === channel.difficulty) return null;
  const target = difficultyToTarget(difficulty);
  channel.grace = target < channel.target ? { target: channel.target, untilMs: nowMs + graceMs } : null;
  channel.difficulty = difficulty;
  channel.target = target;
  return { target, hashRate: channel.hashRate };
}

/** The grace target still honoured at `nowMs`, if any. */
export function graceTarget(channel: MiningChannel, nowMs: number): bigint | null {
  if (!channel.grace) return null;
  if (nowMs > channel.grace.untilMs) {
    channel.grace = null;
    return null;
  }
  return channel.grace.target;
}

/** Drops a forgotten job's per-channel state. */
export function forgetJob(channel: MiningChannel, jobId: number): void {
  channel.seen.delete(jobId);
  channel.merkleRoots.delete(jobId);
  channel.jobsSent.delete(jobId);
}
