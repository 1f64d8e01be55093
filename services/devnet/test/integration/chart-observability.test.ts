/**
 * The chart's observability objects (issue hh-observability), from `helm template` alone (no
 * cluster; the monitoring.coreos.com/v1 kinds are the Prometheus Operator's CRDs): Grafana
 * dashboard ConfigMaps holding the generated JSON byte for byte, a PrometheusRule whose groups
 * are the generated rules file's, a ServiceMonitor per metrics Service of the chart (checked
 * against the Services rendered beside it), PodMonitors selecting the pods the operator's cdk8s
 * builders make, the requireMonitoringApi gate, and none of it with the default values.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { parse, parseAllDocuments } from "yaml";
import {
  buildHyperNodeChildren,
  buildTemplateProviderChildren,
  type ManifestObject,
} from "../../../../cdk8s/src/index.ts";
import {
  externalNode,
  managedNode,
  material,
  platform,
  templateProvider,
} from "../../../../cdk8s/test/fixtures.ts";
import { chartCopies, chartDir, chartDrift } from "../../../../charts/scripts/sync.ts";
import { SCRAPE_JOBS } from "../../../../observability/src/rules.ts";
import { binaryPath } from "../../src/index.ts";

const run = promisify(execFile);
const NS = "hyperhash";
const MONITORING_KINDS = ["ServiceMonitor", "PodMonitor", "PrometheusRule"];
const REGTEST = ["-f", join(chartDir, "values-regtest.yaml")];
/** The `job` each chart component's and operator workload container's targets must carry (the rules query it). */
const JOB_OF: Record<string, string> = {
  operator: SCRAPE_JOBS.operator,
  core: SCRAPE_JOBS.core,
  pool: SCRAPE_JOBS.pool,
  "template-provider": SCRAPE_JOBS.templateProvider,
  treasury: SCRAPE_JOBS.treasury,
  translator: SCRAPE_JOBS.translator,
  "node-agent": SCRAPE_JOBS.nodeAgent,
};
/** Every switch on, with the labels a kube-prometheus-stack install selects by. */
const ON = [
  "--set",
  "observability.dashboards.enabled=true",
  "--set",
  "observability.prometheusRule.enabled=true",
  "--set",
  "observability.serviceMonitors.enabled=true",
  "--set",
  "observability.podMonitors.enabled=true",
  "--set",
  "observability.labels.release=kube-prometheus-stack",
];

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface Endpoint {
  port: string;
  path?: string;
  interval?: string;
  scrapeTimeout?: string;
  relabelings?: Array<{
    sourceLabels?: string[];
    regex?: string;
    action?: string;
    targetLabel?: string;
    replacement?: string;
  }>;
}
interface NamespaceSelector {
  any?: boolean;
  matchNames?: string[];
}
interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  spec?: {
    groups?: unknown;
    /** A monitor's label selector, or a Service's plain selector map. */
    selector?: Selector;
    namespaceSelector?: NamespaceSelector;
    endpoints?: Endpoint[];
    podMetricsEndpoints?: Endpoint[];
    ports?: Array<{ name: string; port: number; targetPort: string | number }>;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Container[] } };
  };
}
interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
}

