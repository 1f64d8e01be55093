/**
 * hh-translator process: configuration from HH_TRANSLATOR_* (see README), runs until
 * SIGINT/SIGTERM, then stops cleanly.
 */
import { configFromEnv } from "./env.ts";
import { startTranslator } from "./translator.ts";

const translator = await startTranslator(configFromEnv(process.env));
const shutdown = () => {
  translator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
