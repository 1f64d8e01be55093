export * from "./http.ts";
export * from "./logger.ts";
export * from "./trace.ts";
