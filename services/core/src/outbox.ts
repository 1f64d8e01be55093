/**
 * The pool-outbox consumer: `GET <poolUrl>/api/v1/outbox?after=<seq>&limit=<n>`. Delivery is
 * at least once; each event is applied once (keyed by block hash) together with the
 * cursor, in one transaction. An event that fails validation stops the consumer at that
 * seq (reported, never skipped, the field named): money is not guessed. The event schema is
 * the shared contract's for Core's network: destinations come out canonical (one text per
 * destination, so one recipient), node ids must be ones Core can have issued.
 */
import { type BlockFoundEvent, blockFoundEvent, outboxPage } from "@hyperhash/contracts";
import type { NewWindow } from "./store/repository.ts";
import { applyBlockFound, type WindowContext } from "./windows.ts";

export { type BlockFoundEvent, blockFoundEvent } from "@hyperhash/contracts";

/** The window a block-found event opens. */
export function windowFromEvent(e: BlockFoundEvent): NewWindow {
  return {
    outboxSeq: e.seq,
    blockHash: e.blockHash,
    height: e.height,
    previousBlockHash: e.previousBlockHash,
    subsidySats: e.subsidySats,
    coinbaseValueSats: e.coinbaseValueSats,
    winnerDestination: e.winner.destination,
    winnerNodeId: e.winner.nodeId,
    winnerWorker: e.winner.worker,
    shares: e.shares,
    foundAt: e.foundAt,
  };
}

/** Options of the consumer. */
export interface OutboxOptions {
  poolUrl: string;
  /** Sent as a bearer token when the pool protects its outbox. */
  token?: string | undefined;
  batch: number;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** What one poll did. */
export interface PollReport {
  applied: number;
  duplicates: number;
  skipped: number;
  cursor: number;
  /** More events may be waiting (the page was full). */
  more: boolean;
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`outbox answer larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Fetches one page after the stored cursor and applies it. Throws on transport or validation errors. */
export async function pollOutbox(ctx: WindowContext, options: OutboxOptions): Promise<PollReport> {
  const cursor = ctx.repo.getOutboxCursor();
  const url = new URL("/api/v1/outbox", options.poolUrl);
  url.searchParams.set("after", String(cursor));
  url.searchParams.set("limit", String(options.batch));
  const res = await fetch(url, {
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`outbox answered HTTP ${res.status}`);
  }
  const page = outboxPage.parse(JSON.parse(await readLimited(res, options.maxResponseBytes)));
  const report: PollReport = {
    applied: 0,
    duplicates: 0,
    skipped: 0,
    cursor,
    more: page.events.length >= options.batch,
  };
  for (const raw of [...page.events].sort((a, b) => a.seq - b.seq)) {
    if (raw.seq <= report.cursor) continue; // delivered again: already applied
    if (raw.type !== "block-found") {
      ctx.repo.setOutboxCursor(raw.seq);
      report.cursor = raw.seq;
      report.skipped++;
      continue;
    }
    const parsed = blockFoundEvent(ctx.network).safeParse(raw);
    if (!parsed.success)
      throw new Error(
        `outbox event ${raw.seq} is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    const result = ctx.repo.transaction(() => {
      const r = applyBlockFound(ctx, windowFromEvent(parsed.data));
      ctx.repo.setOutboxCursor(raw.seq);
      return r;
    });
    report.cursor = raw.seq;
    if (result === "applied") report.applied++;
    else report.duplicates++;
  }
  return report;
}
