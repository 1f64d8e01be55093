/**
 * hh-tp, the Template Provider: a Noise responder speaking SV2 Template Distribution,
 * fed by a Bitcoin node (btcd or Bitcoin Core) over JSON-RPC.
 */
export * from "./block-assembly.ts";
export * from "./config.ts";
export * from "./mempool-topup.ts";
export * from "./metrics.ts";
export * from "./provider.ts";
export * from "./session.ts";
export * from "./template.ts";
export * from "./template-book.ts";
