/**
 * Writes crds/<plural>.hyperhash.network.yaml from the zod schemas in operator/src/api.
 * `--check` exits 1 when a committed file differs (the unit test does the same).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrdFiles } from "../src/api/render.ts";

const crdDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "crds");
const check = process.argv.includes("--check");
let drift = 0;
for (const { file, yaml } of renderCrdFiles()) {
  const path = join(crdDir, file);
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (current === yaml) continue;
  if (check) {
    drift++;
    console.error(`${file} differs from the schemas; run: npm run gen:crds -w @hyperhash/operator`);
  } else {
    writeFileSync(path, yaml);
    console.log(`wrote crds/${file}`);
  }
}
process.exit(drift ? 1 : 0);
