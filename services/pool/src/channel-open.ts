/**
 * OpenStandardMiningChannel / OpenExtendedMiningChannel (sv2-spec §5.3.2–5.3.6) and
 * UpdateChannel (§5.3.7): identity, node authorisation, extranonce space and target.
 */
import { targetFromU256LE } from "@hyperhash/bitcoin";
import { chooseTarget, type MiningChannel } from "./channels.ts";
import type { PoolContext } from "./context.ts";
import { parseUserIdentity } from "./identity.ts";

/** The fields both open messages share. */
export interface OpenRequest {
  readonly kind: "standard" | "extended";
  readonly requestId: number;
  readonly userIdentity: string;
  readonly nominalHashRate: number;
  readonly maxTarget: Uint8Array;
  readonly minExtranonceSize: number;
}

/** Result of an open: the channel, or the OpenMiningChannel.Error code and a log detail. */
export type OpenOutcome =
  | { readonly ok: true; readonly channel: MiningChannel }
  | { readonly ok: false; readonly error: string; readonly detail: string };

/** Opens a channel for a connection; the caller sends Success and the first job. */
export function openChannel(
  ctx: PoolContext,
  request: OpenRequest,
  owner: {
    readonly connectionId: string;
    readonly boundNodeId: string | null;
    readonly groupChannelId: number;
  },
): OpenOutcome {
  const parsed = parseUserIdentity(request.userIdentity, ctx.settings.network);
  if (!parsed.ok) return { ok: false, error: parsed.error, detail: parsed.detail };
  const { identity } = parsed;
  // Only a connection that presented this node's credential may credit shares to it.
  if (identity.nodeId !== null && identity.nodeId !== owner.boundNodeId) {
    return { ok: false, error: "unauthorized-node", detail: identity.nodeId };
  }
  const maxTarget = targetFromU256LE(request.maxTarget);
  const choice = chooseTarget(request.nominalHashRate, maxTarget, ctx.settings.vardiff);
  if (!choice.ok) return { ok: false, error: choice.error, detail: maxTarget.toString(16) };
  const allocated =
    request.kind === "standard"
      ? ctx.allocator.allocateStandard(owner.connectionId)
      : ctx.allocator.allocateExtended(owner.connectionId, request.minExtranonceSize);
  if (!allocated.ok) {
    const error = allocated.error.kind === "capacity-exhausted" ? "capacity-exhausted" : allocated.error.kind;
    return { ok: false, error, detail: JSON.stringify(allocated.error) };
  }
  const channel: MiningChannel = {
    id: ctx.nextChannelId(),
    kind: request.kind,
    groupChannelId: owner.groupChannelId,
    identity,
    allocation: allocated.allocation,
    versionRollingAllowed: true,
    maxTarget,
    nominalHashRate: request.nominalHashRate,
    difficulty: choice.difficulty,
    target: choice.target,
    grace: null,
    window: { startedMs: ctx.now(), shares: 0 },
    seen: new Map(),
    merkleRoots: new Map(),
    jobsSent: new Set(),
    hashRate: 0,
    bestDifficulty: 0,
  };
  return { ok: true, channel };
}

/**
 * UpdateChannel: re-derives the target from the new hash rate and maximum target. Returns the
 * UpdateChannel.Error code, or null when the caller should announce the (possibly new) target.
 */
export function updateChannel(
  ctx: PoolContext,
  channel: MiningChannel,
  nominalHashRate: number,
  maximumTarget: Uint8Array,
): string | null {
  const maxTarget = targetFromU256LE(maximumTarget);
  const choice = chooseTarget(nominalHashRate, maxTarget, ctx.settings.vardiff);
  if (!choice.ok) return choice.error;
  const nowMs = ctx.now();
  channel.grace =
    choice.target < channel.target
      ? { target: channel.target, untilMs: nowMs + ctx.settings.targetGraceMs }
      : null;
  channel.maxTarget = maxTarget;
  channel.nominalHashRate = nominalHashRate;
  channel.difficulty = choice.difficulty;
  channel.target = choice.target;
  channel.window = { startedMs: nowMs, shares: 0 };
  return null;
}
