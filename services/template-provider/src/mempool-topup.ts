/**
 * Fresh fee templates on btcd. btcd's getblocktemplate regenerates its transaction set only
 * when the mempool changed AND 60 s (`gbtRegenerateSeconds`, btcd v0.25.0 rpcserver.go)
 * passed since the last generation; in between it returns the cached set with a new time.
 * A fee-driven update within seconds therefore needs the mempool itself: this module takes
 * btcd's template (authoritative for tip, height, bits, time) and tops it up from
 * `getrawmempool true`, parents before children, highest feerate first, within the block's
 * weight and sigop budgets. Bitcoin Core needs none of this (it regenerates after 5 s).
 */
import { fromHex, type JsonRpcCall, parseTransaction, type Transaction } from "@hyperhash/bitcoin";
import { z } from "zod";
import { type BlockCandidate, RESERVED_BLOCK_WEIGHT, type TemplateTx, templateTx } from "./template.ts";

const hash = z.string().regex(/^[0-9a-f]{64}$/i);
/** `getrawmempool true` as btcd (and Core, under other fee field names) answers it. */
export const rawMempoolSchema = z.record(
  hash,
  z.object({ fee: z.number().nonnegative(), depends: z.array(hash) }),
);

/** Room kept for the pool's own outputs by the top-up (each client's constraints cut further). */
const POOL_OUTPUT_WEIGHT_HEADROOM = 4_000;
const POOL_SIGOPS_HEADROOM = 400;

function scriptSigops(script: Uint8Array, accurate: boolean): number {
  let count = 0;
  let previous = -1;
  for (let i = 0; i < script.length; ) {
    const op = script[i++]!;
    if (op >= 0x01 && op <= 0x4e) {
      let length = op;
      if (op === 0x4c) length = script[i++] ?? 0;
      else if (op === 0x4d) length = (script[i] ?? 0) | ((script[i + 1] ?? 0) << 8);
      else if (op === 0x4e) length = Number.MAX_SAFE_INTEGER;
      i += (op === 0x4d ? 2 : op === 0x4e ? 4 : 0) + length;
    } else if (op === 0xac || op === 0xad) {
      count += 1;
    } else if (op === 0xae || op === 0xaf) {
      count += accurate && previous >= 0x51 && previous <= 0x60 ? previous - 0x50 : 20;
    }
    previous = op;
  }
  return count;
}

function lastPush(script: Uint8Array): Uint8Array | null {
  let last: Uint8Array | null = null;
  for (let i = 0; i < script.length; ) {
    const op = script[i++]!;
    if (op < 0x01 || op > 0x4e) {
      last = null;
      continue;
    }
    let length = op;
    if (op === 0x4c) length = script[i++] ?? 0;
    else if (op === 0x4d) {
      length = (script[i] ?? 0) | ((script[i + 1] ?? 0) << 8);
      i += 2;
    } else if (op === 0x4e) return null;
    last = script.subarray(i, i + length);
    i += length;
  }
  return last;
}

/**
 * An upper bound of a transaction's BIP141 sigop cost without its prevouts (btcd's mempool
 * does not report sigops): legacy sigops ×4, any scriptSig's last push counted as a P2SH
 * redeem script ×4, any witness's last item counted as a witness script (at least 1).
 */
export function estimateSigopCost(tx: Transaction): number {
  let cost = 0;
  for (const output of tx.outputs) cost += scriptSigops(output.scriptPubKey, false) * 4;
  for (const input of tx.inputs) {
    cost += scriptSigops(input.scriptSig, false) * 4;
    const redeem = lastPush(input.scriptSig);
    if (redeem) cost += scriptSigops(redeem, true) * 4;
    const witnessScript = input.witness[input.witness.length - 1];
    if (witnessScript) cost += Math.max(1, scriptSigops(witnessScript, true));
  }
  return cost;
}

/** Parsed mempool transactions by txid, kept across checks so each is fetched once. */
export type MempoolTxCache = Map<string, TemplateTx>;

/**
 * The candidate with every mempool transaction it lacks that fits, and without template
 * transactions that left the mempool (and their descendants). Returns the candidate itself
 * when nothing changes.
 */
export async function topUpFromMempool(
  candidate: BlockCandidate,
  call: JsonRpcCall,
  cache: MempoolTxCache,
): Promise<BlockCandidate> {
  const mempool = rawMempoolSchema.parse(await call("getrawmempool", [true]));
  for (const id of cache.keys()) if (!(id in mempool)) cache.delete(id);

  const kept: TemplateTx[] = [];
  const inBlock = new Set<string>();
  let value = candidate.coinbaseValue;
  for (const tx of candidate.transactions) {
    if (tx.txidHex in mempool && tx.parents.every((p) => inBlock.has(p))) {
      kept.push(tx);
      inBlock.add(tx.txidHex);
    } else value -= tx.fee ?? 0n;
  }
  const missing = Object.entries(mempool)
    .filter(([id]) => !inBlock.has(id))
    .map(([id, entry]) => ({ id, entry, fee: BigInt(Math.round(entry.fee * 1e8)) }));
  if (missing.length === 0 && kept.length === candidate.transactions.length) return candidate;

  for (const m of missing) {
    if (cache.has(m.id)) continue;
    const hex = await call("getrawtransaction", [m.id, 0]);
    if (typeof hex !== "string") continue;
    const tx = parseTransaction(fromHex(hex));
    cache.set(m.id, templateTx(hex, m.fee, estimateSigopCost(tx), new Set(m.entry.depends)));
  }

  let weightLeft =
    candidate.weightLimit -
    RESERVED_BLOCK_WEIGHT -
    POOL_OUTPUT_WEIGHT_HEADROOM -
    kept.reduce((s, t) => s + t.weight, 0);
  let sigopsLeft = candidate.sigopLimit - POOL_SIGOPS_HEADROOM - kept.reduce((s, t) => s + t.sigopCost, 0);
  const pending = missing
    .map((m) => cache.get(m.id))
    .filter((t): t is TemplateTx => t !== undefined)
    .sort((a, b) => Number((b.fee ?? 0n) * BigInt(a.weight) - (a.fee ?? 0n) * BigInt(b.weight)));
  // Parents first: repeat passes until a pass adds nothing (chains are short: ≤ 25 in btcd).
  for (let progress = true; progress; ) {
    progress = false;
    for (const tx of pending) {
      if (inBlock.has(tx.txidHex) || !tx.parents.every((p) => inBlock.has(p) || !(p in mempool))) continue;
      if (tx.weight > weightLeft || tx.sigopCost > sigopsLeft) continue;
      kept.push(tx);
      inBlock.add(tx.txidHex);
      weightLeft -= tx.weight;
      sigopsLeft -= tx.sigopCost;
      value += tx.fee ?? 0n;
      progress = true;
    }
  }
  return { ...candidate, transactions: kept, coinbaseValue: value };
}
