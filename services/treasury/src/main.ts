import { createLogger } from "@hyperhash/telemetry";
import { configFromEnv } from "./config.ts";
import { startTreasury } from "./treasury.ts";

// hh-treasury: reads HH_TREASURY_* (see README), runs until SIGTERM/SIGINT. HH_FAULT is refused here:
// fault injection exists only in test/support/main-fault.ts, which no image bundles.
const boot = createLogger({ service: "hh-treasury" });
let config: ReturnType<typeof configFromEnv>;
try {
  config = configFromEnv(process.env);
} catch (err) {
  boot.error("invalid configuration", { err });
  process.exit(2);
}
const treasury = await startTreasury(config, {
  logger: createLogger({ service: "hh-treasury", level: config.logLevel }),
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    treasury.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
