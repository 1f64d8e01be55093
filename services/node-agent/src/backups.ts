import type { Logger } from "@hyperhash/telemetry";
import * as ln from "ln-service";
import { z } from "zod";
import type { SecretStore } from "./secrets.ts";

/** Key of `<hypernode>-lnd-scb`: lnd's packed multi-channel backup, the bytes of a `channel.backup` file. */
export const SCB_KEY = "channel.backup";
/** Annotation: how many channels the stored backup covers. */
export const SCB_CHANNELS_ANNOTATION = "hyperhash.network/scb-channels";

/** One multi-channel backup snapshot. */
export interface ChannelBackup {
  multiBackup: Uint8Array;
  channelCount: number;
}

const snapshotSchema = z.object({
  backup: z.string().regex(/^([0-9a-f]{2})+$/),
  channels: z.array(z.object({ transaction_id: z.string(), transaction_vout: z.number().int() })),
});

/** Maps ln-service's backup answer (`getBackups`, the `backup` event) to a ChannelBackup. */
export function toChannelBackup(answer: unknown): ChannelBackup {
  const a = snapshotSchema.parse(answer);
  return { multiBackup: new Uint8Array(Buffer.from(a.backup, "hex")), channelCount: a.channels.length };
}

/** The lnd side: the backup now, and a stream of backups after each channel change. */
export interface BackupFeed {
  /** The current multi-channel backup; undefined while the node has no channel. */
  current(): Promise<ChannelBackup | undefined>;
  /** Calls `onBackup` on every change until `onEnd` (error or end of stream) or the returned stop. */
  subscribe(onBackup: (b: ChannelBackup) => void, onEnd: (err?: unknown) => void): () => void;
}

/** The feed through ln-service (`getBackups`, `subscribeToBackups`); needs offchain:read. */
export function lndBackupFeed(lnd: ln.AuthenticatedLnd): BackupFeed {
  return {
    async current() {
      const channels = z.object({ channels: z.array(z.unknown()) }).parse(await ln.getChannels({ lnd }));
      const pending = z
        .object({ pending_channels: z.array(z.unknown()) })
        .parse(await ln.getPendingChannels({ lnd }));
      // lnd refuses to export a backup of no channels; that is "nothing to back up yet".
      if (channels.channels.length + pending.pending_channels.length === 0) return undefined;
      return toChannelBackup(await ln.getBackups({ lnd }));
    },
    subscribe(onBackup, onEnd) {
      const sub = ln.subscribeToBackups({ lnd });
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        sub.removeAllListeners();
        onEnd(err);
      };
      sub.on("backup", (answer: unknown) => {
        try {
          onBackup(toChannelBackup(answer));
        } catch (err) {
          end(err);
        }
      });
      sub.on("error", (err: unknown) => end(err));
      sub.on("end", () => end());
      return () => {
        ended = true;
        sub.removeAllListeners();
      };
    },
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Pure: whether a backup must be written, given the last one written. lnd re-encrypts every
 * export with a fresh nonce, so equal bytes mean a replayed event, not an unchanged channel set.
 */
export function shouldWriteBackup(last: ChannelBackup | undefined, next: ChannelBackup): boolean {
  return !last || !sameBytes(last.multiBackup, next.multiBackup);
}

/**
 * Keeps `<hypernode>-lnd-scb` equal to lnd's latest multi-channel backup until `signal` aborts:
 * writes the current backup, then one per change. Writes are in order and never overlap; when
 * several changes arrive during a write only the latest is written. A lost stream is resubscribed.
 */
export async function exportChannelBackups(deps: {
  feed: BackupFeed;
  secrets: SecretStore;
  secretName: string;
  logger: Logger;
  signal: AbortSignal;
  /** Rejects when the signal aborts. */
  pause(ms: number): Promise<void>;
  retryMs?: number;
  labels?: Record<string, string>;
  onWritten?: (b: ChannelBackup) => void;
}): Promise<void> {
  let last: ChannelBackup | undefined;
  const write = async (b: ChannelBackup) => {
    if (!shouldWriteBackup(last, b)) return;
    await deps.secrets.put(deps.secretName, {
      data: { [SCB_KEY]: b.multiBackup },
      annotations: { [SCB_CHANNELS_ANNOTATION]: String(b.channelCount) },
      labels: deps.labels,
    });
    last = b;
    deps.logger.info("static channel backup exported", { secret: deps.secretName, channels: b.channelCount });
    deps.onWritten?.(b);
  };
  while (!deps.signal.aborted) {
    let latest: ChannelBackup | undefined;
    let wake: (() => void) | undefined;
    let ended: { err?: unknown } | undefined;
    const stop = deps.feed.subscribe(
      (b) => {
        latest = b;
        wake?.();
      },
      (err) => {
        ended = { err };
        wake?.();
      },
    );
    const onAbort = () => wake?.();
    deps.signal.addEventListener("abort", onAbort);
    try {
      // Subscribed first, then the current backup: a change in between is not missed.
      const now = await deps.feed.current();
      if (now && !latest) await write(now);
      while (!deps.signal.aborted && !ended) {
        if (latest) {
          const next: ChannelBackup = latest;
          latest = undefined;
          await write(next);
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (ended) deps.logger.warn("channel backup stream ended; resubscribing", { err: ended.err });
    } catch (err) {
      deps.logger.warn("channel backup export failed; retrying", { err });
    } finally {
      stop();
      deps.signal.removeEventListener("abort", onAbort);
    }
    if (deps.signal.aborted) return;
    await deps.pause(deps.retryMs ?? 2000).catch(() => undefined);
  }
}
