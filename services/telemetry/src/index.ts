export * from "./http.ts";
export * from "./logger.ts";
