import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPidAlive, ProcessCrashedError, startDevnet, startProcess, waitFor } from "@hyperhash/devnet";
import test from "ava";

test("teardown: stopping the devnet leaves none of its processes running", async (t) => {
  const devnet = await startDevnet({ nodes: 1, controlPlane: true });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await devnet.stop();
  });
  const pids = devnet.processes().map((p) => p.pid);
  t.is(pids.length, 6, "btcd, two lnds, etcd, kube-apiserver, kube-controller-manager");
  t.true(pids.every(isPidAlive));
  t.is(devnet.treasuryChannels.length, 1);
  t.is(devnet.treasuryChannels[0]?.capacitySats, 2_000_000n);
  await devnet.stop();
  stopped = true;
  t.deepEqual(
    pids.filter((pid) => isPidAlive(pid)),
    [],
  );
});

test("a child that dies unexpectedly fails a wait loudly, with its last log lines", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-proc-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = startProcess({
    name: "doomed",
    command: process.execPath,
    args: ["-e", "console.log('about to fail: disk on fire'); process.exit(3)"],
    logPath: join(dir, "doomed.log"),
  });
  const err = await t.throwsAsync(
    waitFor(() => false, { what: "something that never happens", timeoutMs: 30_000, watch: [child] }),
  );
  t.true(err instanceof ProcessCrashedError);
  t.regex(err?.message ?? "", /doomed exited unexpectedly \(code 3\)/);
  t.regex(err?.message ?? "", /disk on fire/);
  t.false(isPidAlive(child.pid));
});

test("stop() escalates to SIGKILL for a child that ignores SIGTERM", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hh-proc-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = startProcess({
    name: "stubborn",
    command: process.execPath,
    args: [
      "-e",
      "process.on('SIGTERM', () => console.log('ignoring TERM')); console.log('ready'); setInterval(() => {}, 1000)",
    ],
    logPath: join(dir, "stubborn.log"),
  });
  t.teardown(() => child.stop(100));
  await waitFor(() => child.tail().includes("ready"), { what: "the child to start", timeoutMs: 10_000 });
  await child.stop(300);
  const exit = await child.exited;
  t.is(exit.signal, "SIGKILL");
  t.false(isPidAlive(child.pid));
});
