export * from "./common.ts";
export * from "./conditions.ts";
export * from "./crd.ts";
export * from "./hypernode-types.ts";
export * from "./lightningchannel-types.ts";
export * from "./payoutwindow-types.ts";
export * from "./templateprovider-types.ts";
