import type { z } from "zod";
import { BitcoinRpcError, type JsonRpcCall } from "./json-rpc.ts";
import {
  type BlockchainInfo,
  type BlockSummary,
  type BlockTemplate,
  blockchainInfoSchema,
  blockSchema,
  blockTemplateSchema,
  hashListSchema,
  hashSchema,
  type RawTransaction,
  rawTransactionSchema,
} from "./schemas.ts";

/** Which node software answers: they differ in getblocktemplate rules and block generation. */
export type RpcDialect = "btcd" | "core";

/** The project's view of a Bitcoin node. Every answer is validated before it is returned. */
export interface BitcoinRpc {
  readonly dialect: RpcDialect;
  getBlockchainInfo(): Promise<BlockchainInfo>;
  getBestBlockHash(): Promise<string>;
  getBlockCount(): Promise<number>;
  getBlockHash(height: number): Promise<string>;
  getBlock(hash: string): Promise<BlockSummary>;
  getBlockTemplate(): Promise<BlockTemplate>;
  /** Returns null when the node accepted the block, otherwise its reason string. */
  submitBlock(blockHex: string): Promise<string | null>;
  sendRawTransaction(txHex: string): Promise<string>;
  getRawTransaction(txid: string): Promise<RawTransaction>;
  /**
   * Regtest only: mine `count` blocks. btcd pays its configured `--miningaddr`
   * (`address` must be omitted); Bitcoin Core needs `address` (generatetoaddress).
   */
  generate(count: number, address?: string): Promise<string[]>;
  /** True when BIP9 segwit is active (btcd reports it under bip9_softforks). */
  isSegwitActive(): Promise<boolean>;
}

function parse<T extends z.ZodType>(method: string, schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BitcoinRpcError(method, "invalid-response", result.error.issues[0]?.message ?? "invalid");
  }
  return result.data;
}

/** Reads the segwit deployment status out of either node's getblockchaininfo shape. */
export function segwitActiveFrom(info: BlockchainInfo): boolean {
  const candidates = [info.softforks, info.bip9_softforks];
  for (const forks of candidates) {
    if (!forks) continue;
    if (Array.isArray(forks)) {
      // Very old Core: [{id, status}], not used by supported versions but cheap to read.
      if (forks.some((f) => f?.id === "segwit" && (f.reject?.status === true || f.status === "active")))
        return true;
      continue;
    }
    const segwit = (forks as Record<string, unknown>).segwit as
      | { status?: string; active?: boolean; bip9?: { status?: string } }
      | undefined;
    if (!segwit) continue;
    if (segwit.active === true || segwit.status === "active" || segwit.bip9?.status === "active") return true;
  }
  return false;
}

/** Builds the adapter over a JSON-RPC caller. One method per node call, nothing cached. */
export function bitcoinRpc(call: JsonRpcCall, dialect: RpcDialect): BitcoinRpc {
  const invoke = async <T extends z.ZodType>(method: string, params: unknown[], schema: T) =>
    parse(method, schema, await call(method, params));
  const info = () => invoke("getblockchaininfo", [], blockchainInfoSchema);
  return {
    dialect,
    getBlockchainInfo: info,
    getBestBlockHash: () => invoke("getbestblockhash", [], hashSchema),
    getBlockCount: async () => {
      const n = await call("getblockcount", []);
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
        throw new BitcoinRpcError("getblockcount", "invalid-response", "not a height");
      return n;
    },
    getBlockHash: (height) => invoke("getblockhash", [height], hashSchema),
    getBlock: (hash) => invoke("getblock", [hash, 1], blockSchema),
    // Bitcoin Core refuses getblocktemplate without the segwit rule; btcd ignores `rules`.
    getBlockTemplate: () => invoke("getblocktemplate", [{ rules: ["segwit"] }], blockTemplateSchema),
    submitBlock: async (blockHex) => {
      const answer = await call("submitblock", [blockHex]);
      if (answer === null || answer === undefined) return null;
      if (typeof answer === "string") return answer;
      throw new BitcoinRpcError("submitblock", "invalid-response", "unexpected answer");
    },
    sendRawTransaction: (txHex) => invoke("sendrawtransaction", [txHex], hashSchema),
    getRawTransaction: (txid) => invoke("getrawtransaction", [txid, 1], rawTransactionSchema),
    generate: (count, address) => {
      if (!Number.isInteger(count) || count < 1 || count > 10_000)
        throw new RangeError("generate: count must be an integer in 1..10000");
      if (dialect === "btcd") {
        if (address !== undefined) throw new Error("btcd mines to its --miningaddr; pass no address");
        return invoke("generate", [count], hashListSchema);
      }
      if (address === undefined) throw new Error("Bitcoin Core's generatetoaddress needs an address");
      return invoke("generatetoaddress", [count, address], hashListSchema);
    },
    isSegwitActive: async () => segwitActiveFrom(await info()),
  };
}
