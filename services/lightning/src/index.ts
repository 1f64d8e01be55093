export * from "./lnd.ts";
export * from "./mappers.ts";
export * from "./types.ts";
