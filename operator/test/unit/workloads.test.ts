import test from "ava";
import { type PodView, workloadsCondition } from "../../src/controllers/hypernode-workloads.ts";

const pod = (
  name: string,
  ...containers: NonNullable<NonNullable<PodView["status"]>["containerStatuses"]>
): PodView => ({
  metadata: { name },
  spec: { containers: containers.map((c) => ({ name: c.name, image: c.image ?? `img/${c.name}` })) },
  status: { phase: "Pending", containerStatuses: containers },
});

test("WorkloadsAvailable: no pods is Unknown, every container ready is True", (t) => {
  t.is(workloadsCondition([]).status, "Unknown");
  const ok = workloadsCondition([pod("edge-translator-1", { name: "translator", ready: true })]);
  t.is(ok.status, "True");
  t.is(ok.reason, "AllContainersReady");
});

test("WorkloadsAvailable: an image that cannot be pulled names the pod, container, image and the kubelet's words", (t) => {
  const c = workloadsCondition([
    pod("edge-node-agent-1", { name: "node-agent", ready: true }),
    pod("edge-translator-1", {
      name: "translator",
      image: "ghcr.io/hyperhash/translator:missing",
      ready: false,
      state: {
        waiting: {
          reason: "ErrImageNeverPull",
          message:
            'Container image "ghcr.io/hyperhash/translator:missing" is not present with pull policy of Never',
        },
      },
    }),
  ]);
  t.is(c.status, "False");
  t.is(c.reason, "ImagePullFailed");
  t.regex(c.message, /edge-translator-1/);
  t.regex(c.message, /container translator/);
  t.regex(c.message, /ghcr\.io\/hyperhash\/translator:missing cannot be pulled/);
  t.regex(c.message, /not present with pull policy of Never/);
});

test("WorkloadsAvailable: a missing Secret and a crash loop have their own reasons; the pull failure ranks first", (t) => {
  const config = pod("edge-lnd-0", {
    name: "lnd",
    ready: false,
    state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "edge-lnd-tls" not found' } },
  });
  const crash = pod("edge-translator-1", {
    name: "translator",
    ready: false,
    restartCount: 4,
    state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
    lastState: { terminated: { reason: "Error", exitCode: 1 } },
  });
  const pull = pod("edge-node-agent-1", {
    name: "node-agent",
    ready: false,
    state: { waiting: { reason: "ImagePullBackOff" } },
  });
  const cfg = workloadsCondition([config]);
  t.is(cfg.reason, "ContainerConfigInvalid");
  t.regex(cfg.message, /secret "edge-lnd-tls" not found/);
  const crashed = workloadsCondition([crash]);
  t.is(crashed.reason, "ContainerCrashing");
  t.regex(crashed.message, /last exit 1 Error/);
  const all = workloadsCondition([crash, config, pull]);
  t.is(all.reason, "ImagePullFailed");
  t.regex(all.message, /and 2 more/);
});

test("WorkloadsAvailable: containers still starting are False/Starting, not an error; terminating pods are ignored", (t) => {
  const starting = workloadsCondition([
    pod("edge-translator-1", {
      name: "translator",
      ready: false,
      state: { waiting: { reason: "ContainerCreating" } },
    }),
  ]);
  t.is(starting.status, "False");
  t.is(starting.reason, "Starting");
  const old: PodView = {
    ...pod("edge-translator-0", {
      name: "translator",
      ready: false,
      state: { waiting: { reason: "ImagePullBackOff" } },
    }),
    metadata: { name: "edge-translator-0", deletionTimestamp: "2026-12-03T00:00:00Z" },
  };
  t.is(
    workloadsCondition([old, pod("edge-translator-1", { name: "translator", ready: true })]).status,
    "True",
  );
});
