export * from "./common.ts";
export * from "./hypernode.ts";
export * from "./inputs.ts";
export * from "./managed-lightning.ts";
export * from "./names.ts";
export * from "./synth.ts";
export * from "./templateprovider.ts";
