/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured JSON logger: one line per event with `level`, `time`, `service`, `msg`. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (e.g. a connection id). */
  child(fields: Record<string, unknown>): Logger;
}

/** Field names whose values never reach a log line. */
const SECRET_KEYS = /pass(word)?|secret|macaroon|credential|token|authorization|private.?key|seed|preimage/i;

/** Replaces secret-looking fields (by name, at any depth) with "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/** Options of createLogger. */
export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Creates a logger; lines below `level` are dropped, secret fields are redacted. */
export function createLogger(options: LoggerOptions, bound: Record<string, unknown> = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { level, time: now().toISOString(), service: options.service, msg, ...bound, ...fields };
    write(JSON.stringify(redact(record)));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
