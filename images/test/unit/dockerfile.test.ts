/**
 * One contract, written once (STYLE rule 1): each Node app Dockerfile is generated from
 * images/spec.ts, and the checked-in file must equal what the spec renders.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { dockerfilePath, renderDockerfile } from "../../dockerfile.ts";
import { driftedDockerfiles } from "../../generate.ts";
import { allImages, esbuildArgs, nodeAppImages, repoRoot } from "../../spec.ts";

test("checked-in Dockerfiles equal the spec's rendering (run npx tsx images/generate.ts)", (t) => {
  t.deepEqual(driftedDockerfiles(), []);
});

test("every Node app image has a Dockerfile and every spec name is unique", (t) => {
  const names = allImages.map((spec) => spec.name);
  t.is(new Set(names).size, names.length);
  for (const image of nodeAppImages) {
    t.notThrows(() => readFileSync(join(repoRoot, dockerfilePath(image))), image.name);
  }
});

test("the Dockerfile bundles with exactly the builder's esbuild arguments", (t) => {
  for (const image of nodeAppImages) {
    const text = renderDockerfile(image);
    const start = text.indexOf("node_modules/.bin/esbuild ");
    const step = text.slice(start, text.indexOf("\n\n", start)).replace(/\\\n/g, " ");
    // Shell words: split on blanks outside double quotes, then drop the quotes.
    const words = (step.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []).slice(1).map((w) => w.replaceAll('"', ""));
    t.deepEqual(words, esbuildArgs(image, "/out/main.mjs"), image.name);
    t.false(/\\\n\s*\n/.test(text), `${image.name}: no empty continuation line`);
  }
});

test("each runtime stage carries the spec's env, port and user", (t) => {
  for (const image of nodeAppImages) {
    const text = renderDockerfile(image);
    for (const [k, v] of Object.entries(image.env)) t.true(text.includes(`${k}=${v}`), `${image.name} ${k}`);
    t.regex(text, new RegExp(`^EXPOSE ${image.opsPort}$`, "m"));
    t.regex(text, /^USER 10001:10001$/m);
    t.regex(text, /^ENTRYPOINT \["node", "\/app\/main.mjs"\]$/m);
  }
});
