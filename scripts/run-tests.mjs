#!/usr/bin/env node
// Runs the ava suite with a pid ledger, then proves that no process the suite started is
// still running (killing and failing on any leftover), and prints a plain closing line
// "tests: N passed, N failed" for CI.
//   node scripts/run-tests.mjs                 every test
//   node scripts/run-tests.mjs --integration   only test/integration
//   node scripts/run-tests.mjs -- <ava args>   extra ava arguments
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const extra = argv.includes("--") ? argv.slice(argv.indexOf("--") + 1) : [];
const patterns = argv.includes("--integration")
  ? [
      "services/*/test/integration/**/*.test.ts",
      "observability/test/integration/**/*.test.ts",
      "test-e2e/**/*.test.ts",
    ]
  : [];

const ledger = mkdtempSync(join(tmpdir(), "hyperhash-pids-"));
const started = Date.now();

// The node's cgroups, bridge and iptables are machine-wide: one cluster serves the whole run
// (services/devnet/src/shared-cluster.ts). Started here before ava, stopped after it, before
// the teardown check, so its processes are in the ledger too.
let cluster;
const clusterState = join(ledger, "..", `hyperhash-cluster-${process.pid}.json`);
if (!process.env.HH_CLUSTER_STATE && !argv.includes("--no-cluster")) {
  console.log("[tests] starting the shared cluster (images, control plane, node)...");
  cluster = spawn(
    process.execPath,
    ["--import=tsx", join(root, "services/devnet/src/cluster-cli.ts"), "--state", clusterState],
    { cwd: root, env: { ...process.env, HH_PID_LEDGER: ledger }, stdio: ["ignore", "inherit", "inherit"] },
  );
  const clusterDeadline = Date.now() + 20 * 60_000;
  let clusterExit;
  cluster.on("exit", (code, signal) => {
    clusterExit = code ?? signal;
  });
  while (!existsSync(clusterState)) {
    if (clusterExit !== undefined || Date.now() > clusterDeadline) {
      console.error(
        `[tests] the shared cluster did not come up (${clusterExit !== undefined ? `exit ${clusterExit}` : "deadline"})`,
      );
      try {
        cluster.kill("SIGKILL");
      } catch {}
      console.log("tests: 0 passed, 1 failed");
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.env.HH_CLUSTER_STATE = clusterState;
}

/** Stops the shared cluster (SIGTERM; it restores the host) and waits for it, with a deadline. */
async function stopCluster() {
  if (!cluster || cluster.exitCode !== null || cluster.signalCode !== null) return;
  const exited = new Promise((r) => cluster.once("exit", r));
  cluster.kill("SIGTERM");
  const timer = setTimeout(() => cluster.kill("SIGKILL"), 90_000);
  await exited;
  clearTimeout(timer);
}

const ava = spawn(join(root, "node_modules", ".bin", "ava"), [...patterns, ...extra], {
  cwd: root,
  env: { ...process.env, HH_PID_LEDGER: ledger, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
  stdio: ["ignore", "pipe", "inherit"],
  // Its own process group, so a deadline kill takes its workers too.
  detached: true,
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    try {
      process.kill(-ava.pid, sig);
    } catch {}
    cluster?.kill("SIGTERM");
  });
}

// A hung worker (a leaked timer or socket keeps it alive) must not hold CI until its own
// limit: past the suite deadline ava is killed and the run fails, saying so.
const deadlineMin = Number(process.env.HH_SUITE_TIMEOUT_MIN ?? 45);
let timedOut = false;
const deadline = setTimeout(() => {
  timedOut = true;
  console.error(
    `\nsuite deadline: still running after ${deadlineMin} min; killing ava (a worker did not exit)`,
  );
  try {
    process.kill(-ava.pid, "SIGKILL");
  } catch {}
}, deadlineMin * 60_000);

let output = "";
ava.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

ava.on("exit", async (code, signal) => {
  clearTimeout(deadline);
  await stopCluster();
  // ava's closing summary omits the passed count when something failed, so count the marks.
  const count = (re) => (output.match(re) ?? []).length;
  const passed = count(/^\s*✔/gm);
  let failed = count(/^\s*✘/gm);
  const skipped = count(/^\s*- \[skip\]/gm) + count(/^\s*- \[todo\]/gm);

  const leftovers = [];
  for (const file of readdirSync(ledger)) {
    const pid = Number(file);
    if (Number.isInteger(pid) && alive(pid)) {
      leftovers.push(`${pid} ${readFileSync(join(ledger, file), "utf8").trim()}`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  rmSync(ledger, { recursive: true, force: true });
  console.log(
    `\nteardown check: ${leftovers.length === 0 ? "no process started by the suite is still running" : `FAILED, still running (killed now):\n  ${leftovers.join("\n  ")}`}`,
  );
  if (leftovers.length) failed += 1;
  if (timedOut) failed += 1;
  const ok = code === 0 && leftovers.length === 0 && !timedOut;
  if (!ok && failed === 0) failed = 1; // ava failed before counting (e.g. a crash); never report green
  console.log(`suite time: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(ok ? 0 : code || (signal ? 1 : 1));
});
