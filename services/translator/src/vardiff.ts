/**
 * Per-SV1-miner vardiff on top of `@hyperhash/sv2`'s pure `nextDifficulty`: the miner's
 * difficulty follows its own share rate and never the upstream channel target, which the
 * pool sets for the channel (one miner, or the whole translator when aggregated).
 */
import { HASHES_PER_DIFFICULTY_1, nextDifficulty, type VardiffConfig } from "@hyperhash/sv2";
import type { TranslatorConfig } from "./config.ts";

/** Shares counted since the window opened. */
export interface VardiffWindowState {
  readonly startedMs: number;
  readonly shares: number;
}

/** A window opened at `nowMs`. */
export function createVardiffWindow(nowMs: number): VardiffWindowState {
  return { startedMs: nowMs, shares: 0 };
}

/** Vardiff settings from the translator's configuration. */
export function vardiffConfig(config: TranslatorConfig): VardiffConfig {
  return {
    targetSharesPerMinute: config.targetSharesPerMinute,
    minDifficulty: config.minDifficulty,
    maxDifficulty: config.maxDifficulty,
    maxStepLog2: 2,
    minWindowSeconds: config.vardiffWindowSeconds,
    burstShares: config.vardiffBurstShares,
  };
}

/** A judged window: the difficulty to use and the hash rate the window showed. */
export interface VardiffStep {
  readonly difficulty: number;
  /** H/s over the window; null when it held no share. */
  readonly hashrate: number | null;
}

/**
 * Judges the window when it is due (null otherwise). A pinned difficulty (`d=`) is kept,
 * but the window is still judged so the hash rate gauge stays current.
 */
export function vardiffStep(
  difficulty: number,
  window: VardiffWindowState,
  nowMs: number,
  config: TranslatorConfig,
  pinned: boolean,
): VardiffStep | null {
  const elapsedSeconds = (nowMs - window.startedMs) / 1000;
  const decision = nextDifficulty(
    difficulty,
    { shares: window.shares, elapsedSeconds },
    vardiffConfig(config),
  );
  if (!decision.judged) return null;
  const hashrate =
    window.shares > 0 ? (window.shares * difficulty * HASHES_PER_DIFFICULTY_1) / elapsedSeconds : null;
  return { difficulty: pinned ? difficulty : decision.difficulty, hashrate };
}
