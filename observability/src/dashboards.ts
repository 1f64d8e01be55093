/**
 * The Grafana dashboards as typed JSON (dashboard JSON model, schemaVersion 39).
 *
 * Why our own small types and not @grafana/grafana-foundation-sdk: the SDK is published only as
 * preview builds (11.6.0-cogv0.0.x.*), with no stable release to pin, and its builders would
 * still need the same PromQL and layout written here. The subset below is the part of the model
 * Grafana reads for these panels; everything else takes Grafana's defaults on import.
 *
 * Every expression uses only names from catalog.ts `metricNames()` plus `up`, `process_*` and
 * `nodejs_*` (the generated-files test checks it); counters are read with rates over
 * `$__rate_interval`. Panels of rare events (blocks, tips, payouts) set a minimum interval so
 * that `$__rate_interval` spans several of them instead of drawing empty points.
 */
import { SCRAPE_JOBS } from "./rules.ts";

/** The Prometheus data source, chosen by the `datasource` template variable. */
export interface DataSourceRef {
  readonly type: "prometheus";
  readonly uid: "${datasource}";
}

/** One PromQL query of a panel. */
export interface Target {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
}

/** Where a panel sits on the 24-column grid. */
export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Grafana unit ids used here (Grafana's valueFormats ids: Hs is hashes/sec). */
export type Unit = "short" | "none" | "s" | "bytes" | "percentunit" | "reqps" | "ops" | "Hs";

/** The field defaults the panels set. */
export interface FieldConfig {
  readonly defaults: {
    readonly unit: Unit;
    readonly min?: number;
    readonly decimals?: number;
    readonly custom?: { readonly stacking?: { readonly mode: "normal" | "none"; readonly group: "A" } };
  };
  readonly overrides: readonly never[];
}

/** A visualisation panel. */
export interface VizPanel {
  readonly id: number;
  readonly type: "timeseries" | "stat" | "bargauge" | "table";
  readonly title: string;
  readonly description: string;
  readonly gridPos: GridPos;
  readonly datasource: DataSourceRef;
  readonly targets: readonly Target[];
  readonly fieldConfig: FieldConfig;
  readonly options: Readonly<Record<string, unknown>>;
  /** Minimum query interval (raises `$__interval` and so `$__rate_interval`). */
  readonly interval?: string;
}

/** A row header. */
export interface RowPanel {
  readonly id: number;
  readonly type: "row";
  readonly title: string;
  readonly gridPos: GridPos;
  readonly collapsed: false;
  readonly panels: readonly never[];
}

export type Panel = VizPanel | RowPanel;

/** The `datasource` template variable. */
export interface DataSourceVariable {
  readonly name: "datasource";
  readonly label: string;
  readonly type: "datasource";
  readonly query: "prometheus";
  readonly current: Readonly<Record<string, never>>;
  readonly hide: 0;
  readonly refresh: 1;
  readonly regex: "";
  readonly options: readonly never[];
}

/** A dashboard as Grafana imports it. */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: 39;
  readonly version: 1;
  readonly editable: true;
  readonly graphTooltip: 1;
  readonly timezone: "browser";
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly annotations: { readonly list: readonly never[] };
  readonly links: readonly never[];
  readonly templating: { readonly list: readonly DataSourceVariable[] };
  readonly panels: readonly Panel[];
}

/** Grafana's reference to the `datasource` variable (Grafana syntax, not a JS template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax
export const DATASOURCE_UID = "${datasource}" as const;

const datasource: DataSourceRef = { type: "prometheus", uid: DATASOURCE_UID };

/** A panel before layout: its size, not yet its position or id. */
type PanelSpec =
  | { readonly kind: "row"; readonly title: string }
  | (Omit<VizPanel, "id" | "gridPos" | "datasource"> & {
      readonly kind: "viz";
      readonly w: number;
      readonly h: number;
    });

interface PanelOptions {
  readonly unit?: Unit;
  readonly description?: string;
  readonly w?: number;
  readonly h?: number;
  readonly stack?: boolean;
  readonly interval?: string;
  readonly min?: number;
}

