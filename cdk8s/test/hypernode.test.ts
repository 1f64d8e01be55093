import test from "ava";
import {
  AGENT_PORT,
  buildHyperNodeChildren,
  buildTemplateProviderChildren,
  type DesiredChild,
  type ManifestObject,
  OPS_PORT,
} from "../src/index.ts";
import { externalNode, managedNode, material, platform, templateProvider } from "./fixtures.ts";

const present = (list: DesiredChild[]) =>
  list
    .filter((c) => c.object)
    .map((c) => `${c.kind}/${c.name}`)
    .sort();
const absent = (list: DesiredChild[]) =>
  list
    .filter((c) => !c.object)
    .map((c) => `${c.kind}/${c.name}`)
    .sort();
type Pod = {
  securityContext: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  volumes?: Array<{
    name: string;
    secret?: { secretName: string };
    persistentVolumeClaim?: { claimName: string };
    emptyDir?: Record<string, never>;
  }>;
  containers: Array<{
    name: string;
    env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
    securityContext: Record<string, unknown>;
    resources: { requests: Record<string, string> };
    livenessProbe?: unknown;
    readinessProbe?: unknown;
    startupProbe?: unknown;
  }>;
};
const podOf = (o: ManifestObject | null | undefined) =>
  (o as unknown as { spec: { template: { spec: Pod } } }).spec.template.spec;
const find = (list: DesiredChild[], kind: string, name: string) =>
  list.find((c) => c.kind === kind && c.name === name)?.object;

test("HyperNode external, translator off: config, node agent, its SA and policy; no translator, no managed lnd", (t) => {
  const list = buildHyperNodeChildren(externalNode(), platform);
  t.deepEqual(present(list), [
    "ConfigMap/edge-1-config",
    "Deployment/edge-1-node-agent",
    "NetworkPolicy/edge-1-node-agent",
    "ServiceAccount/edge-1-node-agent",
  ]);
  for (const name of [
    "Deployment/edge-1-translator",
    "Service/edge-1-translator",
    "StatefulSet/edge-1-lnd",
    "Secret/edge-1-lnd-tls",
  ])
    t.true(absent(list).includes(name), `${name} must not exist`);
});

test("HyperNode translator enabled: Deployment, Service (the SV1 port), NetworkPolicy and SA appear", (t) => {
  const list = buildHyperNodeChildren(
    externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } }),
    platform,
  );
  t.true(present(list).includes("Deployment/edge-1-translator"));
  const svc = find(list, "Service", "edge-1-translator") as unknown as {
    spec: { ports: Array<{ port: number }> };
  };
  t.is(svc.spec.ports[0]!.port, 3333);
  t.true(present(list).includes("NetworkPolicy/edge-1-translator"));
});

test("every child carries the HyperNode as controller owner (GC) and the managed-by label (operator cache)", (t) => {
  for (const list of [
    buildHyperNodeChildren(externalNode(), platform),
    buildHyperNodeChildren(managedNode(), platform, material),
  ]) {
    for (const c of list.filter((x) => x.object)) {
      const meta = c.object!.metadata;
      t.like(meta.ownerReferences?.[0], {
        kind: "HyperNode",
        name: "edge-1",
        controller: true,
        blockOwnerDeletion: true,
      });
      t.is(meta.labels?.["app.kubernetes.io/managed-by"], "hyperhash-operator");
      t.is(meta.namespace, "miners");
    }
  }
});

test("pods run restricted: non-root, seccomp RuntimeDefault, no escalation, read-only root, caps dropped, probes, requests", (t) => {
  const lists = [
    buildHyperNodeChildren(
      externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } }),
      platform,
    ),
    buildHyperNodeChildren(managedNode(), platform, material),
    buildTemplateProviderChildren(templateProvider, platform, "11".repeat(32)),
  ];
  let pods = 0;
  for (const c of lists.flat().filter((x) => x.object && ["Deployment", "StatefulSet"].includes(x.kind))) {
    const pod = podOf(c.object);
    pods++;
    t.like(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const ctr of pod.containers) {
      t.like(ctr.securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      t.truthy(ctr.livenessProbe && ctr.readinessProbe && ctr.startupProbe, `${c.name}/${ctr.name} probes`);
      t.truthy(ctr.resources.requests.cpu && ctr.resources.requests.memory);
    }
  }
  t.is(pods, 4, "node agent, translator, lnd StatefulSet, template provider");
});

