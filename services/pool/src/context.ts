/** What every miner connection of one pool shares. */
import type { Network } from "@hyperhash/bitcoin";
import type { ExtranonceAllocator, SubmitSolution, VardiffConfig } from "@hyperhash/sv2";
import type { Logger } from "@hyperhash/telemetry";
import type { JobBoard } from "./jobs.ts";
import type { PoolMetrics } from "./metrics.ts";
import type { NodeRegistry } from "./node-registry.ts";
import type { ShareLog } from "./share-log.ts";

/** Settings the connection code reads. */
export interface SessionSettings {
  readonly network: Network;
  readonly vardiff: VardiffConfig;
  /** How long an easier, replaced target is still honoured (ms). */
  readonly targetGraceMs: number;
  /** Version bits miners may roll. */
  readonly versionRollingMask: number;
  /** Regtest only: a share is a block only when its hash ≤ min(network target, this). */
  readonly blockTarget: bigint | null;
  /** How far ahead of the clock ntime may be (s). */
  readonly maxFutureSeconds: number;
  /** Open channels one connection may hold; beyond it OpenMiningChannel.Error `too-many-channels`. */
  readonly maxChannelsPerConnection: number;
}

/** Pool-wide state and services for the connection loops. */
export interface PoolContext {
  readonly settings: SessionSettings;
  readonly board: JobBoard;
  readonly allocator: ExtranonceAllocator;
  readonly shareLog: ShareLog;
  readonly nodes: NodeRegistry;
  readonly metrics: PoolMetrics;
  readonly logger: Logger;
  /** Clock, Unix ms. */
  readonly now: () => number;
  /** A fresh pool-wide channel id. */
  nextChannelId(): number;
  /** Hands a solved block to the template provider. */
  submitSolution(solution: SubmitSolution): boolean;
  /** Tip epochs on which the pool already found a block (later hits there are ordinary shares). */
  readonly solvedEpochs: Set<number>;
  /** Best share difficulty since start, overall and per destination. */
  readonly best: { overall: number };
}
