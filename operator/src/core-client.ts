// The CoreClient contract lives in core/core-client.ts; this path is the one the brief names.
export * from "./core/core-client.ts";