test("node agent and translator get the <hypernode>-credentials Secret (node identity) under the names each reads", (t) => {
  const list = buildHyperNodeChildren(
    externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } }),
    platform,
  );
  const secretOf = (name: string, variable: string) =>
    (podOf(find(list, "Deployment", name)).containers[0]!.env ?? []).find((e) => e.name === variable)
      ?.valueFrom?.secretKeyRef?.name;
  for (const variable of ["HH_AGENT_NODE_ID", "HH_AGENT_NODE_CREDENTIAL"])
    t.is(secretOf("edge-1-node-agent", variable), "edge-1-credentials", variable);
  for (const variable of ["HH_TRANSLATOR_NODE_ID", "HH_TRANSLATOR_CREDENTIAL"])
    t.is(secretOf("edge-1-translator", variable), "edge-1-credentials", variable);
  t.is(secretOf("edge-1-node-agent", "HH_AGENT_API_TOKEN"), "edge-1-node-agent-token");
  const agent = podOf(find(list, "Deployment", "edge-1-node-agent"));
  t.deepEqual(
    agent.volumes?.flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
    ["edge-1-lnd", "edge-1-lnd"],
    "the external lnd's TLS cert and macaroon Secrets",
  );
});

test("the agent's API token Secret is desired only when the reconciler hands over a fresh token", (t) => {
  t.false(buildHyperNodeChildren(externalNode(), platform).some((c) => c.name === "edge-1-node-agent-token"));
  const list = buildHyperNodeChildren(externalNode(), platform, undefined, "t".repeat(43));
  const secret = find(list, "Secret", "edge-1-node-agent-token") as unknown as {
    data: { token: string };
    immutable: boolean;
  };
  t.is(Buffer.from(secret.data.token, "base64").toString(), "t".repeat(43));
  t.true(secret.immutable);
});

test("Managed Lightning: lnd StatefulSet + agent sidecar, Service, PVC, TLS/password/root-key Secrets, Role; no external agent", (t) => {
  const list = buildHyperNodeChildren(managedNode(), platform, material);
  t.deepEqual(present(list), [
    "ConfigMap/edge-1-config",
    "NetworkPolicy/edge-1-lnd",
    "PersistentVolumeClaim/edge-1-lnd-data",
    "Role/edge-1-node-agent",
    "RoleBinding/edge-1-node-agent",
    "Secret/edge-1-lnd-macaroon-root-key",
    "Secret/edge-1-lnd-tls",
    "Secret/edge-1-lnd-wallet-password",
    "Service/edge-1-lnd",
    "ServiceAccount/edge-1-node-agent",
    "StatefulSet/edge-1-lnd",
  ]);
  const pod = podOf(find(list, "StatefulSet", "edge-1-lnd"));
  t.deepEqual(
    pod.containers.map((c) => c.name),
    ["lnd", "node-agent"],
  );
  t.deepEqual(
    pod.volumes?.map(
      (v) => v.secret?.secretName ?? v.persistentVolumeClaim?.claimName ?? (v.emptyDir ? "emptyDir" : ""),
    ),
    [
      "edge-1-lnd-data",
      "edge-1-lnd-tls",
      "edge-1-lnd-wallet-password",
      "edge-1-lnd-macaroon-root-key",
      "emptyDir",
    ],
  );
  const args = (
    find(list, "StatefulSet", "edge-1-lnd") as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    }
  ).spec.template.spec.containers[0]!.args;
  t.true(args.includes("--wallet-unlock-password-file=/etc/lnd/wallet/password"));
  t.true(args.includes("--bitcoin.node=neutrino"));
  // --lnddir would make lnd ignore --tlscertpath/--tlskeypath and serve a certificate of its own.
  t.false(args.some((a) => a.startsWith("--lnddir")));
  t.true(args.includes("--tlscertpath=/etc/lnd/tls/tls.crt"));
  const pw = find(list, "Secret", "edge-1-lnd-wallet-password") as unknown as {
    data: { password: string };
    immutable: boolean;
  };
  t.is(Buffer.from(pw.data.password, "base64").toString(), material.walletPassword);
  t.true(pw.immutable);
});

