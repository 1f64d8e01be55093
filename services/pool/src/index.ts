/** @hyperhash/pool: the Stratum V2 pool server, its share log, and a CPU test miner. */
export * from "./channel-open.ts";
export * from "./channels.ts";
export * from "./context.ts";
export * from "./core-node-registry.ts";
export * from "./http-api.ts";
export * from "./identity.ts";
export * from "./jobs.ts";
export * from "./metrics.ts";
export * from "./miner/sv2-miner.ts";
export * from "./node-registry.ts";
export * from "./pool.ts";
export * from "./share-log.ts";
export * from "./share-validator.ts";
export * from "./sqlite-store.ts";
export * from "./store.ts";
export * from "./submit.ts";
export * from "./tdp-client.ts";
