/**
 * Writes `images/<name>.Dockerfile` for every Node app image from `images/spec.ts`.
 *   npx tsx images/generate.ts           write the Dockerfiles
 *   npx tsx images/generate.ts --check   exit 1 when a checked-in Dockerfile differs
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerfilePath, renderDockerfile } from "./dockerfile.ts";
import { nodeAppImages, repoRoot } from "./spec.ts";

/** The Dockerfiles whose checked-in text differs from what the spec renders. */
export function driftedDockerfiles(): string[] {
  return nodeAppImages
    .filter((image) => {
      let current = "";
      try {
        current = readFileSync(join(repoRoot, dockerfilePath(image)), "utf8");
      } catch {
        // missing counts as drift
      }
      return current !== renderDockerfile(image);
    })
    .map(dockerfilePath);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--check")) {
    const drifted = driftedDockerfiles();
    if (drifted.length) {
      console.error(`out of date (run npx tsx images/generate.ts): ${drifted.join(", ")}`);
      process.exit(1);
    }
  } else {
    for (const image of nodeAppImages) {
      writeFileSync(join(repoRoot, dockerfilePath(image)), renderDockerfile(image));
    }
    console.log(`wrote ${nodeAppImages.length} Dockerfiles`);
  }
}
