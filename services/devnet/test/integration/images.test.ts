/**
 * images/ (issue 9): what can be checked without a container engine. Each Dockerfile is
 * multi-stage, pins its base image, installs with npm ci --omit=dev, runs as non-root and has a
 * HEALTHCHECK; its esbuild bundle step (the same command line) builds here, and the bundle starts
 * and reaches its configuration check (exit 2 or a zod error naming a required variable).
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { repoRoot } from "../../../../charts/scripts/sync.ts";

const run = promisify(execFile);
const images = readdirSync(join(repoRoot, "images"))
  .filter((f) => f.endsWith(".Dockerfile"))
  .map((f) => f.replace(/\.Dockerfile$/, ""))
  .sort();
const work = join(repoRoot, ".tmp", "images-test");

test.after.always(() => rmSync(work, { recursive: true, force: true }));

test("one Dockerfile per service and for the operator", (t) => {
  t.deepEqual(images, [
    "core",
    "node-agent",
    "operator",
    "pool",
    "template-provider",
    "translator",
    "treasury",
  ]);
});

test("each Dockerfile: multi-stage, pinned base, npm ci --omit=dev, non-root USER, HEALTHCHECK", (t) => {
  for (const name of images) {
    const text = readFileSync(join(repoRoot, "images", `${name}.Dockerfile`), "utf8");
    t.regex(
      text,
      /^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m,
      `${name}: base pinned to a patch release`,
    );
    t.is(text.match(/^FROM /gm)?.length, 3, `${name}: build, deps, runtime stages`);
    t.regex(text, /npm ci --omit=dev --workspace @hyperhash\//, name);
    t.regex(text, /^USER 10001:10001$/m, name);
    t.regex(text, /^HEALTHCHECK .*\n\s+CMD .*\/healthz/m, name);
  }
});

test("each image's esbuild bundle builds here and starts as far as its configuration check", async (t) => {
  for (const name of images) {
    const text = readFileSync(join(repoRoot, "images", `${name}.Dockerfile`), "utf8");
    const entry = text.match(/esbuild (\S+\/src\/main\.ts)/)![1]!;
    const externals = [...text.matchAll(/--external:(\S+)/g)].map((m) => `--external:${m[1]}`);
    // The bundle sits inside the repository so its external packages resolve from node_modules.
    const out = join(work, name, "main.mjs");
    mkdirSync(join(work, name), { recursive: true });
    await run(
      join(repoRoot, "node_modules", ".bin", "esbuild"),
      [
        entry,
        "--bundle",
        "--platform=node",
        "--target=node20",
        "--format=esm",
        `--outfile=${out}`,
        "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        ...externals,
        "--log-level=warning",
      ],
      { cwd: repoRoot },
    );
    const result = await run(process.execPath, [out], {
      env: { PATH: process.env.PATH ?? "" },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, output: "" }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: `${error.stdout}${error.stderr}`,
      }),
    );
    t.true(
      result.code === 1 || result.code === 2,
      `${name}: exits on missing configuration (${result.code})`,
    );
    t.regex(
      result.output,
      /invalid (configuration|environment)|ZodError|required/i,
      `${name}: ${result.output.slice(0, 200)}`,
    );
  }
});