/** `[expr, legend]` pairs to targets A, B, C… */
type Query = readonly [expr: string, legend: string];

function targets(queries: readonly Query[], instant: boolean): Target[] {
  return queries.map(([expr, legendFormat], i) => ({
    refId: String.fromCharCode(65 + i),
    datasource,
    expr,
    legendFormat,
    range: !instant,
    instant,
  }));
}

function fieldConfig(o: PanelOptions): FieldConfig {
  return {
    defaults: {
      unit: o.unit ?? "short",
      ...(o.min !== undefined ? { min: o.min } : {}),
      ...(o.stack ? { custom: { stacking: { mode: "normal", group: "A" } } } : {}),
    },
    overrides: [],
  };
}

const common = (title: string, o: PanelOptions) => ({
  kind: "viz" as const,
  title,
  description: o.description ?? "",
  fieldConfig: fieldConfig(o),
  ...(o.interval ? { interval: o.interval } : {}),
});

/** A time series panel (12 columns wide unless told). */
export function timeseries(title: string, queries: readonly Query[], o: PanelOptions = {}): PanelSpec {
  return {
    ...common(title, o),
    type: "timeseries",
    w: o.w ?? 12,
    h: o.h ?? 8,
    targets: targets(queries, false),
    options: {
      legend: { displayMode: "list", placement: "bottom", showLegend: true },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

/** A stat panel showing the last value (6 columns wide unless told). */
export function stat(title: string, queries: readonly Query[], o: PanelOptions = {}): PanelSpec {
  return {
    ...common(title, o),
    type: "stat",
    w: o.w ?? 6,
    h: o.h ?? 4,
    targets: targets(queries, false),
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "value",
      graphMode: "area",
      textMode: "auto",
    },
  };
}

/** A horizontal bar gauge of an instant query (one bar per series). */
export function bargauge(title: string, queries: readonly Query[], o: PanelOptions = {}): PanelSpec {
  return {
    ...common(title, o),
    type: "bargauge",
    w: o.w ?? 12,
    h: o.h ?? 8,
    targets: targets(queries, true),
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      orientation: "horizontal",
      displayMode: "basic",
      showUnfilled: true,
    },
  };
}

/** A row header spanning the grid. */
export function row(title: string): PanelSpec {
  return { kind: "row", title };
}

/** Places panels left to right, wrapping at 24 columns, and numbers them from 1. */
function layout(specs: readonly PanelSpec[]): Panel[] {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const newLine = () => {
    y += rowHeight;
    x = 0;
    rowHeight = 0;
  };
  for (const spec of specs) {
    const id = panels.length + 1;
    if (spec.kind === "row") {
      newLine();
      panels.push({
        id,
        type: "row",
        title: spec.title,
        gridPos: { x: 0, y, w: 24, h: 1 },
        collapsed: false,
        panels: [],
      });
      y += 1;
      continue;
    }
    if (x + spec.w > 24) newLine();
    const { kind: _, w, h, ...panel } = spec;
    panels.push({ id, ...panel, datasource, gridPos: { x, y, w, h } });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return panels;
}

/** A dashboard with the project's defaults (last 6 h, 30 s refresh, the datasource variable). */
export function dashboard(d: {
  uid: string;
  title: string;
  description: string;
  panels: readonly PanelSpec[];
}): Dashboard {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ["hyperhash"],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: "browser",
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          regex: "",
          options: [],
        },
      ],
    },
    panels: layout(d.panels),
  };
}

const rate = (metric: string, by: string) => `sum by (${by}) (rate(${metric}[$__rate_interval]))`;
const quantile = (q: number, bucket: string, by: string) =>
  `histogram_quantile(${q}, sum by (${[by, "le"].filter(Boolean).join(", ")}) (rate(${bucket}[$__rate_interval])))`;

