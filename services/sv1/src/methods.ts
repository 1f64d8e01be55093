/**
 * Client → server SV1 methods: one zod schema per method's params, giving the typed
 * request the session handles. Unknown methods and bad params are values, never throws.
 */
import { z } from "zod";
import { SV1_ERROR, type Sv1Error, type Sv1Id, type Sv1Request } from "./json-rpc.ts";

const hex = (bytes: number) =>
  z
    .string()
    .length(bytes * 2)
    .regex(/^[0-9a-fA-F]*$/, "hex");
const hexUpTo = (maxBytes: number) =>
  z
    .string()
    .max(maxBytes * 2)
    .regex(/^(?:[0-9a-fA-F]{2})*$/, "even-length hex");

/** BIP310 `mining.configure [extensions, parameters]`. */
export const ConfigureParams = z.tuple([
  z.array(z.string().max(64)).max(16),
  z.record(z.string().max(64), z.unknown()),
]);

/** `mining.subscribe [user_agent?, session_id?, ...]`; extra fields (host, port) are tolerated. */
export const SubscribeParams = z.array(z.union([z.string().max(256), z.number(), z.null()])).max(4);

/** `mining.authorize [username, password?]`. */
export const AuthorizeParams = z.union([
  z.tuple([z.string().min(1).max(256)]),
  z.tuple([z.string().min(1).max(256), z.union([z.string().max(256), z.null()])]),
]);

/** `mining.suggest_difficulty [difficulty]`: some firmware sends a numeric string. */
export const SuggestDifficultyParams = z.tuple([
  z
    .union([
      z.number(),
      z
        .string()
        .max(32)
        .regex(/^[0-9.eE+-]+$/),
    ])
    .transform(Number),
]);

/** `mining.submit [worker, job_id, extranonce2, ntime, nonce, version_bits?]`, hex fields. */
export const SubmitParams = z.union([
  z.tuple([z.string().max(256), z.string().min(1).max(64), hexUpTo(32), hex(4), hex(4)]),
  z.tuple([z.string().max(256), z.string().min(1).max(64), hexUpTo(32), hex(4), hex(4), hex(4)]),
]);

/** A share as submitted: hex fields decoded to numbers / bytes. */
export interface Sv1Submit {
  readonly worker: string;
  readonly jobId: string;
  readonly extranonce2: Uint8Array;
  /** nTime as the 32-bit value (SV1 sends it big-endian hex). */
  readonly ntime: number;
  /** Nonce as the 32-bit value (SV1 sends it big-endian hex). */
  readonly nonce: number;
  /** BIP310 version bits, when sent. */
  readonly versionBits: number | null;
}

/** A client request after per-method validation. */
export type Sv1ClientMessage =
  | {
      readonly method: "mining.configure";
      readonly id: Sv1Id;
      readonly extensions: readonly string[];
      readonly parameters: Readonly<Record<string, unknown>>;
    }
  | { readonly method: "mining.subscribe"; readonly id: Sv1Id; readonly userAgent: string | null }
  | {
      readonly method: "mining.authorize";
      readonly id: Sv1Id;
      readonly username: string;
      readonly password: string;
    }
  | { readonly method: "mining.extranonce.subscribe"; readonly id: Sv1Id }
  | { readonly method: "mining.suggest_difficulty"; readonly id: Sv1Id; readonly difficulty: number }
  | { readonly method: "mining.submit"; readonly id: Sv1Id; readonly submit: Sv1Submit };

/** Validation of one request: the typed message, or the error to answer with. */
export type ValidatedRequest =
  | { readonly ok: true; readonly message: Sv1ClientMessage }
  | { readonly ok: false; readonly id: Sv1Id; readonly error: Sv1Error };

const invalidParams = (id: Sv1Id, method: string): ValidatedRequest => ({
  ok: false,
  id,
  error: { code: SV1_ERROR.INVALID_PARAMS, message: `invalid params for ${method}` },
});

/** Big-endian hex of a 32-bit field (SV1's ntime/nonce/version form) to its value. */
export function u32FromHex(text: string): number {
  return Number.parseInt(text, 16) >>> 0;
}

/** A 32-bit value as SV1's 8-digit big-endian hex. */
export function u32ToHex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** Hex text to bytes (input already validated as even-length hex). */
export function bytesFromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Validates a request's params for its method; unknown methods get METHOD_NOT_FOUND. */
export function validateRequest(request: Sv1Request): ValidatedRequest {
  const { id, method, params } = request;
  switch (method) {
    case "mining.configure": {
      const p = ConfigureParams.safeParse(params);
      if (!p.success) return invalidParams(id, method);
      return { ok: true, message: { method, id, extensions: p.data[0], parameters: p.data[1] } };
    }
    case "mining.subscribe": {
      const p = SubscribeParams.safeParse(params);
      if (!p.success) return invalidParams(id, method);
      const agent = p.data[0];
      return { ok: true, message: { method, id, userAgent: typeof agent === "string" ? agent : null } };
    }
    case "mining.authorize": {
      const p = AuthorizeParams.safeParse(params);
      if (!p.success) return invalidParams(id, method);
      return { ok: true, message: { method, id, username: p.data[0], password: p.data[1] ?? "" } };
    }
    case "mining.extranonce.subscribe":
      return { ok: true, message: { method, id } };
    case "mining.suggest_difficulty": {
      const p = SuggestDifficultyParams.safeParse(params);
      if (!p.success || !Number.isFinite(p.data[0]) || p.data[0] <= 0) return invalidParams(id, method);
      return { ok: true, message: { method, id, difficulty: p.data[0] } };
    }
    case "mining.submit": {
      const p = SubmitParams.safeParse(params);
      if (!p.success) return invalidParams(id, method);
      const [worker, jobId, extranonce2, ntime, nonce, versionBits] = p.data;
      const submit: Sv1Submit = {
        worker,
        jobId,
        extranonce2: bytesFromHex(extranonce2),
        ntime: u32FromHex(ntime),
        nonce: u32FromHex(nonce),
        versionBits: versionBits === undefined ? null : u32FromHex(versionBits),
      };
      return { ok: true, message: { method, id, submit } };
    }
    default:
      return {
        ok: false,
        id,
        error: { code: SV1_ERROR.METHOD_NOT_FOUND, message: `unknown method ${method.slice(0, 64)}` },
      };
  }
}
