/**
 * Channel arithmetic of a mining server: extranonce space allocation and vardiff.
 *
 * Extranonce: every channel's full extranonce is `prefix ‖ rollable bytes`, all of one
 * fixed total size (SV2 §5.3: channels of a group share the size). Prefixes are
 * `upstream ‖ local ‖ index`, the index unique among live allocations, so no two
 * channels, on any connection, can ever hash the same coinbase.
 *
 * Vardiff: pure functions over share counts and elapsed time; difficulty is always a
 * power of two (firmware misbehaves on anything else), rounded down.
 *
 * Nothing here reads the clock or imports Bitcoin code; callers pass time in.
 */

/** Longest full extranonce SV2 allows (B0_32). */
export const MAX_EXTRANONCE_SIZE = 32;
/** SRI pool habit: it grants a 4-byte extranonce prefix … */
export const SRI_POOL_EXTRANONCE_PREFIX_SIZE = 4;
/** … and 16 rollable bytes, whatever the miner asked for. */
export const SRI_POOL_ROLLABLE_EXTRANONCE_SIZE = 16;
/** Largest SV1 extranonce2_size cgminer-family firmware handles. */
export const SV1_MAX_EXTRANONCE2_SIZE = 8;
/** The SV2 error code for a channel whose requested extranonce does not fit. */
export const MIN_EXTRANONCE_SIZE_TOO_LARGE = "min-extranonce-size-too-large";

/** Bytes needed to write indexes 0..n−1 big-endian (at least 1). */
export function indexBytesNeeded(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`channel count ${n} must be a positive integer`);
  let bytes = 1;
  while (n - 1 >= 256 ** bytes) bytes++;
  return bytes;
}

/** Parameters of an extranonce allocator. */
export interface ExtranonceAllocatorConfig {
  /** Prefix granted by our upstream (a translator's channel prefix); empty for a pool. */
  readonly upstreamPrefix?: Uint8Array;
  /** Fixed bytes of this server instance, so replicas behind one VIP never collide. */
  readonly localPrefix?: Uint8Array;
  /** Full extranonce size of every channel (prefix + rollable), ≤ 32. */
  readonly totalExtranonceSize: number;
  /** Channels that may be live at once; sets the index width. */
  readonly maxChannels: number;
}

/** One live allocation. */
export interface ExtranonceAllocation {
  /** Index in this allocator (unique among live allocations). */
  readonly index: number;
  /** Who holds it (a connection id), so a closed connection frees all its channels. */
  readonly owner: string;
  /** The channel's `extranonce_prefix`. A standard channel's is the whole extranonce. */
  readonly prefix: Uint8Array;
  /** Bytes left to the channel: `extranonce_size` of OpenExtendedMiningChannel.Success (0 for standard). */
  readonly rollableSize: number;
}

/** Why an allocation was refused; reported to the peer, never fatal to the server. */
export type ExtranonceAllocationError =
  | { readonly kind: "capacity-exhausted"; readonly maxChannels: number }
  | {
      readonly kind: typeof MIN_EXTRANONCE_SIZE_TOO_LARGE;
      readonly requested: number;
      readonly available: number;
    };

/** Result of an allocation attempt. */
export type ExtranonceAllocationResult =
  | { readonly ok: true; readonly allocation: ExtranonceAllocation }
  | { readonly ok: false; readonly error: ExtranonceAllocationError };

/** Hands out non-colliding extranonce prefixes across channels and connections. */
export interface ExtranonceAllocator {
  /** Bytes every extended prefix occupies (upstream + local + index). */
  readonly prefixSize: number;
  /** Rollable bytes an extended channel gets. */
  readonly rollableSize: number;
  /** Full extranonce size of every channel. */
  readonly totalExtranonceSize: number;
  /** Allocates an extended channel's prefix; refused when `minExtranonceSize` exceeds the rollable space. */
  allocateExtended(owner: string, minExtranonceSize: number): ExtranonceAllocationResult;
  /** Allocates a standard channel's prefix (padded with zeros to the full size). */
  allocateStandard(owner: string): ExtranonceAllocationResult;
  /** Frees one allocation; true when it was live. */
  release(allocation: ExtranonceAllocation): boolean;
  /** Frees every allocation of `owner` (connection closed); returns how many. */
  releaseOwner(owner: string): number;
  /** Live allocations. */
  readonly liveCount: number;
}

