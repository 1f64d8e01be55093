#!/usr/bin/env node
// Builds the Stratum Reference Implementation's released roles, which the interop suite
// (test-interop/) runs against hh-pool, hh-tp and hh-translator, with `cargo install --locked`
// at pinned versions into a per-version cache outside the repository. Idempotent: a binary
// already in the cache is not rebuilt. pool_sv2's build script compiles Cap'n Proto schemas,
// so Debian's capnproto and libcapnp-dev are installed when missing (as root).
//   node scripts/sri.mjs            build what is missing, with cargo's progress
//   node scripts/sri.mjs --check    exit 1 when any role is missing
//   node scripts/sri.mjs --print    print "name version path" per role
// Uses only Node built-ins, so it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The roles, pinned: [binary, crate, version]. Kept in step with test-interop/support/sri.ts. */
export const SRI_ROLES = [
  ["pool_sv2", "pool_sv2", "0.7.0"],
  ["translator_sv2", "translator_sv2", "0.6.0"],
  ["mining_device", "integration_tests_sv2", "0.6.0"],
];

export const sriCache =
  process.env.HH_SRI_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hyperhash", "sri");

export const rolePath = (bin, crate, version) => join(sriCache, `${crate}-${version}`, "bin", bin);

const mode = process.argv[2];
if (mode === "--print") {
  for (const [bin, crate, version] of SRI_ROLES)
    console.log(`${bin} ${version} ${rolePath(bin, crate, version)}`);
  process.exit(0);
}
const missing = SRI_ROLES.filter(([bin, crate, version]) => !existsSync(rolePath(bin, crate, version)));
if (mode === "--check") process.exit(missing.length === 0 ? 0 : 1);
if (missing.length === 0) {
  console.log(`[sri] all ${SRI_ROLES.length} roles present in ${sriCache}`);
  process.exit(0);
}

const cargo = spawnSync("cargo", ["--version"], { encoding: "utf8" });
if (cargo.status !== 0) {
  console.error(
    "[sri] cargo is missing: install Rust (rustup from the Rust registry, or Debian's cargo) and rerun `npm run test:interop`.",
  );
  process.exit(2);
}

// Cap'n Proto compiler and headers for pool_sv2's build script (Debian packages).
const debs = [
  ["/usr/bin/capnp", "capnproto"],
  ["/usr/include/capnp/schema.capnp", "libcapnp-dev"],
].filter(([path]) => !existsSync(path));
if (debs.length > 0) {
  const pkgs = debs.map(([, p]) => p);
  if (process.getuid?.() !== 0) {
    console.error(
      `[sri] pool_sv2 needs Debian packages: ${pkgs.join(" ")}. Run as root, or: sudo apt-get install -y ${pkgs.join(" ")}`,
    );
    process.exit(2);
  }
  console.log(`[sri] installing ${pkgs.join(" ")} from Debian...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const argv of [
    ["update", "-q"],
    ["install", "-y", "-q", "--no-install-recommends", ...pkgs],
  ]) {
    const r = spawnSync("apt-get", argv, { stdio: "inherit", env });
    if (r.status !== 0) {
      console.error(`[sri] apt-get ${argv[0]} failed (exit ${r.status ?? r.signal}).`);
      process.exit(r.status ?? 1);
    }
  }
}

console.log(
  `[sri] building ${missing.length} SRI roles into ${sriCache} (${cargo.stdout.trim()}; first run: about 8 min each)`,
);
let i = 0;
for (const [bin, crate, version] of missing) {
  i += 1;
  const started = Date.now();
  const dest = join(sriCache, `${crate}-${version}`);
  // Installed into a temporary root and renamed, so an interrupted build never looks complete.
  const tmp = `${dest}.tmp.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  console.log(`[sri] (${i}/${missing.length}) cargo install --locked ${crate}@${version} --bin ${bin}`);
  const r = spawnSync(
    "cargo",
    ["install", "--locked", "--root", tmp, "--version", version, crate, "--bin", bin, "--no-track"],
    { stdio: "inherit" },
  );
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`[sri] cargo install ${crate}@${version} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  console.log(
    `[sri] (${i}/${missing.length}) ${bin} ${version} built in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
}