async function helm(args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "hh-chart-obs-"));
  try {
    const { stdout } = await run(binaryPath("helm"), args, {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config") },
    });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function render(args: string[] = []): Promise<Rendered[]> {
  const out = await helm(["template", "hh", chartDir, "-n", NS, "--kube-version", "1.34.4", ...args]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

/** Whether a Kubernetes label selector (matchLabels and matchExpressions) selects `labels`. */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  const plain = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return plain && expressions;
}

/** Whether a monitor's namespaceSelector covers `namespace` (the monitor itself lives in `own`). */
function coversNamespace(selector: NamespaceSelector | undefined, namespace: string, own: string): boolean {
  if (selector?.any) return true;
  if (selector?.matchNames?.length) return selector.matchNames.includes(namespace);
  return namespace === own;
}

/** Whether the endpoint's relabelings keep a target of this container (Prometheus' anchored regex). */
function keepsContainer(endpoint: Endpoint, container: string): boolean {
  return (endpoint.relabelings ?? [])
    .filter(
      (r) => r.action === "keep" && r.sourceLabels?.join(";") === "__meta_kubernetes_pod_container_name",
    )
    .every((r) => new RegExp(`^(?:${r.regex ?? "(.*)"})$`).test(container));
}

/** The `job` an endpoint's relabelings set (a replacement with no source labels), if any. */
function jobOf(endpoint: Endpoint): string | undefined {
  return (endpoint.relabelings ?? []).find(
    (r) => r.targetLabel === "job" && !r.sourceLabels?.length && (r.action ?? "replace") === "replace",
  )?.replacement;
}

const observabilityCopies = () =>
  chartCopies().filter((c) => /[/\\]files[/\\](dashboards|prometheus)[/\\]/.test(c.target));

test("the chart's dashboard and rules copies match observability/generated (charts/scripts/sync.ts)", (t) => {
  const copies = observabilityCopies();
  t.true(
    copies.some((c) => c.target.endsWith(".json")),
    "at least one dashboard is generated",
  );
  t.true(copies.some((c) => c.target.endsWith("hyperhash.rules.yaml")));
  t.deepEqual(
    chartDrift().filter((line) => /files[/\\](dashboards|prometheus)[/\\]/.test(line)),
    [],
    "run: npx tsx charts/scripts/sync.ts",
  );
});

test("dashboards: one ConfigMap per generated dashboard, with the sidecar label and the file's exact JSON", async (t) => {
  const rendered = await render([...REGTEST, ...ON]);
  const dashboards = rendered.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard);
  const sources = observabilityCopies().filter((c) => c.source.endsWith(".json"));
  t.is(dashboards.length, sources.length);
  for (const { source } of sources) {
    const file = basename(source);
    const matching = dashboards.filter((cm) => cm.data?.[file] !== undefined);
    t.is(matching.length, 1, `${file}: exactly one ConfigMap`);
    const cm = matching[0]!;
    t.deepEqual(Object.keys(cm.data ?? {}), [file], `${file}: the ConfigMap holds that dashboard only`);
    t.is(cm.data?.[file], readFileSync(source, "utf8"), `${file}: byte for byte`);
    t.is(cm.metadata.labels?.grafana_dashboard, "1");
    t.is(cm.metadata.namespace, NS);
    t.is(cm.metadata.annotations?.grafana_folder, undefined, "no folder unless asked");
    t.true(Buffer.byteLength(JSON.stringify(cm)) < 1024 * 1024, `${file}: under the ConfigMap limit`);
  }
  t.is(new Set(dashboards.map((cm) => cm.metadata.name)).size, dashboards.length, "distinct names");

  // Label key and value, target namespace and folder annotation are the sidecar's to choose.
  const custom = await render([
    ...ON,
    "--set",
    "observability.dashboards.label=hh_dashboard",
    "--set",
    "observability.dashboards.labelValue=yes",
    "--set",
    "observability.dashboards.namespace=monitoring",
    "--set",
    "observability.dashboards.folder=Hyper Hash",
    "--set",
    "observability.dashboards.folderAnnotation=grafana_dashboard_folder",
  ]);
  const moved = custom.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.hh_dashboard === "yes");
  t.is(moved.length, sources.length);
  for (const cm of moved) {
    t.is(cm.metadata.namespace, "monitoring");
    t.is(cm.metadata.annotations?.grafana_dashboard_folder, "Hyper Hash");
    t.is(cm.metadata.labels?.grafana_dashboard, undefined);
  }
});

