/**
 * images/build.ts against a real containerd (no CRI plugin, so no CNI and no kubelet): every
 * archive imports with `ctr image import`, and each image runs far enough to prove its
 * entrypoint and its external packages work inside the container, with no network but loopback.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { type BuiltImage, buildImages } from "../../../../images/build.ts";
import { type ManagedProcess, startProcess } from "../../src/process.ts";
import { waitFor } from "../../src/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "hyperhash-containerd-"));
const socket = join(dir, "containerd.sock");
let containerd: ManagedProcess | undefined;
let built: BuiltImage[] = [];
let containers = 0;

interface CtrResult {
  code: number;
  output: string;
}

function ctr(args: string[], timeout = 120_000): Promise<CtrResult> {
  return new Promise((resolve) => {
    execFile("ctr", ["--address", socket, "-n", "test", ...args], { timeout }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** `ctr run --rm` with a fresh container id; args replace the image's entrypoint when given. */
function runImage(image: BuiltImage, args: string[] = []): Promise<CtrResult> {
  containers += 1;
  return ctr(["run", "--rm", image.ref, `hh-${image.name}-${containers}`, ...args]);
}

function image(name: string): BuiltImage {
  const found = built.find((b) => b.name === name);
  if (!found) throw new Error(`${name} was not built`);
  return found;
}

function requireBinary(name: string): void {
  for (const prefix of (process.env.PATH ?? "").split(":")) {
    try {
      accessSync(join(prefix, name), constants.X_OK);
      return;
    } catch {}
  }
  throw new Error(`${name} is not installed: apt-get install containerd (it brings ctr; runc too)`);
}

test.before(async () => {
  requireBinary("containerd");
  requireBinary("ctr");
  requireBinary("runc");
  built = await buildImages({ outDir: join(dir, "archives"), log: () => {} });
  // Everything containerd keeps lives in the temp dir; without the CRI plugin it never
  // touches CNI or the host's networking.
  const config = [
    "version = 2",
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    `[grpc]\n  address = "${socket}"`,
    `[ttrpc]\n  address = "${socket}.ttrpc"`,
    '[debug]\n  address = ""',
    '[metrics]\n  address = ""',
    `[plugins."io.containerd.internal.v1.opt"]\n  path = "${dir}/opt"`,
    "",
  ].join("\n");
  mkdirSync(join(dir, "root"), { recursive: true });
  writeFileSync(join(dir, "config.toml"), config);
  containerd = startProcess({
    name: "containerd",
    command: "containerd",
    args: ["--config", join(dir, "config.toml")],
    logPath: join(dir, "containerd.log"),
  });
  await waitFor(async () => (await ctr(["version"], 5_000)).code === 0, {
    what: "containerd to answer on its socket",
    timeoutMs: 30_000,
    watch: [containerd],
  });
  for (const b of built) {
    const result = await ctr(["image", "import", b.archivePath]);
    if (result.code !== 0) throw new Error(`ctr image import ${b.archivePath}: ${result.output}`);
  }
});

test.after.always(async () => {
  // Nothing may outlive the run: the pause container (if a test failed midway), then containerd.
  if (containerd) {
    await ctr(["task", "kill", "-s", "SIGKILL", "hh-pause-sandbox"], 10_000);
    await ctr(["container", "rm", "hh-pause-sandbox"], 10_000);
    await containerd.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

test("every image is imported under its full reference with the archive's digest", async (t) => {
  const listing = await ctr(["image", "ls"]);
  for (const b of built) {
    t.regex(
      listing.output,
      new RegExp(`^${b.ref.replaceAll(".", "\\.")}\\s+\\S+\\s+${b.digest}`, "m"),
      b.ref,
    );
  }
  t.true(built.length >= 11, built.map((b) => b.name).join(" "));
});

test("a second build reuses every archive, with the same digests", async (t) => {
  const again = await buildImages({ outDir: join(dir, "archives-again"), log: () => {} });
  t.deepEqual(
    again.map((b) => [b.ref, b.digest, b.reused]),
    built.map((b) => [b.ref, b.digest, true]),
  );
});

test("node base: the machine's Node runs as uid 10001 with loopback as its only interface", async (t) => {
  const probe =
    "console.log(JSON.stringify([process.version, process.getuid(), Object.keys(require('os').networkInterfaces())]))";
  const result = await runImage(image("node"), ["node", "-e", probe]);
  t.is(result.code, 0, result.output);
  t.deepEqual(JSON.parse(result.output.trim()), [process.version, 10001, ["lo"]]);
});

for (const [name, missing] of [
  ["pool", /HH_POOL_/],
  ["core", /HH_CORE_/],
] as const) {
  test(`${name}: the entrypoint runs the bundle to its configuration check`, async (t) => {
    const result = await runImage(image(name));
    t.true(result.code === 1 || result.code === 2, `exit ${result.code}: ${result.output}`);
    t.regex(result.output, /invalid (configuration|environment)|ZodError|required/i);
    t.regex(result.output, missing);
  });
}

for (const [name, externals] of [
  ["pool", ["better-sqlite3"]],
  ["core", ["better-sqlite3"]],
  ["treasury", ["better-sqlite3", "ln-service", "lightning"]],
  ["node-agent", ["ln-service", "lightning"]],
  ["operator", ["ln-service", "lightning", "@kubernetes/client-node"]],
] as const) {
  test(`${name}: its external packages load from /app/node_modules (better-sqlite3 opens a database too)`, async (t) => {
    const script = [
      "const r = require('node:module').createRequire('/app/main.mjs');",
      ...externals.map((pkg) => `r(${JSON.stringify(pkg)});`),
      externals.includes("better-sqlite3" as never)
        ? "const D = r('better-sqlite3'); console.log('sqlite', new D(':memory:').prepare('select sqlite_version() v').get().v);"
        : "console.log('loaded');",
    ].join(" ");
    const result = await runImage(image(name), ["node", "-e", script]);
    t.is(result.code, 0, result.output);
    t.regex(result.output, /sqlite 3\.\d+|loaded/);
  });
}

test("btcd and lnd images carry the pinned daemons and their CLIs", async (t) => {
  for (const [name, binary, version] of [
    ["btcd", "btcd", /btcd version 0\.25\.0/],
    // btcctl 0.25.0 still reports "0.23.1-beta" (upstream never bumped its version string).
    ["btcd", "btcctl", /btcctl version \d+\.\d+/],
    ["lnd", "lnd", /lnd version 0\.20\.1-beta/],
    ["lnd", "lncli", /lncli version 0\.20\.1-beta/],
  ] as const) {
    const result = await runImage(image(name), [binary, "--version"]);
    t.is(result.code, 0, `${binary}: ${result.output}`);
    t.regex(result.output, version);
  }
});

test("pause: sleeps until SIGTERM, then exits 0", async (t) => {
  const id = "hh-pause-sandbox";
  t.is((await ctr(["run", "-d", image("pause").ref, id])).code, 0);
  await waitFor(async () => /\bRUNNING\b/.test((await ctr(["task", "ls"])).output), {
    what: "the pause task to run",
    timeoutMs: 20_000,
  });
  t.is((await ctr(["task", "kill", "-s", "SIGTERM", id])).code, 0);
  await waitFor(
    async () => new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, "m").test((await ctr(["task", "ls"])).output),
    {
      what: "the pause task to stop on SIGTERM",
      timeoutMs: 20_000,
    },
  );
  // `ctr task rm` exits with the task's exit status.
  const removed = await ctr(["task", "rm", id]);
  t.is(removed.code, 0, removed.output);
  t.is((await ctr(["container", "rm", id])).code, 0);
});