function lightningYields(): Dashboard {
  const nodeBalance = "hyperhash_node_agent_lightning_balance_sats";
  return dashboard({
    uid: "hyperhash-lightning-yields",
    title: "Hyper Hash / Lightning yields",
    description: "Node and treasury Lightning balances, routing fees and channels (sats).",
    panels: [
      row("HyperNodes (node agents)"),
      stat("Node channel balance, local (sats)", [[`sum(${nodeBalance}{kind="channel_local"})`, "local"]]),
      stat("Node channel balance, remote (sats)", [[`sum(${nodeBalance}{kind="channel_remote"})`, "remote"]]),
      stat("Node on-chain balance (sats)", [[`sum(${nodeBalance}{kind="onchain"})`, "on-chain"]]),
      stat("Node routing fees, last 24 h (sats)", [
        ["sum(delta(hyperhash_node_agent_routing_fees_sats[24h]))", "fees"],
      ]),
      timeseries(
        "Node Lightning balance by kind (sats)",
        [[`sum by (instance, kind) (${nodeBalance})`, "{{instance}} {{kind}}"]],
        {
          description:
            "onchain: confirmed wallet; channel_local / channel_remote: sums over the node's channels.",
        },
      ),
      timeseries("Node routing fees earned (sats, lnd forwarding history)", [
        ["sum by (instance) (hyperhash_node_agent_routing_fees_sats)", "{{instance}}"],
      ]),
      timeseries(
        "Node channels by status",
        [["sum by (instance, status) (hyperhash_node_agent_channels)", "{{instance}} {{status}}"]],
        {
          stack: true,
        },
      ),
      timeseries(
        "Inbound on the treasury channel (sats)",
        [["hyperhash_node_agent_treasury_inbound_sats", "{{instance}}"]],
        {
          description:
            "Largest inbound capacity on one active treasury channel: the largest payout the node can receive.",
        },
      ),
      timeseries(
        "Payout invoice requests by outcome (per second)",
        [[rate("hyperhash_node_agent_invoices_total", "outcome"), "{{outcome}}"]],
        {
          unit: "ops",
          interval: "5m",
        },
      ),
      row("Treasury"),
      stat("Treasury largest outbound (sats)", [
        ["max(hyperhash_treasury_largest_outbound_sats)", "outbound"],
      ]),
      stat("Treasury routing fees, last 24 h (sats)", [
        ["sum(delta(hyperhash_treasury_routing_fees_sats[24h]))", "fees"],
      ]),
      stat("Treasury channels active", [['sum(hyperhash_treasury_channels{status="active"})', "active"]]),
      stat("Treasury channels inactive", [
        ['sum(hyperhash_treasury_channels{status="inactive"})', "inactive"],
      ]),
      timeseries("Treasury balance (sats)", [
        ["sum by (kind) (hyperhash_treasury_lightning_balance_sats)", "{{kind}}"],
        ["sum by (side) (hyperhash_treasury_channel_balance_sats)", "channels {{side}}"],
      ]),
      timeseries("Treasury routing fees earned (sats)", [
        ["sum(hyperhash_treasury_routing_fees_sats)", "routing fees"],
      ]),
    ],
  });
}