test("PrometheusRule: spec.groups deep-equal the generated rules file's groups", async (t) => {
  const rendered = await render([...REGTEST, ...ON]);
  const rules = rendered.filter((o) => o.kind === "PrometheusRule");
  t.is(rules.length, 1);
  const rule = rules[0]!;
  t.is(rule.apiVersion, "monitoring.coreos.com/v1");
  t.is(rule.metadata.namespace, NS);
  t.is(rule.metadata.labels?.release, "kube-prometheus-stack", "observability.labels");
  const source = observabilityCopies().find((c) => c.source.endsWith("hyperhash.rules.yaml"))!.source;
  const groups = (parse(readFileSync(source, "utf8")) as { groups: unknown[] }).groups;
  t.true(Array.isArray(groups) && groups.length > 0);
  t.deepEqual(rule.spec?.groups, groups);
});

test("ServiceMonitors: one per metrics Service of the chart, on its metrics port, selecting exactly that Service", async (t) => {
  const rendered = await render([
    ...REGTEST,
    ...ON,
    "--set",
    "observability.interval=15s",
    "--set",
    "observability.scrapeTimeout=5s",
  ]);
  const services = rendered.filter((o) => o.kind === "Service");
  const monitors = rendered.filter((o) => o.kind === "ServiceMonitor");
  const workloads = rendered.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  // A metrics Service: the chart's scrape annotation, and a port named ops or metrics.
  const metricsServices = services.filter((s) => s.metadata.annotations?.["prometheus.io/scrape"] === "true");
  t.deepEqual(
    metricsServices.map((s) => s.metadata.name).sort(),
    services
      .filter((s) => s.spec?.ports?.some((p) => p.name === "ops" || p.name === "metrics"))
      .map((s) => s.metadata.name)
      .sort(),
  );
  t.deepEqual(metricsServices.map((s) => s.metadata.name).sort(), [
    "hh-hyperhash-core",
    "hh-hyperhash-operator-metrics",
    "hh-hyperhash-pool",
    "hh-hyperhash-template-provider",
    "hh-hyperhash-treasury",
  ]);
  t.is(monitors.length, metricsServices.length);
  const jobs = new Set<string>();
  const selected = (m: Rendered) =>
    services.filter(
      (s) =>
        coversNamespace(m.spec?.namespaceSelector, s.metadata.namespace ?? NS, m.metadata.namespace ?? NS) &&
        selects(m.spec!.selector!, s.metadata.labels ?? {}),
    );
  for (const service of metricsServices) {
    const name = service.metadata.name;
    const mine = monitors.filter((m) => selected(m).includes(service));
    t.is(mine.length, 1, `${name}: exactly one ServiceMonitor`);
    const monitor = mine[0]!;
    t.is(monitor.apiVersion, "monitoring.coreos.com/v1");
    t.deepEqual(
      selected(monitor).map((s) => s.metadata.name),
      [name],
      `${name}: the selector picks no other Service`,
    );
    t.is(monitor.metadata.labels?.release, "kube-prometheus-stack", `${name}: observability.labels`);
    t.is(monitor.spec?.endpoints?.length, 1);
    const endpoint = monitor.spec!.endpoints![0]!;
    const port = service.spec?.ports?.find((p) => p.name === endpoint.port);
    t.truthy(port, `${name}: the endpoint names a port of the Service`);
    t.true(["ops", "metrics"].includes(endpoint.port), `${name}: ${endpoint.port} is the metrics port`);
    t.is(
      String(port?.port),
      service.metadata.annotations?.["prometheus.io/port"] ?? "(no prometheus.io/port)",
      `${name}: prometheus.io/port`,
    );
    t.is(endpoint.path, "/metrics");
    t.is(endpoint.interval, "15s");
    t.is(endpoint.scrapeTimeout, "5s");
    const component = service.metadata.labels?.["app.kubernetes.io/component"] ?? "";
    t.is(jobOf(endpoint), JOB_OF[component], `${name}: job is the rules' name for ${component}`);
    jobs.add(jobOf(endpoint)!);
    // The Service's target port is a named container port of the pods it selects.
    const pods = workloads.filter((w) =>
      selects(
        { matchLabels: service.spec!.selector as Record<string, string> },
        w.spec?.template?.metadata?.labels ?? {},
      ),
    );
    t.is(pods.length, 1, `${name}: selects one workload`);
    t.true(
      (pods[0]!.spec?.template?.spec?.containers ?? []).some((c) =>
        (c.ports ?? []).some((p) => p.name === port?.targetPort),
      ),
      `${name}: target port ${String(port?.targetPort)} is a container port`,
    );
  }
  t.deepEqual(
    [...jobs].sort(),
    [
      SCRAPE_JOBS.core,
      SCRAPE_JOBS.pool,
      SCRAPE_JOBS.templateProvider,
      SCRAPE_JOBS.treasury,
      SCRAPE_JOBS.operator,
    ].sort(),
  );
  // Off components have no Service and no ServiceMonitor: the default profile runs the operator only.
  const operatorOnly = (await render(ON)).filter((o) => o.kind === "ServiceMonitor");
  t.deepEqual(
    operatorOnly.map((m) => m.metadata.name),
    ["hh-hyperhash-operator"],
  );
});

