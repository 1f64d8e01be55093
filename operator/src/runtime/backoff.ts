/** Exponential backoff bounds. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before retry number `failures` (1-based): base·2^(failures−1), capped, with "equal
 * jitter" (half fixed, half random) so restarting informers and retries do not stampede.
 * `random` is injected so tests are deterministic.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.floor(exp / 2 + (exp / 2) * random());
}
