/** Dashboards, alert rules and their promtool tests as code, and the metric catalog they check against. */
export * from "./catalog.ts";
export * from "./dashboards.ts";
export { driftReport, type GeneratedFile, generatedFiles, staleFiles } from "./generate.ts";
export * from "./rule-tests.ts";
export * from "./rules.ts";
