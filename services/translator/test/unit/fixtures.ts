/** A realistic extended job (SRI coinbase layout) for the translator's unit tests. */
import {
  bip34HeightPush,
  type CoinbaseSpec,
  coinbaseJobParts,
  coinbaseLockConvention,
  poolMinerTag,
  serializeOutputs,
  witnessCommitmentOutput,
} from "@hyperhash/bitcoin";
import type { ActiveJob } from "../../src/channel-jobs.ts";

export const FULL_EXTRANONCE = 20;

function spec(height: number): CoinbaseSpec {
  const lock = coinbaseLockConvention(height);
  const commitment = witnessCommitmentOutput(new Uint8Array(32).fill(7));
  return {
    template: {
      coinbaseTxVersion: 2,
      coinbasePrefix: bip34HeightPush(height),
      coinbaseTxInputSequence: lock.sequence,
      coinbaseTxValueRemaining: 5_000_000_000n,
      coinbaseTxOutputsCount: 1,
      coinbaseTxOutputs: serializeOutputs([commitment]),
      coinbaseTxLocktime: lock.lockTime,
    },
    rewardOutputs: [{ value: 4_000_000_000n, scriptPubKey: Uint8Array.of(0x51) }],
    tag: poolMinerTag("hyperhash", ""),
  };
}

export function activeJobFor(height: number, branches: Uint8Array[] = []): ActiveJob {
  const parts = coinbaseJobParts(spec(height), FULL_EXTRANONCE);
  return {
    job: {
      jobId: 9,
      minNtime: null,
      version: 0x20000000,
      versionRollingAllowed: true,
      merklePath: branches,
      coinbaseTxPrefix: parts.coinbaseTxPrefix,
      coinbaseTxSuffix: parts.coinbaseTxSuffix,
    },
    tip: { prevHash: new Uint8Array(32).fill(0x11), minNtime: 1_700_000_000, nBits: 0x207fffff },
    ntime: 1_700_000_000,
  };
}
