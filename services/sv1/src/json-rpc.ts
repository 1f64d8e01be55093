/**
 * Stratum V1 transport: newline-delimited JSON-RPC 1.0-style messages over TCP.
 *
 * SV1 is JSON-RPC with the Stratum habits: responses carry both `result` and `error`
 * (one of them null), errors are `[code, message, traceback]`, notifications have
 * `id: null`. Lines are capped before they are buffered, so a peer that never sends a
 * newline cannot grow memory.
 */
import { z } from "zod";

/** Error codes of Stratum V1 (the de-facto table of slush's protocol) and JSON-RPC 2.0. */
export const SV1_ERROR = {
  OTHER: 20,
  JOB_NOT_FOUND: 21,
  DUPLICATE_SHARE: 22,
  LOW_DIFFICULTY: 23,
  UNAUTHORIZED_WORKER: 24,
  NOT_SUBSCRIBED: 25,
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
} as const;

/** A request id as miners send it. */
export type Sv1Id = number | string | null;

/** An error a request answers with: `[code, message, null]` on the wire. */
export interface Sv1Error {
  /** One of {@link SV1_ERROR} (or another integer the server chose). */
  readonly code: number;
  /** Human-readable reason. */
  readonly message: string;
}

/** A parsed client request, params not yet validated per method. */
export interface Sv1Request {
  readonly id: Sv1Id;
  readonly method: string;
  readonly params: readonly unknown[];
}

const requestSchema = z.object({
  id: z.union([z.number(), z.string().max(64), z.null()]).optional(),
  method: z.string().min(1).max(64),
  // Some firmware omits params on parameterless calls; treat that as [].
  params: z.array(z.unknown()).max(32).optional(),
});

/** Result of parsing one line: a request, or the error to answer with (id when known). */
export type ParsedLine =
  | { readonly ok: true; readonly request: Sv1Request }
  | { readonly ok: false; readonly id: Sv1Id; readonly error: Sv1Error };

/** Parses one line (without its newline) into a request. Never throws. */
export function parseRequestLine(line: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, id: null, error: { code: SV1_ERROR.PARSE_ERROR, message: "parse error" } };
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    const id = idOf(json);
    return { ok: false, id, error: { code: SV1_ERROR.INVALID_REQUEST, message: "invalid request" } };
  }
  const { id, method, params } = parsed.data;
  return { ok: true, request: { id: id ?? null, method, params: params ?? [] } };
}

function idOf(json: unknown): Sv1Id {
  if (typeof json !== "object" || json === null || !("id" in json)) return null;
  const id = (json as { id: unknown }).id;
  return typeof id === "number" || (typeof id === "string" && id.length <= 64) ? id : null;
}

/** Serialises a successful response line (with trailing newline). */
export function encodeResult(id: Sv1Id, result: unknown): string {
  return `${JSON.stringify({ id, result, error: null })}\n`;
}

/** Serialises an error response line (with trailing newline). */
export function encodeError(id: Sv1Id, error: Sv1Error): string {
  return `${JSON.stringify({ id, result: null, error: [error.code, error.message, null] })}\n`;
}

/** Serialises a server → client notification line (with trailing newline). */
export function encodeNotification(method: string, params: readonly unknown[]): string {
  return `${JSON.stringify({ id: null, method, params })}\n`;
}

/** Serialises a client → server request line (with trailing newline); for miners and tests. */
export function encodeRequest(id: Sv1Id, method: string, params: readonly unknown[]): string {
  return `${JSON.stringify({ id, method, params })}\n`;
}

/** Why a {@link LineDecoder} stopped: the only failure is an over-long line. */
export class LineTooLongError extends Error {
  /** The configured maximum, in bytes. */
  readonly maxLineBytes: number;
  constructor(maxLineBytes: number) {
    super(`line longer than ${maxLineBytes} bytes`);
    this.name = "LineTooLongError";
    this.maxLineBytes = maxLineBytes;
  }
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Splits a byte stream into lines of at most `maxLineBytes` bytes (newline excluded,
 * a trailing `\r` stripped, empty lines dropped). `push` throws {@link LineTooLongError}
 * as soon as the unterminated tail exceeds the limit; the decoder is then unusable.
 */
export class LineDecoder {
  private readonly maxLineBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError("maxLineBytes must be ≥ 1");
    this.maxLineBytes = maxLineBytes;
  }

  /** Bytes buffered without a newline yet. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds a chunk; returns the complete lines it finished, in order. */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (this.pendingBytes + part.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      const line = this.take(part);
      if (line.length > 0) lines.push(line);
      start = nl + 1;
    }
    const tail = chunk.subarray(start);
    if (this.pendingBytes + tail.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
    if (tail.length > 0) {
      this.pending.push(tail.slice());
      this.pendingBytes += tail.length;
    }
    return lines;
  }

  private take(last: Uint8Array): string {
    let bytes = last;
    if (this.pendingBytes > 0) {
      bytes = new Uint8Array(this.pendingBytes + last.length);
      let at = 0;
      for (const p of this.pending) {
        bytes.set(p, at);
        at += p.length;
      }
      bytes.set(last, at);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const text = utf8.decode(bytes);
    return (text.endsWith("\r") ? text.slice(0, -1) : text).trim();
  }
}
