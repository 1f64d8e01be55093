export * from "./bitcoin-rpc.ts";
export * from "./json-rpc.ts";
export * from "./schemas.ts";
export * from "./tip-watcher.ts";
