/**
 * hh-treasury with fault injection, for crash tests only (never bundled into an image): reads
 * HH_FAULT, then runs the production config and treasury with an exit hook after a payment.
 */
import { createLogger } from "@hyperhash/telemetry";
import { configFromEnv } from "../../src/config.ts";
import { startTreasury } from "../../src/treasury.ts";
import { FAULT_EXIT_CODE, parseFault } from "./fault.ts";

const boot = createLogger({ service: "hh-treasury" });
let config: ReturnType<typeof configFromEnv>;
let fault: ReturnType<typeof parseFault>;
try {
  fault = parseFault(process.env.HH_FAULT);
  config = configFromEnv({ ...process.env, HH_FAULT: undefined });
} catch (err) {
  boot.error("invalid configuration", { err });
  process.exit(2);
}
const logger = createLogger({ service: "hh-treasury", level: config.logLevel });
const treasury = await startTreasury(config, {
  logger,
  afterPayment: (paid) => {
    if (fault.exitAfterPayments === undefined || paid < fault.exitAfterPayments) return;
    logger.warn("HH_FAULT: exiting right after a settled payment, before recording it", { payments: paid });
    process.exit(FAULT_EXIT_CODE);
  },
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    treasury.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
