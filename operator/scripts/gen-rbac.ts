/** Writes operator/config/rbac.yaml from src/rbac.ts; `--check` exits 1 on drift. */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderRbacYaml } from "../src/rbac.ts";

const path = join(dirname(fileURLToPath(import.meta.url)), "..", "config", "rbac.yaml");
const yaml = renderRbacYaml();
let current = "";
try {
  current = readFileSync(path, "utf8");
} catch {}
if (process.argv.includes("--check")) {
  if (current !== yaml) {
    console.error(
      "operator/config/rbac.yaml differs from src/rbac.ts; run npm run gen:rbac -w @hyperhash/operator",
    );
    process.exit(1);
  }
} else if (current !== yaml) {
  writeFileSync(path, yaml);
  console.log("wrote operator/config/rbac.yaml");
}
