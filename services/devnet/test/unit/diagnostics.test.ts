import test from "ava";
import { formatDiagnostics } from "../../src/diagnostics.ts";

const readyPod = {
  metadata: { name: "ok-0" },
  spec: { nodeName: "hh-devnet-node" },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
};

test("an unscheduled pod says it has no node and why the scheduler refused it; Ready pods are left out", (t) => {
  const out = formatDiagnostics(
    {
      items: [
        readyPod,
        {
          metadata: { name: "lnd-0" },
          spec: {},
          status: {
            phase: "Pending",
            conditions: [
              {
                type: "PodScheduled",
                status: "False",
                reason: "Unschedulable",
                message: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
              },
            ],
          },
        },
      ],
    },
    { items: [] },
  );
  t.is(
    out,
    "pod lnd-0: Pending; no node; PodScheduled=False Unschedulable: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
  );
});

test("crash loops and terminated containers are named with their reasons and restarts", (t) => {
  const out = formatDiagnostics(
    {
      items: [
        {
          metadata: { name: "pool-0" },
          spec: { nodeName: "n" },
          status: {
            phase: "Running",
            conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
            containerStatuses: [
              { name: "pool", restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } } },
              { name: "init", state: { terminated: { reason: "Error", exitCode: 2 } } },
            ],
          },
        },
      ],
    },
    { items: [] },
  );
  t.is(
    out,
    "pod pool-0: Running; on n; Ready=False ContainersNotReady; pool waiting CrashLoopBackOff; pool restarts 3; init terminated Error (exit 2)",
  );
});

test("only Warning events, oldest first, at most the last N", (t) => {
  const ev = (name: string, at: string, type = "Warning") => ({
    type,
    reason: "FailedScheduling",
    message: `m-${name}`,
    count: 2,
    involvedObject: { kind: "Pod", name },
    lastTimestamp: at,
  });
  const out = formatDiagnostics(
    { items: [readyPod] },
    {
      items: [
        ev("c", "2026-12-04T10:00:03Z"),
        ev("a", "2026-12-04T10:00:01Z"),
        ev("n", "2026-12-04T10:00:00Z", "Normal"),
        ev("b", "2026-12-04T10:00:02Z"),
      ],
    },
    2,
  );
  t.is(out, "event Pod/b FailedScheduling (×2): m-b\nevent Pod/c FailedScheduling (×2): m-c");
});

test("a healthy namespace says so", (t) => {
  t.is(formatDiagnostics({ items: [readyPod] }, { items: [] }), "every pod Ready, no Warning events");
});
