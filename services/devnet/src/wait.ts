import { setTimeout as delay } from "node:timers/promises";
import type { ManagedProcess } from "./process.ts";

/** Options for waitFor. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs: number;
  /** Poll interval; the condition is re-evaluated, never assumed. */
  intervalMs?: number;
  /** Processes that must stay alive meanwhile: a crash fails the wait at once with its log. */
  watch?: ManagedProcess[];
}

/**
 * Polls `condition` until it returns a value other than undefined/false, with a deadline.
 * Errors thrown by the condition count as "not yet" and the last one is reported on timeout.
 */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    for (const p of options.watch ?? []) p.assertRunning();
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${why}`);
    }
    await delay(interval);
  }
}
