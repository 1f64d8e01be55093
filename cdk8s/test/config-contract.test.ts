/**
 * Issue 20: every container the operator renders from our images is checked against the
 * service's own config contract (`@hyperhash/<service>/config`), the schema the service parses
 * at start. A name the service does not read, or a value it refuses, fails here.
 */
import { nodeAgentEnvSchema } from "@hyperhash/node-agent/config";
import { managedEnvSchema } from "@hyperhash/node-agent/managed";
import { tpEnvSchema } from "@hyperhash/template-provider/config";
import { TranslatorConfigSchema } from "@hyperhash/translator";
import { translatorEnvSchema } from "@hyperhash/translator/config";
import test from "ava";
import type { z } from "zod";
import { configFromEnv } from "../../services/translator/src/env.ts";
import {
  buildHyperNodeChildren,
  buildTemplateProviderChildren,
  type DesiredChild,
  REGTEST_NOMINAL_HASH_RATE,
  TRANSLATOR_CHANNEL_MODE,
} from "../src/index.ts";
import { contractProblems, type EnvEntry, materialise } from "./contract.ts";
import { externalNode, managedNode, material, platform, templateProvider } from "./fixtures.ts";

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: EnvEntry[];
  envFrom?: unknown[];
}
const containersOf = (list: DesiredChild[]) =>
  list
    .filter((c) => c.object && ["Deployment", "StatefulSet"].includes(c.kind))
    .flatMap(
      (c) =>
        (c.object as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template
          .spec.containers,
    );

const SCHEMAS: Record<string, z.ZodObject> = {
  [platform.images.nodeAgent]: nodeAgentEnvSchema,
  [platform.images.translator]: translatorEnvSchema,
  [platform.images.templateProvider]: tpEnvSchema,
};

const rendered = (settings: typeof platform = platform) => [
  ...buildHyperNodeChildren(
    externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } }),
    settings,
  ),
  ...buildHyperNodeChildren(
    externalNode({
      translator: {
        enabled: true,
        port: 3333,
        channelMode: "aggregated",
        aggregatedIdentity: "bcrt1qnode.rig",
      },
    }),
    settings,
  ),
  ...buildHyperNodeChildren(managedNode(), settings, material),
  ...buildTemplateProviderChildren(templateProvider, settings, "11".repeat(32)),
];

test("issue 20: every node-agent, translator and hh-tp container's env parses with that service's own schema", (t) => {
  const checked = new Map<string, number>();
  for (const ctr of containersOf(rendered())) {
    // The managed sidecar reads two contracts: its own config and managed-contract.ts.
    const managed = ctr.env?.some((e) => e.name === "HH_AGENT_MANAGED");
    const schema = managed ? [nodeAgentEnvSchema, managedEnvSchema] : SCHEMAS[ctr.image];
    if (!schema) continue; // lnd: not ours
    t.is(ctr.envFrom, undefined, `${ctr.name}: no envFrom, every variable is written against the contract`);
    t.deepEqual(contractProblems(schema, ctr.env ?? []), [], `${ctr.name} (${ctr.image})`);
    checked.set(ctr.image, (checked.get(ctr.image) ?? 0) + 1);
  }
  t.deepEqual(
    [...checked.entries()].sort(),
    [
      [platform.images.nodeAgent, 3],
      [platform.images.templateProvider, 1],
      [platform.images.translator, 2],
    ].sort(),
    "agents (2 external, 1 sidecar), translators (extended, aggregated), hh-tp",
  );
});

test("issue 20: the translator's full config (env → startTranslator's schema) accepts what the builder writes, per channel mode", (t) => {
  const translators = containersOf(rendered()).filter((c) => c.image === platform.images.translator);
  const configs = translators.map((ctr) =>
    TranslatorConfigSchema.parse(configFromEnv(materialise(ctr.env!))),
  );
  t.deepEqual(
    configs.map((c) => c.channelMode),
    ["per-miner", "aggregated"],
  );
  // The fixtures are regtest nodes: their channels declare a CPU miner's rate, not the 1 TH/s
  // default that makes the pool's target unreachable for CPU shares (the e2e found it).
  t.deepEqual(
    configs.map((c) => c.nominalHashRate),
    [REGTEST_NOMINAL_HASH_RATE, REGTEST_NOMINAL_HASH_RATE],
  );
  t.deepEqual(TRANSLATOR_CHANNEL_MODE, { extended: "per-miner", aggregated: "aggregated" });
});

test("issue 20: the check catches the old drift — a name the service does not read, and channelMode 'extended' as a value", (t) => {
  const old: EnvEntry[] = [
    { name: "HH_TRANSLATOR_UPSTREAMS", value: "pool:34254" },
    { name: "HH_TRANSLATOR_NODE_ID", value: "hn_abcdefghijklmnop" },
    { name: "NODE_CREDENTIAL", value: "x".repeat(40) },
    { name: "HH_TRANSLATOR_CHANNEL_MODE", value: "extended" },
  ];
  const problems = contractProblems(translatorEnvSchema, old);
  t.true(problems.some((p) => p.startsWith("NODE_CREDENTIAL: not a variable")));
  t.true(problems.some((p) => p.startsWith("HH_TRANSLATOR_CHANNEL_MODE:")));
});

test("issue 20: managed sidecar gets the wallet-initialisation inputs; the external agent does not", (t) => {
  const names = (list: DesiredChild[]) =>
    containersOf(list)
      .filter((c) => c.image === platform.images.nodeAgent)
      .flatMap((c) => (c.env ?? []).map((e) => e.name));
  const managed = names(buildHyperNodeChildren(managedNode(), platform, material));
  const external = names(buildHyperNodeChildren(externalNode(), platform));
  for (const v of [
    "HH_AGENT_LND_WALLET_PASSWORD_PATH",
    "HH_AGENT_LND_MACAROON_ROOT_KEY_PATH",
    "HH_AGENT_SEED_SECRET",
  ]) {
    t.true(managed.includes(v), v);
    t.false(external.includes(v), v);
  }
});

test("issue 20: the platform's imagePullPolicy reaches every container the builders make; unset leaves Kubernetes' default", (t) => {
  const never = containersOf(rendered({ ...platform, imagePullPolicy: "Never" }));
  t.true(never.length >= 6, `${never.length} containers`);
  t.deepEqual([...new Set(never.map((c) => c.imagePullPolicy))], ["Never"]);
  t.deepEqual([...new Set(containersOf(rendered()).map((c) => c.imagePullPolicy))], [undefined]);
});
