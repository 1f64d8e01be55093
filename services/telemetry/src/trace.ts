/**
 * W3C Trace Context (`traceparent`: version-traceid-spanid-flags) for log correlation: a request
 * that carries a valid header keeps its trace id, any other gets a fresh one, and every log line
 * of the request carries `trace_id` and `span_id` (the Loki-ready fields; see
 * observability/README.md "Logs").
 */
import { randomBytes } from "node:crypto";

/** The trace a request belongs to and this service's span in it. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** The header to send on (responses and outgoing calls). */
  readonly traceparent: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses `traceparent`; null for anything but a valid version-00 header with non-zero ids. */
export function parseTraceparent(header: string | undefined): { traceId: string; parentId: string } | null {
  if (typeof header !== "string" || header.length !== 55) return null;
  const m = TRACEPARENT.exec(header);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, parentId: m[2]! };
}

/** This service's span: in the caller's trace when its header is valid, else in a new trace. */
export function traceContext(header: string | undefined): TraceContext {
  const traceId = parseTraceparent(header)?.traceId ?? randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}