test("PodMonitors select the pods the operator creates (cdk8s builders) on their ops port, and none of the chart's", async (t) => {
  const rendered = await render([...REGTEST, ...ON]);
  const monitors = rendered.filter((o) => o.kind === "PodMonitor");
  t.deepEqual(monitors.map((m) => m.metadata.name).sort(), [
    "hh-hyperhash-hypernode-node-agents",
    "hh-hyperhash-hypernode-translators",
    "hh-hyperhash-templateproviders",
  ]);
  for (const m of monitors) {
    t.is(m.apiVersion, "monitoring.coreos.com/v1");
    t.is(m.metadata.namespace, NS);
    t.is(m.metadata.labels?.release, "kube-prometheus-stack");
    t.deepEqual(m.spec?.namespaceSelector, { any: true }, "HyperNodes live in any namespace");
  }
  const withTranslator = externalNode({ translator: { enabled: true, port: 3333, channelMode: "extended" } });
  const operatorWorkloads = [
    ...buildHyperNodeChildren(withTranslator, platform, undefined, "token"),
    ...buildHyperNodeChildren(managedNode(), platform, material, "token"),
    ...buildTemplateProviderChildren(templateProvider, platform, "11".repeat(32)),
  ]
    .map((c) => c.object)
    .filter((o): o is ManifestObject => o !== null && (o.kind === "Deployment" || o.kind === "StatefulSet"))
    .map((o) => ({ o, pod: (o as unknown as Rendered).spec!.template! }));
  // translator + node-agent Deployments (external), lnd StatefulSet (managed), hh-tp Deployment.
  t.is(operatorWorkloads.length, 4);
  const scraped: string[] = [];
  for (const { o, pod } of operatorWorkloads) {
    const labels = pod.metadata?.labels ?? {};
    for (const container of pod.spec?.containers ?? []) {
      const ops = (container.ports ?? []).find((p) => p.containerPort === 9464);
      const targets = monitors.flatMap((m) =>
        selects(m.spec!.selector!, labels) &&
        coversNamespace(m.spec?.namespaceSelector, o.metadata.namespace!, NS)
          ? (m.spec?.podMetricsEndpoints ?? [])
              .filter(
                (e) =>
                  (container.ports ?? []).some((p) => p.name === e.port) && keepsContainer(e, container.name),
              )
              .map((e) => ({ m, e }))
          : [],
      );
      const what = `${o.kind}/${o.metadata.name} container ${container.name}`;
      if (!ops) {
        t.is(targets.length, 0, `${what}: serves no metrics, scraped by nothing`);
        continue;
      }
      t.is(ops.name, "ops", `${what}: the metrics port is named`);
      t.is(targets.length, 1, `${what}: scraped by exactly one PodMonitor endpoint`);
      const { e } = targets[0]!;
      t.is(e.port, "ops");
      t.is(e.path, "/metrics");
      t.is(e.interval, "30s");
      t.is(e.scrapeTimeout, "10s");
      t.is(jobOf(e), JOB_OF[container.name], `${what}: job is the rules' name for ${container.name}`);
      scraped.push(container.name);
    }
  }
  t.deepEqual(scraped.sort(), ["node-agent", "node-agent", "template-provider", "translator"]);
  // With the ServiceMonitors, every scrape job the generated rules and dashboards query has targets.
  const everyJob = new Set(
    rendered
      .filter((o) => o.kind === "ServiceMonitor" || o.kind === "PodMonitor")
      .flatMap((m) => [...(m.spec?.endpoints ?? []), ...(m.spec?.podMetricsEndpoints ?? [])])
      .map((e) => jobOf(e)),
  );
  t.deepEqual([...everyJob].sort(), Object.values(SCRAPE_JOBS).sort());
  // The chart's own pods are the ServiceMonitors' (no double scrape).
  for (const w of rendered.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")) {
    const labels = w.spec?.template?.metadata?.labels ?? {};
    t.deepEqual(
      monitors.filter((m) => selects(m.spec!.selector!, labels)).map((m) => m.metadata.name),
      [],
      `${w.kind}/${w.metadata.name}`,
    );
  }
  // A single watched namespace narrows them; an explicit namespaceSelector wins.
  const watched = (await render([...ON, "--set", "operator.watchNamespace=miners"])).filter(
    (o) => o.kind === "PodMonitor",
  );
  for (const m of watched) t.deepEqual(m.spec?.namespaceSelector, { matchNames: ["miners"] });
  const explicit = (
    await render([
      ...ON,
      "--set",
      "operator.watchNamespace=miners",
      "--set",
      "observability.podMonitors.namespaceSelector.matchNames={a,b}",
    ])
  ).filter((o) => o.kind === "PodMonitor");
  for (const m of explicit) t.deepEqual(m.spec?.namespaceSelector, { matchNames: ["a", "b"] });
});