function nodeHealth(): Dashboard {
  const conditions = "hyperhash_operator_resource_conditions";
  return dashboard({
    uid: "hyperhash-node-health",
    title: "Hyper Hash / Node uptime and health",
    description: "Scrape targets, process health, node telemetry and HyperNode conditions.",
    panels: [
      row("Processes"),
      bargauge("Targets up by job", [["sum by (job) (up)", "{{job}}"]], {
        description: "Scrape targets answering, per job.",
      }),
      bargauge("Targets down by job", [["sum by (job) (1 - up)", "{{job}}"]]),
      timeseries("Scrape target up", [["min by (job, instance) (up)", "{{job}} {{instance}}"]], {
        unit: "none",
        min: 0,
      }),
      timeseries("Uptime", [["time() - process_start_time_seconds", "{{job}} {{instance}}"]], { unit: "s" }),
      timeseries("Resident memory", [["process_resident_memory_bytes", "{{job}} {{instance}}"]], {
        unit: "bytes",
      }),
      timeseries(
        "CPU (1 = one core)",
        [["rate(process_cpu_seconds_total[$__rate_interval])", "{{job}} {{instance}}"]],
        {
          unit: "percentunit",
        },
      ),
      timeseries(
        "Event loop lag",
        [
          ["nodejs_eventloop_lag_seconds", "{{job}} {{instance}}"],
          ["nodejs_eventloop_lag_p99_seconds", "p99 {{job}} {{instance}}"],
        ],
        { unit: "s", w: 24 },
      ),
      row("Telemetry"),
      stat("Registered HyperNodes", [["max(hyperhash_core_nodes_count)", "nodes"]]),
      stat("Oldest telemetry report", [["max(hyperhash_core_telemetry_oldest_age_seconds)", "age"]], {
        unit: "s",
      }),
      stat("Template provider tip height", [["max(hyperhash_tp_tip_height)", "height"]], { unit: "none" }),
      stat("Template provider tip age", [["min(time() - hyperhash_tp_last_tip_timestamp_seconds)", "age"]], {
        unit: "s",
      }),
      timeseries(
        "Node agent telemetry reports by result (per second)",
        [
          [
            rate("hyperhash_node_agent_telemetry_reports_total", "instance, result"),
            "{{instance}} {{result}}",
          ],
        ],
        { unit: "ops" },
      ),
      timeseries(
        "Core: oldest latest-telemetry age",
        [["max(hyperhash_core_telemetry_oldest_age_seconds)", "oldest"]],
        {
          unit: "s",
          description: "Alert NodeTelemetryStale fires above 600 s.",
        },
      ),
      timeseries(
        "Template provider tip age",
        [["time() - hyperhash_tp_last_tip_timestamp_seconds", "tip age {{instance}}"]],
        { unit: "s" },
      ),
      timeseries(
        "Bitcoin node RPC errors by call (per second)",
        [[rate("hyperhash_tp_node_rpc_errors_total", "instance, call"), "{{instance}} {{call}}"]],
        { unit: "ops" },
      ),
      row("HyperNode conditions"),
      bargauge(
        "HyperNode conditions",
        [[`sum by (type, status) (${conditions}{kind="HyperNode"})`, "{{type}}={{status}}"]],
        {
          description: "HyperNodes per condition type and status (the operator's informer cache).",
        },
      ),
      timeseries(
        "HyperNode conditions not True",
        [[`sum by (type, status) (${conditions}{kind="HyperNode",status!="True"})`, "{{type}}={{status}}"]],
        {
          stack: true,
        },
      ),
    ],
  });
}

