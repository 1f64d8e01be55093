/**
 * Loader and shapes for /work/shared/vectors/share-validation.json (SRI channels-sv2
 * vectors). Only the fields the tests read are typed; the loader fails loudly when the
 * file is missing so a skipped fixture can never look like a pass.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromHex } from "../../src/bytes.ts";
import type { CoinbaseSpec } from "../../src/coinbase.ts";

const VECTORS_URL = new URL("../../../../../shared/vectors/share-validation.json", import.meta.url);

/** A NewTemplate as the vectors spell it. */
export interface TemplateVector {
  version: number;
  coinbase_tx_version: number;
  coinbase_prefix_hex: string;
  coinbase_tx_input_sequence: number;
  coinbase_tx_value_remaining: number;
  coinbase_tx_outputs_count: number;
  coinbase_tx_outputs_hex: string;
  coinbase_tx_locktime: number;
  merkle_path: string[];
}

/** Inputs that describe a server-side coinbase. */
export interface ServerInputs {
  template: TemplateVector;
  coinbase_reward_outputs: { value_sat: number; script_pubkey_hex: string }[];
  pool_miner_tag_ascii: string;
  extranonce_prefix_hex: string;
  full_extranonce_size: number;
  rollable_extranonce_size?: number;
}

/** A share as submitted. */
export interface ShareVectorShare {
  sequence_number: number;
  job_id: number;
  nonce: number;
  ntime: number;
  version: number;
  extranonce?: string;
}

/** One `share_vectors` entry (server or client role). */
export interface ShareVector {
  name: string;
  role: "server-extended" | "server-standard" | "client-extended" | "client-standard";
  verified: boolean;
  inputs: Partial<ServerInputs> & {
    channel_target_be_hex: string;
    extranonce_prefix_hex: string;
    rollable_extranonce_size?: number;
    chain_tip: { prev_hash_hex: string; nbits: number; min_ntime: number };
    share: ShareVectorShare;
    job?: {
      version: number;
      coinbase_tx_prefix_hex?: string;
      coinbase_tx_suffix_hex?: string;
      merkle_path?: string[];
      merkle_root_hex?: string;
    };
  };
  derived: Record<string, string | number | boolean | undefined>;
  expected_outcome: string;
  computed_outcome?: string;
}

/** One `job_creation_vectors` entry. */
export interface JobCreationVector {
  name: string;
  verified: boolean;
  inputs: ServerInputs;
  expected: Record<string, string>;
  derived?: Record<string, string>;
}

/** The parts of the file the tests use. */
export interface ShareValidationFile {
  channel_target_vectors: {
    nominal_hashrate: number;
    shares_per_minute: number;
    expected_target_be_hex: string;
    verified: boolean;
  }[];
  job_creation_vectors: JobCreationVector[];
  share_vectors: ShareVector[];
  unverified_or_outcome_only: ShareVector[];
}

/** Reads the vector file, throwing a clear error when it is not where the repo layout puts it. */
export function loadShareValidationVectors(): ShareValidationFile {
  const path = fileURLToPath(VECTORS_URL);
  if (!existsSync(path)) {
    throw new Error(
      `share-validation vectors not found at ${path} (expected /work/shared/vectors next to the repo)`,
    );
  }
  return JSON.parse(readFileSync(path, "utf8")) as ShareValidationFile;
}

/** The coinbase spec a server-side vector describes. */
export function coinbaseSpecOf(inputs: ServerInputs): CoinbaseSpec {
  const t = inputs.template;
  return {
    template: {
      coinbaseTxVersion: t.coinbase_tx_version,
      coinbasePrefix: fromHex(t.coinbase_prefix_hex),
      coinbaseTxInputSequence: t.coinbase_tx_input_sequence,
      coinbaseTxValueRemaining: BigInt(t.coinbase_tx_value_remaining),
      coinbaseTxOutputsCount: t.coinbase_tx_outputs_count,
      coinbaseTxOutputs: fromHex(t.coinbase_tx_outputs_hex),
      coinbaseTxLocktime: t.coinbase_tx_locktime,
    },
    rewardOutputs: inputs.coinbase_reward_outputs.map((o) => ({
      value: BigInt(o.value_sat),
      scriptPubKey: fromHex(o.script_pubkey_hex),
    })),
    tag: new TextEncoder().encode(inputs.pool_miner_tag_ascii),
  };
}
