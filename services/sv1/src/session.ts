/**
 * State of one SV1 connection, as pure data and functions: what was negotiated
 * (BIP310 version rolling, extranonce subscription), the subscription's extranonce, the
 * authorized worker and the difficulty in force. No sockets, no clock: the service feeds
 * requests in order and writes the replies this returns.
 */
import { SV1_ERROR, type Sv1Error } from "./json-rpc.ts";
import { u32FromHex, u32ToHex } from "./methods.ts";
import { toHex } from "./server-messages.ts";

/** BIP310's recommended mask, the translator's default. */
export const SV1_VERSION_ROLLING_MASK = 0x1fff_e000;
/** Largest extranonce2_size cgminer-family firmware handles. */
export const MAX_EXTRANONCE2_SIZE = 8;
/** The usual extranonce2_size. */
export const DEFAULT_EXTRANONCE2_SIZE = 4;

/** Difficulty bounds of a session (powers of two are chosen inside them). */
export interface DifficultyBounds {
  readonly min: number;
  readonly max: number;
}

/** Negotiated and subscription state of one connection. */
export interface Sv1SessionState {
  /** Version-rolling mask agreed through mining.configure; null when not negotiated. */
  readonly versionRollingMask: number | null;
  /** True after mining.subscribe. */
  readonly subscribed: boolean;
  /** User agent from mining.subscribe, for logs and metrics. */
  readonly userAgent: string | null;
  /** extranonce1 given to the miner (set at subscribe). */
  readonly extranonce1: Uint8Array | null;
  /** extranonce2_size given to the miner (≤ 8). */
  readonly extranonce2Size: number;
  /** True after mining.extranonce.subscribe: mining.set_extranonce may be sent. */
  readonly extranonceSubscribed: boolean;
  /** The authorized worker; null until mining.authorize succeeds. */
  readonly worker: WorkerName | null;
  /** Difficulty the miner was told last (0 before the first set_difficulty). */
  readonly difficulty: number;
  /** A password `d=` pins the difficulty: vardiff leaves it alone. */
  readonly difficultyPinned: boolean;
  /** Difficulty requested through `d=` or mining.suggest_difficulty (clamped), if any. */
  readonly requestedDifficulty: number | null;
}

/** A fresh session. */
export function initialSessionState(): Sv1SessionState {
  return {
    versionRollingMask: null,
    subscribed: false,
    userAgent: null,
    extranonce1: null,
    extranonce2Size: DEFAULT_EXTRANONCE2_SIZE,
    extranonceSubscribed: false,
    worker: null,
    difficulty: 0,
    difficultyPinned: false,
    requestedDifficulty: null,
  };
}

/**
 * BIP310 negotiation: the mask is the client's ∩ the server's. A missing or malformed
 * client mask means "whatever the server allows", as BIP310's examples do.
 */
export function negotiateVersionRolling(
  parameters: Readonly<Record<string, unknown>>,
  serverMask: number,
): number {
  const requested = parameters["version-rolling.mask"];
  const clientMask =
    typeof requested === "string" && /^[0-9a-fA-F]{1,8}$/.test(requested)
      ? u32FromHex(requested)
      : 0xffff_ffff;
  return (clientMask & serverMask) >>> 0;
}

/** Result of mining.configure: the state with the mask, and the result object to send. */
export function configure(
  state: Sv1SessionState,
  extensions: readonly string[],
  parameters: Readonly<Record<string, unknown>>,
  serverMask: number,
): { state: Sv1SessionState; result: Record<string, unknown> } {
  const result: Record<string, unknown> = {};
  let next = state;
  for (const extension of extensions) {
    if (extension === "version-rolling") {
      const mask = negotiateVersionRolling(parameters, serverMask);
      result["version-rolling"] = true;
      result["version-rolling.mask"] = u32ToHex(mask);
      next = { ...next, versionRollingMask: mask };
    } else {
      // Extensions we do not implement are declined, as BIP310 asks.
      result[extension] = false;
    }
  }
  return { state: next, result };
}

/** mining.subscribe: records the extranonce; the result is `[[["mining.notify", id]], ex1, ex2size]`. */
export function subscribe(
  state: Sv1SessionState,
  userAgent: string | null,
  extranonce1: Uint8Array,
  extranonce2Size: number,
  subscriptionId: string,
): { state: Sv1SessionState; result: unknown[] } {
  if (!Number.isInteger(extranonce2Size) || extranonce2Size < 1 || extranonce2Size > MAX_EXTRANONCE2_SIZE) {
    throw new RangeError(`extranonce2_size ${extranonce2Size} must be 1..${MAX_EXTRANONCE2_SIZE}`);
  }
  return {
    state: { ...state, subscribed: true, userAgent, extranonce1, extranonce2Size },
    result: [[["mining.notify", subscriptionId]], toHex(extranonce1), extranonce2Size],
  };
}

/** A worker name `<payout destination>[.<worker>]`. */
export interface WorkerName {
  /** The whole name as the miner sent it. */
  readonly username: string;
  /** Bitcoin address or Lightning node pubkey the shares are paid to. */
  readonly payoutDestination: string;
  /** Worker label, if any. */
  readonly worker: string | null;
}