function miningPerformance(): Dashboard {
  const acc = "hyperhash_pool_shares_accepted_total";
  const rej = "hyperhash_pool_shares_rejected_total";
  const all = `(sum(rate(${acc}[$__rate_interval])) + sum(rate(${rej}[$__rate_interval])))`;
  // stale-share: a job of a previous tip; invalid-job-id: a job the pool no longer knows (pruned after a tip).
  const stale = `sum(rate(${rej}{reason=~"stale-share|invalid-job-id"}[$__rate_interval]))`;
  return dashboard({
    uid: "hyperhash-mining",
    title: "Hyper Hash / Mining performance",
    description: "Pool hash rate, shares, blocks, vardiff, translators and template latency.",
    panels: [
      row("Pool"),
      stat("Pool hash rate", [["sum(hyperhash_pool_hashrate_hashes_per_second)", "pool"]], { unit: "Hs" }),
      stat("Blocks found, last 24 h", [["sum(increase(hyperhash_pool_blocks_found_total[24h]))", "blocks"]], {
        unit: "none",
      }),
      stat("Best share difficulty", [["max(hyperhash_pool_best_share_difficulty)", "best"]]),
      stat("Stale share ratio", [[`${stale} / ${all}`, "stale"]], { unit: "percentunit" }),
      timeseries(
        "Hash rate",
        [
          ["sum(hyperhash_pool_hashrate_hashes_per_second)", "pool"],
          ["sum by (instance) (hyperhash_translator_hashrate_hashes_per_second)", "translator {{instance}}"],
        ],
        { unit: "Hs" },
      ),
      timeseries("Connections and channels", [
        ["sum(hyperhash_pool_connections)", "connections"],
        ["sum by (channel_kind) (hyperhash_pool_channels)", "channels {{channel_kind}}"],
      ]),
      timeseries(
        "Shares accepted by channel kind (per second)",
        [[rate(acc, "channel_kind"), "{{channel_kind}}"]],
        { stack: true },
      ),
      timeseries("Shares rejected by reason (per second)", [[rate(rej, "reason"), "{{reason}}"]], {
        stack: true,
      }),
      timeseries(
        "Reject and stale ratios",
        [
          [`sum(rate(${rej}[$__rate_interval])) / ${all}`, "rejected (all reasons)"],
          [`${stale} / ${all}`, "stale"],
        ],
        { unit: "percentunit", description: "Alert PoolRejectRatioHigh fires above 10 % over 15 m." },
      ),
      timeseries(
        "Blocks found and solutions",
        [
          ["sum(increase(hyperhash_pool_blocks_found_total[$__rate_interval]))", "pool blocks found"],
          ["sum(increase(hyperhash_tp_solutions_accepted_total[$__rate_interval]))", "accepted by the node"],
          [
            "sum by (reason) (increase(hyperhash_tp_solutions_rejected_total[$__rate_interval]))",
            "rejected {{reason}}",
          ],
        ],
        { unit: "none", interval: "10m" },
      ),
      timeseries("Vardiff changes by direction (per second)", [
        [rate("hyperhash_pool_vardiff_changes_total", "direction"), "pool {{direction}}"],
        [rate("hyperhash_translator_vardiff_changes_total", "direction"), "translator {{direction}}"],
      ]),
      timeseries("Connections refused and node checks (per second)", [
        [rate("hyperhash_pool_connections_refused_total", "reason"), "refused {{reason}}"],
        [rate("hyperhash_pool_node_verifications_total", "result"), "node check {{result}}"],
      ]),
      timeseries(
        "Share-log commit latency",
        [
          [quantile(0.5, "hyperhash_pool_share_commit_seconds_bucket", ""), "p50"],
          [quantile(0.99, "hyperhash_pool_share_commit_seconds_bucket", ""), "p99"],
        ],
        { unit: "s" },
      ),
      row("Translators"),
      timeseries("Translator miners and upstream", [
        ["sum by (instance) (hyperhash_translator_miners_connected)", "miners {{instance}}"],
        ["sum by (instance) (hyperhash_translator_upstream_connected)", "upstream up {{instance}}"],
      ]),
      timeseries("Translator shares (per second)", [
        ["sum(rate(hyperhash_translator_shares_accepted_total[$__rate_interval]))", "accepted"],
        ["sum(rate(hyperhash_translator_shares_forwarded_total[$__rate_interval]))", "forwarded"],
        [rate("hyperhash_translator_shares_rejected_total", "reason"), "rejected {{reason}}"],
      ]),
      timeseries("Translator protocol errors and reconnects (per second)", [
        [rate("hyperhash_translator_protocol_errors_total", "kind"), "error {{kind}}"],
        ["sum(rate(hyperhash_translator_upstream_connects_total[$__rate_interval]))", "upstream connects"],
      ]),
      stat(
        "Translator best share difficulty",
        [["max(hyperhash_translator_best_share_difficulty)", "best"]],
        { w: 12 },
      ),
      row("Templates"),
      timeseries(
        "Tip to template latency",
        [
          [quantile(0.5, "hyperhash_tp_tip_to_template_seconds_bucket", ""), "p50"],
          [quantile(0.99, "hyperhash_tp_tip_to_template_seconds_bucket", ""), "p99"],
        ],
        {
          unit: "s",
          interval: "30m",
          description: "New tip seen → NewTemplate + SetNewPrevHash written to every client.",
        },
      ),
      timeseries("Template fees (sats) and transactions", [
        ["max by (instance) (hyperhash_tp_template_fees_sats)", "fees {{instance}}"],
        ["max by (instance) (hyperhash_tp_template_transactions)", "transactions {{instance}}"],
      ]),
      timeseries(
        "Templates sent by kind and received by the pool (per second)",
        [
          [rate("hyperhash_tp_templates_sent_total", "kind"), "sent {{kind}}"],
          ["sum(rate(hyperhash_pool_templates_total[$__rate_interval]))", "pool received"],
        ],
        { interval: "5m" },
      ),
      timeseries("Template Distribution clients", [
        ["sum by (instance) (hyperhash_tp_connected_clients)", "{{instance}}"],
      ]),
    ],
  });
}

