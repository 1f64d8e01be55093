import { createLogger } from "@hyperhash/telemetry";
import { startNodeAgent } from "./agent.ts";
import { configFromEnv } from "./config.ts";

// hh-node-agent: reads HH_AGENT_* (see README), runs until SIGTERM/SIGINT.
const logger = createLogger({ service: "hh-node-agent" });
let config: ReturnType<typeof configFromEnv>;
try {
  config = configFromEnv(process.env);
} catch (err) {
  logger.error("invalid configuration", { err });
  process.exit(2);
}
const agent = await startNodeAgent(config, {
  logger: createLogger({ service: "hh-node-agent", level: config.logLevel }),
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
