import { type BackoffPolicy, backoffDelay } from "./backoff.ts";
import type { ControllerMetrics } from "./metrics.ts";

/** The clock and timers a queue uses; injected so unit tests control time. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: QueueClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * A deduplicating, rate-limited work queue with client-go's semantics: a key queued twice is
 * processed once; a key added while being processed is processed again after `done`, never
 * concurrently; failed keys come back after a per-key exponential backoff until `forget`.
 */
export interface WorkQueue {
  add(key: string): void;
  /** Adds after `ms` (a requeue-after); an earlier pending add for the key wins. */
  addAfter(key: string, ms: number): void;
  /** Adds after the key's next backoff step (a retry after failure). */
  addRateLimited(key: string): void;
  /** Clears the key's failure count (after a success). */
  forget(key: string): void;
  /** The next key, or undefined once shut down. */
  get(): Promise<string | undefined>;
  /** Marks the key finished; re-queues it if it was added meanwhile. */
  done(key: string): void;
  length(): number;
  shutDown(): void;
}

/** Options of createWorkQueue. */
export interface WorkQueueOptions {
  name: string;
  backoff?: BackoffPolicy;
  metrics?: ControllerMetrics;
  clock?: QueueClock;
}

/** Creates a work queue. */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const clock = options.clock ?? realClock;
  const backoff = options.backoff ?? { baseMs: 5, maxMs: 300_000 };
  const labels = { name: options.name, controller: options.name };
  const m = options.metrics;
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const addedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const failures = new Map<string, number>();
  const delayed = new Map<string, { at: number; handle: unknown }>();
  const waiters: Array<(key: string | undefined) => void> = [];
  let shutting = false;

  const updateDepth = () => m?.depth.set(labels, queue.length);
  // As client-go's queue metrics: present at zero from the start.
  m?.adds.inc(labels, 0);
  m?.retries.inc(labels, 0);
  updateDepth();
  const add = (key: string) => {
    if (shutting || dirty.has(key)) return;
    m?.adds.inc(labels);
    dirty.add(key);
    addedAt.set(key, clock.now());
    if (processing.has(key)) return;
    const waiter = waiters.shift();
    if (waiter) {
      take(key);
      waiter(key);
    } else {
      queue.push(key);
      updateDepth();
    }
  };
  const take = (key: string) => {
    dirty.delete(key);
    processing.add(key);
    const at = addedAt.get(key);
    if (at !== undefined) m?.queueDuration.observe(labels, (clock.now() - at) / 1000);
    startedAt.set(key, clock.now());
  };
  const addAfter = (key: string, ms: number) => {
    if (shutting) return;
    if (ms <= 0) return add(key);
    const at = clock.now() + ms;
    const pending = delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clock.clearTimeout(pending.handle);
    const handle = clock.setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { at, handle });
  };

  return {
    add,
    addAfter,
    addRateLimited(key) {
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      m?.retries.inc(labels);
      addAfter(key, backoffDelay(n, backoff));
    },
    forget: (key) => void failures.delete(key),
    get() {
      if (shutting) return Promise.resolve(undefined);
      const key = queue.shift();
      if (key !== undefined) {
        updateDepth();
        take(key);
        return Promise.resolve(key);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      const started = startedAt.get(key);
      if (started !== undefined) m?.workDuration.observe(labels, (clock.now() - started) / 1000);
      startedAt.delete(key);
      if (dirty.has(key)) {
        const waiter = waiters.shift();
        if (waiter) {
          take(key);
          waiter(key);
        } else {
          queue.push(key);
          updateDepth();
        }
      }
    },
    length: () => queue.length,
    shutDown() {
      shutting = true;
      for (const { handle } of delayed.values()) clock.clearTimeout(handle);
      delayed.clear();
      for (const w of waiters.splice(0)) w(undefined);
    },
  };
}
