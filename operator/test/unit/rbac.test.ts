import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentRoleRules } from "@hyperhash/cdk8s";
import test from "ava";
import { hyperNodeController } from "../../src/controllers/hypernode-controller.ts";
import { lightningChannelController } from "../../src/controllers/lightningchannel-controller.ts";
import { payoutWindowController } from "../../src/controllers/payoutwindow-controller.ts";
import type { OperatorSettings } from "../../src/controllers/settings.ts";
import { templateProviderController } from "../../src/controllers/templateprovider-controller.ts";
import { operatorRules, renderRbacYaml } from "../../src/rbac.ts";
import { resourceType } from "../../src/runtime/resources.ts";

const here = dirname(fileURLToPath(import.meta.url));

test("RBAC: committed operator/config/rbac.yaml equals the generator's output", (t) => {
  t.is(readFileSync(join(here, "..", "..", "config", "rbac.yaml"), "utf8"), renderRbacYaml());
});

const allows = (apiVersion: string, plural: string, verb: string) => {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
  return operatorRules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(plural) && r.verbs.includes(verb),
  );
};

test("RBAC: the ClusterRole lets every controller watch its kinds and write what it owns, and grants no wildcard", (t) => {
  const settings = {} as OperatorSettings;
  const defs = [
    hyperNodeController(settings),
    templateProviderController(settings),
    lightningChannelController(settings),
    payoutWindowController(settings),
  ];
  for (const def of defs) {
    const kinds = [def.kind, ...(def.owns ?? []), ...(def.watches ?? []).map((w) => w.kind)];
    for (const kind of kinds) {
      const type = resourceType(kind);
      for (const verb of ["get", "list", "watch"])
        t.true(allows(type.apiVersion, type.plural, verb), `${def.name}: ${verb} ${type.plural}`);
    }
    for (const kind of def.owns ?? []) {
      const type = resourceType(kind);
      for (const verb of ["create", "patch", "delete"].filter(
        (v) => kind !== "LightningChannel" || v !== "delete",
      ))
        t.true(allows(type.apiVersion, type.plural, verb), `${def.name}: ${verb} ${type.plural}`);
    }
    t.true(allows("hyperhash.network/v1alpha1", `${resourceType(def.kind).plural}/status`, "patch"));
  }
  for (const r of operatorRules) {
    t.false(r.verbs.includes("*") || r.resources.includes("*") || r.apiGroups.includes("*"));
  }
  // Pods: read only, for a HyperNode's WorkloadsAvailable condition; never written or deleted.
  t.true(allows("v1", "pods", "list"), "the operator reads pods for WorkloadsAvailable");
  for (const verb of ["create", "update", "patch", "delete", "watch"]) {
    t.false(allows("v1", "pods", verb), `the operator never ${verb}s pods`);
  }
});

test("RBAC escalation: the operator holds every verb of the managed node agent's Role, so it may create it", (t) => {
  for (const rule of agentRoleRules("edge-1"))
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs)
          t.true(allows(group ? `${group}/v1` : "v1", resource, verb), `${verb} ${resource}`);
  // …and reads the <hn>-lnd-macaroons Secret the agent writes (pubkey, operator.macaroon).
  for (const verb of ["get", "list", "watch"]) t.true(allows("v1", "secrets", verb), `${verb} secrets`);
});