test("with the default values none of the observability objects render", async (t) => {
  for (const args of [[], REGTEST]) {
    const rendered = await render(args);
    t.deepEqual(
      rendered.filter((o) => MONITORING_KINDS.includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`),
      [],
    );
    t.deepEqual(
      rendered.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard !== undefined),
      [],
    );
    t.deepEqual(
      rendered.filter((o) => o.metadata.labels?.["app.kubernetes.io/component"] === "observability"),
      [],
    );
  }
});

test("requireMonitoringApi: fails without monitoring.coreos.com/v1, renders with it; helm lint passes with every switch on", async (t) => {
  const require = [...ON, "--set", "observability.requireMonitoringApi=true"];
  await t.throwsAsync(render(require), {
    message: /does not serve monitoring\.coreos\.com\/v1.*install the Prometheus Operator/s,
  });
  const rendered = await render([...require, "--api-versions", "monitoring.coreos.com/v1"]);
  t.true(rendered.some((o) => o.kind === "PrometheusRule"));
  // Dashboards alone are ConfigMaps: no monitoring API needed.
  const dashboardsOnly = await render([
    "--set",
    "observability.requireMonitoringApi=true",
    "--set",
    "observability.dashboards.enabled=true",
  ]);
  t.true(dashboardsOnly.some((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1"));
  await t.throwsAsync(render([...ON, "--set", "observability.interval=5 minutes"]), {
    message: /values don't meet the specifications/,
  });
  const lint = await helm(["lint", chartDir, "--strict", "--kube-version", "1.34.4", ...REGTEST, ...ON]);
  t.regex(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});
