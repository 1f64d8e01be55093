/**
 * SubmitSolution (sv2-spec §7.7) → the full block for `submitblock`. Pure.
 *
 * The client's coinbase goes in byte for byte (it carries its own witness, the reserved
 * value); the template's transactions follow in template order; the header is the
 * template's prev hash and nBits with the solution's version, time and nonce.
 */
import {
  type BlockHeader,
  equalBytes,
  hashFromDisplayHex,
  headerHashHex,
  merkleRootFromPath,
  parseTransaction,
  serializeBlock,
  type Transaction,
  toHex,
  txid,
} from "@hyperhash/bitcoin";
import type { SubmitSolution } from "@hyperhash/sv2";
import type { TemplateVariant } from "./template.ts";

/** The assembled block, or why the solution cannot make one. */
export type SolutionBlock =
  | { ok: true; blockHex: string; blockHash: string; coinbase: Transaction }
  | { ok: false; reason: "invalid-coinbase" | "missing-template-output"; detail: string };

/** Builds the block a solution names; the node's verdict is for `submitblock` to give. */
export function assembleSolutionBlock(variant: TemplateVariant, solution: SubmitSolution): SolutionBlock {
  let coinbase: Transaction;
  try {
    coinbase = parseTransaction(solution.coinbaseTx);
  } catch (error) {
    return { ok: false, reason: "invalid-coinbase", detail: (error as Error).message };
  }
  const input = coinbase.inputs[0];
  if (coinbase.inputs.length !== 1 || !input || input.prevIndex !== 0xffff_ffff) {
    return { ok: false, reason: "invalid-coinbase", detail: "not a coinbase (one null-prevout input)" };
  }
  // The template's outputs (the witness commitment) must be there, else the block is invalid.
  for (const wanted of variant.coinbaseOutputs) {
    const found = coinbase.outputs.some(
      (o) => o.value === wanted.value && equalBytes(o.scriptPubKey, wanted.scriptPubKey),
    );
    if (!found) {
      return { ok: false, reason: "missing-template-output", detail: toHex(wanted.scriptPubKey) };
    }
  }
  const header: BlockHeader = {
    version: solution.version >>> 0,
    prevHash: hashFromDisplayHex(variant.candidate.prevHash),
    merkleRoot: merkleRootFromPath(txid(coinbase), variant.merklePath),
    ntime: solution.headerTimestamp,
    nBits: variant.candidate.nBits,
    nonce: solution.headerNonce,
  };
  const block = serializeBlock(
    header,
    solution.coinbaseTx,
    variant.transactions.map((t) => t.data),
  );
  return { ok: true, blockHex: toHex(block), blockHash: headerHashHex(header), coinbase };
}
