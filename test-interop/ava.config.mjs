// The interop suite's ava config (npm run test:interop): the project's settings from
// package.json with this suite's files. It is not part of `npm test`, whose `files` leave it out.
import { readFileSync } from "node:fs";

const { ava } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

export default { ...ava, files: ["test-interop/**/*.test.ts"], timeout: "10m" };
