import { z } from "zod";

const hex = z.string().regex(/^[0-9a-f]*$/i, "hex");
const hash = z.string().regex(/^[0-9a-f]{64}$/i, "32-byte hash hex");

/** The fields of getblockchaininfo this project reads (btcd and Bitcoin Core agree on these). */
export const blockchainInfoSchema = z.object({
  chain: z.string(),
  blocks: z.number().int().nonnegative(),
  bestblockhash: hash,
  /** btcd reports BIP9 softforks under `softforks`/`bip9_softforks`; Core 0.19+ under `softforks`. */
  softforks: z.unknown().optional(),
  bip9_softforks: z.unknown().optional(),
});
export type BlockchainInfo = z.infer<typeof blockchainInfoSchema>;

/** One non-coinbase transaction of a block template. */
export const templateTransactionSchema = z.object({
  data: hex,
  txid: hash.optional(),
  hash: hash,
  fee: z.number().int().nonnegative().optional(),
  sigops: z.number().int().nonnegative().optional(),
  weight: z.number().int().nonnegative().optional(),
});

/** BIP22/23 getblocktemplate answer, the fields hh-tp needs. */
export const blockTemplateSchema = z.object({
  version: z.number().int(),
  previousblockhash: hash,
  transactions: z.array(templateTransactionSchema),
  coinbasevalue: z.number().int().nonnegative(),
  target: hash,
  mintime: z.number().int().nonnegative(),
  curtime: z.number().int().nonnegative(),
  bits: z.string().regex(/^[0-9a-f]{8}$/i),
  height: z.number().int().nonnegative(),
  default_witness_commitment: hex.optional(),
  longpollid: z.string().optional(),
  sigoplimit: z.number().int().optional(),
  sizelimit: z.number().int().optional(),
  weightlimit: z.number().int().optional(),
});
export type BlockTemplate = z.infer<typeof blockTemplateSchema>;

/** getblock with verbosity 1: header fields and txids. */
export const blockSchema = z.object({
  hash,
  height: z.number().int().nonnegative(),
  confirmations: z.number().int(),
  previousblockhash: hash.optional(),
  tx: z.array(z.union([hash, z.object({ txid: hash })])),
  time: z.number().int(),
  bits: z.string(),
});
export type BlockSummary = z.infer<typeof blockSchema>;

/** getrawtransaction verbose: the output list is what the devnet faucet and tests read. */
export const rawTransactionSchema = z.object({
  txid: hash,
  hex: hex,
  vout: z.array(
    z.object({
      value: z.number(),
      n: z.number().int().nonnegative(),
      scriptPubKey: z.object({ hex: hex }),
    }),
  ),
  confirmations: z.number().int().optional(),
});
export type RawTransaction = z.infer<typeof rawTransactionSchema>;

export const hashSchema = hash;
export const hashListSchema = z.array(hash);
