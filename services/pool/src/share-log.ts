/**
 * Group commit in front of the {@link ShareStore}: accepted shares queue up and are written
 * in one transaction per tick (or as soon as `maxBatch` are waiting, or at once when a block
 * is queued). Each entry's callback runs only after its transaction committed, so the
 * SubmitShares.Success it leads to acknowledges a share that survives a crash.
 */
import type { CommitOutcome, LogEntry, ShareStore } from "./store.ts";

/** What the callback of a queued entry learns. */
export type LogResult = CommitOutcome | "failed";

/** Options of {@link createShareLog}. */
export interface ShareLogOptions {
  /** Longest time an entry waits for its batch (ms). */
  readonly intervalMs: number;
  /** A batch is written as soon as this many entries wait. */
  readonly maxBatch: number;
  /** Called with the error when a commit fails (the entries are answered "failed"). */
  readonly onError?: (error: unknown) => void;
  /** Called after every commit with the batch size and its duration (metrics). */
  readonly onCommit?: (entries: number, seconds: number) => void;
}

/** The group-committing share log. */
export interface ShareLog {
  /** Queues an entry; `done` runs after the commit that holds it. */
  append(entry: LogEntry, done?: (result: LogResult) => void): void;
  /** Writes whatever is queued now. */
  flush(): void;
  /** Entries waiting. */
  readonly pending: number;
  /** Flushes and stops the timer; later appends are answered "failed". */
  close(): void;
}

/** Creates a share log over `store`. */
export function createShareLog(store: ShareStore, options: ShareLogOptions): ShareLog {
  let entries: LogEntry[] = [];
  let callbacks: ((result: LogResult) => void)[] = [];
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let closed = false;
  const noop = () => {};

  function flush(): void {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = null;
    immediate = null;
    if (entries.length === 0) return;
    const batch = entries;
    const answers = callbacks;
    entries = [];
    callbacks = [];
    const started = performance.now();
    let outcomes: LogResult[];
    try {
      outcomes = store.commit(batch);
      options.onCommit?.(batch.length, (performance.now() - started) / 1000);
    } catch (error) {
      options.onError?.(error);
      outcomes = batch.map(() => "failed");
    }
    for (let i = 0; i < answers.length; i++) answers[i]!(outcomes[i] ?? "failed");
  }

  return {
    append(entry, done = noop) {
      if (closed) {
        done("failed");
        return;
      }
      entries.push(entry);
      callbacks.push(done);
      // A block goes out at once: the window it closes should not wait for a tick.
      if (entry.kind === "block" || entries.length >= options.maxBatch) {
        immediate ??= setImmediate(flush);
      } else {
        timer ??= setTimeout(flush, options.intervalMs);
      }
    },
    flush,
    get pending() {
      return entries.length;
    },
    close() {
      flush();
      closed = true;
    },
  };
}
