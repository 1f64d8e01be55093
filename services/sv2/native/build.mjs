#!/usr/bin/env node
// Builds the libsecp256k1 Node-API addon the Noise handshake uses (secp256k1_napi.c + the
// libsecp256k1 v0.6.0 sources pinned by Cargo.lock) into the per-machine cache, keyed by the
// hash of everything that goes into it, and copies it to build/secp256k1.node. Idempotent: a
// cached build is only copied. Needs cargo (to fetch the pinned crate from the registry), a C
// compiler and Node's headers (node_api.h); says which is missing.
//   node services/sv2/native/build.mjs          build when needed
//   node services/sv2/native/build.mjs --check  exit 1 when build/secp256k1.node is missing or stale
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const manifest = join(here, "Cargo.toml");
const addonSource = join(here, "secp256k1_napi.c");
const opensslSource = join(here, "openssl_napi.c");
const output = join(here, "build", "secp256k1.node");
const CRATE = "secp256k1-sys";
const CC = process.env.CC ?? "cc";
const DEFINES = [
  "SECP256K1_API=extern",
  "ENABLE_MODULE_EXTRAKEYS=1",
  "ENABLE_MODULE_SCHNORRSIG=1",
  "ENABLE_MODULE_ELLSWIFT=1",
  "ECMULT_WINDOW_SIZE=15",
  "USE_EXTERNAL_DEFAULT_CALLBACKS=1",
];
const FLAGS = [
  "-O2",
  "-fPIC",
  "-shared",
  "-fvisibility=hidden",
  "-Wno-unused-function",
  "-std=c99",
  "-D_DEFAULT_SOURCE",
  // SHA256_Init/Update/Final: deprecated in OpenSSL 3 for EVP, still exported by Node and
  // without EVP's per-call context allocation.
  "-Wno-deprecated-declarations",
];

function fail(message) {
  console.error(`[native] ${message}`);
  process.exit(1);
}

function sh(cmd, argv, what) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error?.code === "ENOENT") fail(`${what}: ${cmd} is not installed`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

/** node_api.h next to the running node (a tarball install) or Debian's /usr/include/node. */
function nodeHeaders() {
  const candidates = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"];
  const found = candidates.find((dir) => existsSync(join(dir, "node_api.h")));
  if (!found)
    fail(`node_api.h not found in ${candidates.join(" or ")}; install Node's headers (Debian: libnode-dev)`);
  return found;
}

/** The pinned crate's source directory in cargo's cache (fetched from the registry if needed). */
function crateSources() {
  const metadata = (offline) =>
    spawnSync(
      "cargo",
      [
        "metadata",
        "--format-version",
        "1",
        "--locked",
        ...(offline ? ["--offline"] : []),
        "--manifest-path",
        manifest,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 },
    );
  let r = metadata(true);
  if (r.error?.code === "ENOENT")
    fail("cargo is not installed (it fetches the pinned libsecp256k1 sources): install Rust's cargo");
  if (r.status !== 0) {
    console.log(
      `[native] fetching ${CRATE} (pinned in services/sv2/native/Cargo.lock) from the crate registry...`,
    );
    sh("cargo", ["fetch", "--locked", "--manifest-path", manifest], "cargo fetch");
    r = metadata(true);
    if (r.status !== 0) fail(`cargo metadata failed:\n${r.stderr}`);
  }
  const pkg = JSON.parse(r.stdout).packages.find((p) => p.name === CRATE);
  if (!pkg) fail(`${CRATE} is not in the manifest's dependencies`);
  return { dir: dirname(pkg.manifest_path), version: pkg.version };
}

const { dir: crate, version } = crateSources();
const lib = join(crate, "depend", "secp256k1");
const sources = [
  addonSource,
  opensslSource,
  join(lib, "src", "secp256k1.c"),
  join(lib, "src", "precomputed_ecmult.c"),
  join(lib, "src", "precomputed_ecmult_gen.c"),
];
const headers = nodeHeaders();
const key = createHash("sha256")
  .update(JSON.stringify({ version, DEFINES, FLAGS, CC, arch: process.arch }))
  .update(readFileSync(addonSource))
  .update(readFileSync(opensslSource))
  .update(readFileSync(join(here, "Cargo.lock")))
  .digest("hex")
  .slice(0, 16);
const cacheRoot =
  process.env.HH_NATIVE_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hyperhash", "native");
const cached = join(cacheRoot, `secp256k1-${version}-${key}`, "secp256k1.node");
const stamp = `${output}.key`;

const current = existsSync(output) && existsSync(stamp) && readFileSync(stamp, "utf8") === key;
if (process.argv.includes("--check")) process.exit(current ? 0 : 1);
if (current) process.exit(0);

if (!existsSync(cached)) {
  const started = Date.now();
  console.log(
    `[native] compiling libsecp256k1 (vendored by ${CRATE} ${version}) and its Node-API binding...`,
  );
  const tmp = join(dirname(cached), `.tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const out = join(tmp, "secp256k1.node");
  sh(
    CC,
    [
      ...FLAGS,
      ...DEFINES.map((d) => `-D${d}`),
      `-I${headers}`,
      `-I${lib}`,
      `-I${join(lib, "include")}`,
      `-I${join(lib, "src")}`,
      ...sources,
      "-o",
      out,
      "-lpthread",
    ],
    `compiling the secp256k1 addon with ${CC}`,
  );
  renameSync(out, cached);
  rmSync(tmp, { recursive: true, force: true });
  console.log(`[native] secp256k1 addon built in ${((Date.now() - started) / 1000).toFixed(1)}s: ${cached}`);
}
mkdirSync(dirname(output), { recursive: true });
copyFileSync(cached, output);
// The stamp is written last: an interrupted copy is rebuilt, never trusted.
writeFileSync(stamp, key);
