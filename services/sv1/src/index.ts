export * from "./json-rpc.ts";
export * from "./methods.ts";
export * from "./server-messages.ts";
export * from "./session.ts";