function treasuryPayouts(): Dashboard {
  return dashboard({
    uid: "hyperhash-treasury-payouts",
    title: "Hyper Hash / Treasury and payouts",
    description: "Payouts by method, fees, pending invoices and payments, Core's ledger and payout windows.",
    panels: [
      row("Payouts"),
      stat("Sats paid, last 24 h", [["sum(increase(hyperhash_treasury_payouts_sats_total[24h]))", "paid"]]),
      stat("Payout fees, last 24 h (sats)", [
        ["sum(increase(hyperhash_treasury_payout_fees_sats_total[24h]))", "fees"],
      ]),
      stat("Pending node invoices", [["sum(hyperhash_treasury_pending_invoices)", "invoices"]], {
        unit: "none",
      }),
      stat("Oldest pending payment", [["max(hyperhash_core_payments_pending_oldest_age_seconds)", "age"]], {
        unit: "s",
      }),
      timeseries(
        "Payout attempts by method and result (per second)",
        [[rate("hyperhash_treasury_payouts_total", "method, result"), "{{method}} {{result}}"]],
        { unit: "ops", interval: "5m" },
      ),
      timeseries(
        "Sats paid by method (per second)",
        [[rate("hyperhash_treasury_payouts_sats_total", "method"), "{{method}}"]],
        {
          interval: "5m",
          stack: true,
        },
      ),
      timeseries(
        "Payout routing fees paid (sats per second)",
        [["sum(rate(hyperhash_treasury_payout_fees_sats_total[$__rate_interval]))", "fees"]],
        {
          interval: "5m",
        },
      ),
      timeseries("Open and waiting payments", [
        ["sum by (state) (hyperhash_treasury_open_payments)", "open {{state}}"],
        ["sum by (reason) (hyperhash_treasury_waiting_payments)", "waiting {{reason}}"],
        ["sum(hyperhash_treasury_pending_invoices)", "pending invoices"],
      ]),
      row("Core ledger and windows"),
      timeseries(
        "Ledger (sats) by state and kind",
        [["sum by (state, kind) (hyperhash_core_ledger_sats)", "{{kind}} {{state}}"]],
        {
          w: 24,
        },
      ),
      timeseries("Windows by phase", [["sum by (phase) (hyperhash_core_windows_count)", "{{phase}}"]], {
        stack: true,
      }),
      timeseries(
        "Oldest window age by phase",
        [["max by (phase) (hyperhash_core_window_phase_oldest_age_seconds)", "{{phase}}"]],
        {
          unit: "s",
          description: "Alert PayoutWindowStuckInPaying fires when Paying exceeds 2 h.",
        },
      ),
      timeseries("Pending payments (Core)", [["max(hyperhash_core_payments_pending_count)", "pending"]], {
        unit: "none",
      }),
      timeseries(
        "Oldest pending payment age",
        [["max(hyperhash_core_payments_pending_oldest_age_seconds)", "oldest"]],
        {
          unit: "s",
          description: "Alert CorePaymentPendingTooLong fires above 30 min.",
        },
      ),
      timeseries(
        "Window transitions by phase (per second)",
        [[rate("hyperhash_core_window_transitions_total", "phase"), "{{phase}}"]],
        {
          interval: "10m",
        },
      ),
      timeseries(
        "Core outbox events and API calls (per second)",
        [
          [rate("hyperhash_core_outbox_events_total", "result"), "outbox {{result}}"],
          [rate("hyperhash_core_api_requests_total", "status"), "api {{status}}"],
        ],
        { unit: "reqps" },
      ),
    ],
  });
}

