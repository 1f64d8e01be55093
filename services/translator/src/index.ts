export * from "./channel-jobs.ts";
export * from "./config.ts";
export * from "./metrics.ts";
export * from "./miner/sv1-miner.ts";
export * from "./submit.ts";
export * from "./translation.ts";
export * from "./translator.ts";
export type { ChannelEvent, ChannelGrant, ShareVerdict, UpstreamShare } from "./upstream/upstream.ts";