function indexBytes(index: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let n = index;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

/**
 * Creates an allocator. Throws `RangeError` on a configuration that cannot work
 * (over 32 bytes, no room for the index); allocation failures are values.
 */
export function createExtranonceAllocator(config: ExtranonceAllocatorConfig): ExtranonceAllocator {
  const upstream = Uint8Array.from(config.upstreamPrefix ?? []);
  const local = Uint8Array.from(config.localPrefix ?? []);
  const total = config.totalExtranonceSize;
  if (!Number.isInteger(total) || total < 0 || total > MAX_EXTRANONCE_SIZE) {
    throw new RangeError(`total extranonce size ${total} must be 0..${MAX_EXTRANONCE_SIZE}`);
  }
  const width = indexBytesNeeded(config.maxChannels);
  const prefixSize = upstream.length + local.length + width;
  if (prefixSize > total) {
    throw new RangeError(`prefix needs ${prefixSize} bytes, the extranonce has ${total}`);
  }
  const live = new Map<number, ExtranonceAllocation>();
  // Searching from after the last index delays reuse of a just-freed prefix, so late shares
  // of a closed channel cannot be credited to the channel that takes its place.
  let cursor = 0;

  function take(owner: string, standard: boolean): ExtranonceAllocationResult {
    if (live.size >= config.maxChannels) {
      return { ok: false, error: { kind: "capacity-exhausted", maxChannels: config.maxChannels } };
    }
    let index = cursor;
    while (live.has(index)) index = (index + 1) % config.maxChannels;
    cursor = (index + 1) % config.maxChannels;
    const extended = new Uint8Array(standard ? total : prefixSize);
    extended.set(upstream, 0);
    extended.set(local, upstream.length);
    extended.set(indexBytes(index, width), upstream.length + local.length);
    const allocation: ExtranonceAllocation = {
      index,
      owner,
      prefix: extended,
      rollableSize: standard ? 0 : total - prefixSize,
    };
    live.set(index, allocation);
    return { ok: true, allocation };
  }

  return {
    prefixSize,
    rollableSize: total - prefixSize,
    totalExtranonceSize: total,
    allocateExtended(owner, minExtranonceSize) {
      const available = total - prefixSize;
      if (!Number.isInteger(minExtranonceSize) || minExtranonceSize < 0 || minExtranonceSize > available) {
        return {
          ok: false,
          error: { kind: MIN_EXTRANONCE_SIZE_TOO_LARGE, requested: minExtranonceSize, available },
        };
      }
      return take(owner, false);
    },
    allocateStandard(owner) {
      return take(owner, true);
    },
    release(allocation) {
      if (live.get(allocation.index) !== allocation) return false;
      return live.delete(allocation.index);
    },
    releaseOwner(owner) {
      let freed = 0;
      for (const [index, allocation] of live) {
        if (allocation.owner === owner) {
          live.delete(index);
          freed++;
        }
      }
      return freed;
    },
    get liveCount() {
      return live.size;
    },
  };
}

/**
 * Allocator for the layer below a granted extended channel (a translator splitting its
 * pool channel among SV1 miners): the granted prefix is the upstream part, and the index
 * is carved from the granted rollable bytes. Throws when nothing is left for `minRollable`.
 */
export function createDownstreamAllocator(
  grantedPrefix: Uint8Array,
  grantedExtranonceSize: number,
  maxChannels: number,
  minRollable = 0,
): ExtranonceAllocator {
  const allocator = createExtranonceAllocator({
    upstreamPrefix: grantedPrefix,
    totalExtranonceSize: grantedPrefix.length + grantedExtranonceSize,
    maxChannels,
  });
  if (allocator.rollableSize < minRollable) {
    throw new RangeError(`only ${allocator.rollableSize} rollable bytes left, need ${minRollable}`);
  }
  return allocator;
}

/**
 * Checks a rollable (extranonce) size against a channel's bounds: at least what the
 * miner asked for, at most what the extranonce leaves; `sv1` adds firmware's 8-byte cap.
 */
export function rollableSizeFits(
  rollableSize: number,
  bounds: { readonly minRequested: number; readonly available: number; readonly sv1?: boolean },
): boolean {
  if (!Number.isInteger(rollableSize) || rollableSize < 0) return false;
  if (rollableSize < bounds.minRequested || rollableSize > bounds.available) return false;
  return !(bounds.sv1 && rollableSize > SV1_MAX_EXTRANONCE2_SIZE);
}

/** Expected hashes per share at difficulty 1: floor(2^256 / (0xFFFF·2^208 + 1)). */
export const HASHES_PER_DIFFICULTY_1 = 4_295_032_833;
/** Share rate vardiff aims for, per channel (≈ one share every 10 s). */
export const DEFAULT_SHARES_PER_MINUTE = 6;

/** Largest power of two not above `d` (2^k, k may be negative). */
export function floorPowerOfTwo(d: number): number {
  if (!Number.isFinite(d) || d <= 0) throw new RangeError(`difficulty must be positive and finite, got ${d}`);
  let k = Math.floor(Math.log2(d));
  // log2 can be off by one ulp near exact powers; correct both ways.
  if (2 ** k > d) k -= 1;
  if (2 ** (k + 1) <= d) k += 1;
  return 2 ** k;
}

/** True for 2^k, k any integer in double range. */
export function isPowerOfTwo(d: number): boolean {
  return Number.isFinite(d) && d > 0 && floorPowerOfTwo(d) === d;
}

/** Vardiff settings; difficulties are powers of two. */
export interface VardiffConfig {
  /** Shares per minute to aim for. */
  readonly targetSharesPerMinute: number;
  /** Lowest difficulty handed out (regtest CPU miners need fractions such as 2^-16). */
  readonly minDifficulty: number;
  /** Highest difficulty handed out. */
  readonly maxDifficulty: number;
  /** Largest change per retarget, in powers of two (2 ⇒ at most ×4 or ÷4). */
  readonly maxStepLog2: number;
  /** Seconds a window must span before it is judged (about 6 shares at the target rate). */
  readonly minWindowSeconds: number;
  /** A window with this many shares is judged early, so a miner far below its real difficulty ramps up fast. */
  readonly burstShares: number;
}

/** Defaults: 6 shares/min, ×/÷ 4 per step, 60 s windows, early retarget at 30 shares. */
export const DEFAULT_VARDIFF: VardiffConfig = Object.freeze({
  targetSharesPerMinute: DEFAULT_SHARES_PER_MINUTE,
  minDifficulty: 2 ** -32,
  maxDifficulty: 2 ** 52,
  maxStepLog2: 2,
  minWindowSeconds: 60,
  burstShares: 30,
});

function clampDifficulty(d: number, config: VardiffConfig): number {
  return Math.min(config.maxDifficulty, Math.max(config.minDifficulty, floorPowerOfTwo(d)));
}

/**
 * Starting difficulty for a channel from its declared hash rate (`nominal_hash_rate`):
 * the power of two, rounded down, that gives about `targetSharesPerMinute`.
 */
export function initialDifficulty(nominalHashRate: number, config: VardiffConfig = DEFAULT_VARDIFF): number {
  if (!Number.isFinite(nominalHashRate) || nominalHashRate <= 0) return config.minDifficulty;
  const hashesPerShare = (nominalHashRate * 60) / config.targetSharesPerMinute;
  return clampDifficulty(hashesPerShare / HASHES_PER_DIFFICULTY_1, config);
}

/** Shares accepted since the last retarget and the time they took. */
export interface VardiffWindow {
  /** Accepted shares in the window. */
  readonly shares: number;
  /** Seconds since the window opened (caller's clock). */
  readonly elapsedSeconds: number;
}

/** A vardiff decision. */
export interface VardiffDecision {
  /** Difficulty to use from now on (a power of two). */
  readonly difficulty: number;
  /** True when it differs from the current one: send SetTarget and open a new window. */
  readonly changed: boolean;
  /** True when the window was judged (changed or not): the caller opens a new window. */
  readonly judged: boolean;
}

/**
 * Next difficulty from the current one and the window's share rate. The ratio
 * observed rate / target rate is taken in powers of two, truncated toward zero: the rate
 * may drift anywhere in (½×, 2×) of the target before anything changes, which keeps
 * Poisson noise from flapping the difficulty, and every result stays a power of two.
 * A window with no shares is judged as if one share had just arrived, so long silence
 * steps down harder. Each step moves at most `maxStepLog2` powers, then clamps.
 */
export function nextDifficulty(
  current: number,
  window: VardiffWindow,
  config: VardiffConfig = DEFAULT_VARDIFF,
): VardiffDecision {
  if (!isPowerOfTwo(current)) throw new RangeError(`current difficulty ${current} is not a power of two`);
  const { shares, elapsedSeconds } = window;
  const unchanged = { difficulty: current, changed: false, judged: false };
  if (!(elapsedSeconds > 0) || !(shares >= 0)) return unchanged;
  if (elapsedSeconds < config.minWindowSeconds && shares < config.burstShares) return unchanged;
  const ratePerMinute = (Math.max(shares, 1) * 60) / elapsedSeconds;
  const ratioLog2 = Math.trunc(Math.log2(ratePerMinute / config.targetSharesPerMinute));
  const stepLog2 = Math.max(-config.maxStepLog2, Math.min(config.maxStepLog2, ratioLog2));
  const difficulty = clampDifficulty(current * 2 ** stepLog2, config);
  return { difficulty, changed: difficulty !== current, judged: true };
}