function operatorHealth(): Dashboard {
  const job = `job="${SCRAPE_JOBS.operator}"`;
  return dashboard({
    uid: "hyperhash-operator",
    title: "Hyper Hash / Operator health",
    description: "controller-runtime reconciles, work queues, Kubernetes API use and reconciled resources.",
    panels: [
      stat("Operator up", [[`min(up{${job}})`, "up"]], { unit: "none" }),
      stat(
        "Reconcile errors, last 1 h",
        [["sum(increase(controller_runtime_reconcile_errors_total[1h]))", "errors"]],
        {
          unit: "none",
        },
      ),
      stat("Work queue depth", [["sum(workqueue_depth)", "depth"]], { unit: "none" }),
      stat(
        "Kubernetes API requests",
        [["sum(rate(hyperhash_operator_api_requests_total[$__rate_interval]))", "req/s"]],
        {
          unit: "reqps",
        },
      ),
      timeseries(
        "Reconciles by controller and result (per second)",
        [[rate("controller_runtime_reconcile_total", "controller, result"), "{{controller}} {{result}}"]],
        { unit: "ops" },
      ),
      timeseries(
        "Reconcile errors by controller (per second)",
        [[rate("controller_runtime_reconcile_errors_total", "controller"), "{{controller}}"]],
        {
          unit: "ops",
          description: "Alert OperatorReconcileErrors fires when a controller errs for 10 m without pause.",
        },
      ),
      timeseries(
        "Reconcile time p99 / p50",
        [
          [
            quantile(0.99, "controller_runtime_reconcile_time_seconds_bucket", "controller"),
            "p99 {{controller}}",
          ],
          [
            quantile(0.5, "controller_runtime_reconcile_time_seconds_bucket", "controller"),
            "p50 {{controller}}",
          ],
        ],
        { unit: "s" },
      ),
      timeseries("Work queue depth", [["sum by (controller) (workqueue_depth)", "{{controller}}"]], {
        unit: "none",
      }),
      timeseries(
        "Work queue adds and retries (per second)",
        [
          [rate("workqueue_adds_total", "controller"), "adds {{controller}}"],
          [rate("workqueue_retries_total", "controller"), "retries {{controller}}"],
        ],
        { unit: "ops" },
      ),
      timeseries(
        "Work queue wait and work time p99",
        [
          [quantile(0.99, "workqueue_queue_duration_seconds_bucket", "controller"), "wait {{controller}}"],
          [quantile(0.99, "workqueue_work_duration_seconds_bucket", "controller"), "work {{controller}}"],
        ],
        { unit: "s" },
      ),
      timeseries(
        "Kubernetes API requests (per second)",
        [
          [
            "sum by (instance) (rate(hyperhash_operator_api_requests_total[$__rate_interval]))",
            "{{instance}}",
          ],
        ],
        { unit: "reqps" },
      ),
      timeseries("Resources by kind", [["sum by (kind) (hyperhash_operator_resources)", "{{kind}}"]], {
        unit: "none",
      }),
      bargauge(
        "Conditions by kind, type and status",
        [
          [
            "sum by (kind, type, status) (hyperhash_operator_resource_conditions)",
            "{{kind}} {{type}}={{status}}",
          ],
        ],
        { w: 24, h: 10 },
      ),
    ],
  });
}

/** The five dashboards, in menu order. */
export function dashboards(): Dashboard[] {
  return [lightningYields(), nodeHealth(), miningPerformance(), treasuryPayouts(), operatorHealth()];
}

/** Every target expression of every dashboard (`$__rate_interval` left in). */
export function dashboardQueries(): { dashboard: string; panel: string; expr: string }[] {
  return dashboards().flatMap((d) =>
    d.panels.flatMap((p) =>
      p.type === "row" ? [] : p.targets.map((t) => ({ dashboard: d.uid, panel: p.title, expr: t.expr })),
    ),
  );
}