test("Managed Lightning without material: Secrets are neither desired nor marked absent (created once elsewhere)", (t) => {
  const list = buildHyperNodeChildren(managedNode(), platform);
  t.false(list.some((c) => c.kind === "Secret"));
});

test("builders are pure: the same resource renders the same objects", (t) => {
  t.deepEqual(
    buildHyperNodeChildren(managedNode(), platform, material),
    buildHyperNodeChildren(managedNode(), platform, material),
  );
});

test("TemplateProvider: Deployment with spec.replicas, Service on the TDP port, authority-key Secret mounted", (t) => {
  const list = buildTemplateProviderChildren(templateProvider, platform, "11".repeat(32));
  t.deepEqual(present(list), ["Deployment/tp-tp", "Secret/tp-authority-key", "Service/tp-tp"]);
  const dep = find(list, "Deployment", "tp-tp") as unknown as { spec: { replicas: number } };
  t.is(dep.spec.replicas, 2);
  t.is(podOf(find(list, "Deployment", "tp-tp")).volumes?.[0]?.secret?.secretName, "tp-authority-key");
});

test("the treasury reaches the node agent's payout port through the NetworkPolicy, external Deployment and managed sidecar alike", (t) => {
  type Policy = {
    spec: {
      ingress: Array<{
        from?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }>;
        ports?: Array<{ port: number }>;
      }>;
    };
  };
  const admitsTreasury = (p: Policy) =>
    p.spec.ingress.some(
      (rule) =>
        rule.ports?.some((port) => port.port === AGENT_PORT) &&
        rule.from?.some((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "treasury"),
    );
  const external = find(
    buildHyperNodeChildren(externalNode(), platform),
    "NetworkPolicy",
    "edge-1-node-agent",
  );
  const managed = find(
    buildHyperNodeChildren(managedNode(), platform, material),
    "NetworkPolicy",
    "edge-1-lnd",
  );
  t.true(admitsTreasury(external as unknown as Policy), "external agent");
  t.true(admitsTreasury(managed as unknown as Policy), "managed sidecar (in the lnd pod)");
});

test("the configured scrapers reach every workload's ops port through its NetworkPolicy, and nobody does by default", (t) => {
  type Policy = { spec: { ingress: Array<{ from?: unknown[]; ports?: Array<{ port: number }> }> } };
  const scraper = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
  const opsRules = (p: ManifestObject | null | undefined) =>
    (p as unknown as Policy).spec.ingress.filter((rule) =>
      rule.ports?.some((port) => port.port === OPS_PORT),
    );
  const withScrapers = { ...platform, monitoringFrom: [scraper] };
  const withTranslator = () =>
    externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } });
  const policies = [
    find(buildHyperNodeChildren(externalNode(), withScrapers), "NetworkPolicy", "edge-1-node-agent"),
    find(buildHyperNodeChildren(withTranslator(), withScrapers), "NetworkPolicy", "edge-1-translator"),
    find(buildHyperNodeChildren(managedNode(), withScrapers, material), "NetworkPolicy", "edge-1-lnd"),
  ];
  for (const p of policies)
    t.deepEqual(opsRules(p), [{ from: [scraper], ports: [{ port: OPS_PORT, protocol: "TCP" }] }]);
  const defaults = [
    find(buildHyperNodeChildren(externalNode(), platform), "NetworkPolicy", "edge-1-node-agent"),
    find(buildHyperNodeChildren(withTranslator(), platform), "NetworkPolicy", "edge-1-translator"),
    find(buildHyperNodeChildren(managedNode(), platform, material), "NetworkPolicy", "edge-1-lnd"),
  ];
  for (const p of defaults) t.deepEqual(opsRules(p), [], "no ops-port rule without configured scrapers");
});
