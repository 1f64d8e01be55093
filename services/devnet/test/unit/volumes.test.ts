import test from "ava";
import {
  type ClaimList,
  claimsToProvision,
  SELECTED_NODE,
  storageClassManifest,
  volumeFor,
} from "../../src/volumes.ts";

const claim = (
  name: string,
  overrides: {
    annotations?: Record<string, string>;
    storageClassName?: string | null;
    volumeName?: string;
    phase?: string;
  } = {},
) => ({
  metadata: { name, namespace: "ns", uid: `uid-${name}`, annotations: overrides.annotations },
  spec: {
    storageClassName: overrides.storageClassName === undefined ? "hh-local" : overrides.storageClassName,
    volumeName: overrides.volumeName,
    resources: { requests: { storage: "2Gi" } },
  },
  status: { phase: overrides.phase ?? "Pending" },
});

const placed = { [SELECTED_NODE]: "hh-devnet-node" };

test("the class binds when the pod is placed (WaitForFirstConsumer), so a pod never waits unschedulable for its volume", (t) => {
  t.regex(storageClassManifest, /volumeBindingMode: WaitForFirstConsumer/);
  t.regex(storageClassManifest, /is-default-class: "true"/);
});

test("only placed, pending, unbound claims of the devnet's class (or of no class) are provisioned", (t) => {
  const claims: ClaimList = {
    items: [
      claim("placed", { annotations: placed }),
      claim("default-class", { annotations: placed, storageClassName: null }),
      claim("not-placed-yet"),
      claim("other-class", { annotations: placed, storageClassName: "fast" }),
      claim("already-bound", { annotations: placed, volumeName: "pv-x", phase: "Bound" }),
      claim("named-volume", { annotations: placed, volumeName: "pv-y" }),
      claim("lost", { annotations: placed, phase: "Lost" }),
    ],
  };
  t.deepEqual(
    claimsToProvision(claims).map((c) => c.metadata.name),
    ["placed", "default-class"],
  );
});

test("a volume is pre-bound to its claim by uid, sized as requested, under the root", (t) => {
  const [c] = claimsToProvision({ items: [claim("data-lnd-0", { annotations: placed })] });
  const pv = volumeFor(c!, "/tmp/root") as {
    metadata: { name: string };
    spec: {
      capacity: { storage: string };
      hostPath: { path: string };
      claimRef: { uid: string; name: string };
    };
  };
  t.is(pv.metadata.name, "pv-uid-data-lnd-0");
  t.is(pv.spec.capacity.storage, "2Gi");
  t.is(pv.spec.hostPath.path, "/tmp/root/pv-uid-data-lnd-0");
  t.deepEqual([pv.spec.claimRef.name, pv.spec.claimRef.uid], ["data-lnd-0", "uid-data-lnd-0"]);
});

test("a claim list that is not kubectl's shape is refused, not half-read", (t) => {
  t.throws(() => claimsToProvision({ items: [{ metadata: { name: "x" } }] } as unknown as ClaimList));
});
