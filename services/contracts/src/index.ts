export * from "./core-api.ts";
export * from "./destination.ts";
export * from "./ids.ts";
export * from "./money.ts";
export * from "./pool-outbox.ts";