const DESTINATION = /^[A-Za-z0-9]{1,100}$/;
const WORKER = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Parses `<payout destination>[.<worker>]`. Only the shape is checked here; whether the
 * destination is an address of the pool's network is the pool's call.
 */
export function parseWorkerName(username: string): WorkerName | Sv1Error {
  const dot = username.indexOf(".");
  const payoutDestination = dot < 0 ? username : username.slice(0, dot);
  const worker = dot < 0 ? null : username.slice(dot + 1);
  if (!DESTINATION.test(payoutDestination) || (worker !== null && !WORKER.test(worker))) {
    return {
      code: SV1_ERROR.UNAUTHORIZED_WORKER,
      message: "worker must be <payout destination>[.<worker>] (letters, digits, _ and -)",
    };
  }
  return { username, payoutDestination, worker };
}

/** Options a miner can put in its password: `d=<difficulty>`, separated by `,` or `;`. */
export interface PasswordOptions {
  /** Requested fixed difficulty. */
  readonly difficulty: number | null;
}

/** Parses password options; unknown keys and malformed values are ignored (passwords are free text). */
export function parsePasswordOptions(password: string): PasswordOptions {
  let difficulty: number | null = null;
  for (const part of password.split(/[,;\s]+/)) {
    const m = /^d=([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)$/.exec(part);
    if (m) {
      const d = Number(m[1]);
      if (Number.isFinite(d) && d > 0) difficulty = d;
    }
  }
  return { difficulty };
}

/** Largest power of two not above `d`. */
export function floorPowerOfTwo(d: number): number {
  if (!Number.isFinite(d) || d <= 0) throw new RangeError(`difficulty must be positive and finite, got ${d}`);
  let k = Math.floor(Math.log2(d));
  if (2 ** k > d) k -= 1;
  if (2 ** (k + 1) <= d) k += 1;
  return 2 ** k;
}

/**
 * A requested difficulty made safe: inside the bounds, then a power of two rounded down
 * (bounds are powers of two themselves, so the result stays inside them).
 */
export function clampDifficulty(d: number, bounds: DifficultyBounds): number {
  return floorPowerOfTwo(Math.min(bounds.max, Math.max(bounds.min, d)));
}

/** mining.authorize: records the worker and the `d=` request (pinned, clamped). */
export function authorize(
  state: Sv1SessionState,
  username: string,
  password: string,
  bounds: DifficultyBounds,
): { state: Sv1SessionState; worker: WorkerName } | { error: Sv1Error } {
  if (state.worker !== null && state.worker.username !== username) {
    // One SV1 connection feeds one upstream channel: a second identity would misattribute shares.
    return { error: { code: SV1_ERROR.UNAUTHORIZED_WORKER, message: "one worker per connection" } };
  }
  const worker = parseWorkerName(username);
  if ("code" in worker) return { error: worker };
  const { difficulty } = parsePasswordOptions(password);
  if (difficulty === null) return { state: { ...state, worker }, worker };
  return {
    state: {
      ...state,
      worker,
      requestedDifficulty: clampDifficulty(difficulty, bounds),
      difficultyPinned: true,
    },
    worker,
  };
}

/** mining.suggest_difficulty: a starting point (clamped) that vardiff may move; ignored when `d=` pinned one. */
export function suggestDifficulty(
  state: Sv1SessionState,
  difficulty: number,
  bounds: DifficultyBounds,
): Sv1SessionState {
  if (state.difficultyPinned) return state;
  return { ...state, requestedDifficulty: clampDifficulty(difficulty, bounds) };
}

/** Checks that a submit may be judged at all: subscribed, authorized as the named worker. */
export function submitAllowed(state: Sv1SessionState, worker: string): Sv1Error | null {
  if (!state.subscribed) return { code: SV1_ERROR.NOT_SUBSCRIBED, message: "not subscribed" };
  if (state.worker === null || state.worker.username !== worker) {
    return { code: SV1_ERROR.UNAUTHORIZED_WORKER, message: "unauthorized worker" };
  }
  return null;
}

/**
 * The version a share hashed: the job's bits outside the negotiated mask, the miner's
 * inside it. Bits outside the mask, or any bits without negotiation, are an error.
 */
export function shareVersion(
  state: Sv1SessionState,
  jobVersion: number,
  versionBits: number | null,
): number | Sv1Error {
  if (versionBits === null) return jobVersion >>> 0;
  const mask = state.versionRollingMask;
  if (mask === null) {
    if (versionBits === 0) return jobVersion >>> 0;
    return { code: SV1_ERROR.OTHER, message: "version rolling not negotiated" };
  }
  // BIP310: version_bits carry only rolled bits; anything outside the mask is refused
  // rather than guessed at, since the pool would reject the share anyway.
  if ((versionBits & ~mask) >>> 0 !== 0) {
    return { code: SV1_ERROR.OTHER, message: "version bits outside the negotiated mask" };
  }
  return ((jobVersion & ~mask) | (versionBits & mask)) >>> 0;
}
