/**
 * hyperhash-core's environment contract, exported as `@hyperhash/core/config` for whatever
 * renders Core's pods (the Helm chart's test parses its env with it). Side-effect free.
 */
export { type CoreEnv, coreEnvSchema } from "./config.ts";
