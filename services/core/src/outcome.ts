/** A refusal reported to the caller: HTTP status, a machine-readable code, and a message. */
export interface Refusal {
  ok: false;
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415;
  code: string;
  message: string;
  /** Extra machine-readable fields merged into the error object (e.g. an existing nodeId). */
  details?: Record<string, unknown>;
}

/** Errors as values: what a service operation answers. */
export type Outcome<T> = { ok: true; status: 200 | 201; value: T } | Refusal;

export const accepted = <T>(value: T, status: 200 | 201 = 200): Outcome<T> => ({ ok: true, status, value });
export const refused = (
  status: Refusal["status"],
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Refusal => ({ ok: false, status, code, message, ...(details ? { details } : {}) });
