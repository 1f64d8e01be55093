/**
 * promtool unit tests for every alert in rules.ts, as data. Each case states the input series,
 * the evaluation time and the alerts that must be firing then (none for a quiet case); the
 * expected annotations are rendered from the rule itself, the way Prometheus renders them, so a
 * template that does not render (a label the result does not carry) fails the test.
 *
 * Timing (promtool 2.42): series get one sample per `interval` (1m) from t=0; time() is the
 * evaluation time in seconds since 0; a rule with `for: D` fires at the first evaluation at
 * least D after the condition first held, so eval times are chosen a few minutes past that.
 */
import { stringify } from "yaml";
import { type AlertRule, alertRules, SCRAPE_JOBS } from "./rules.ts";

/** One promtool input series: a selector and promtool's expanding notation (`a+bxn`). */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** An alert that must be firing, with its result labels (severity comes from the rule). */
export interface FiringAlert {
  readonly labels: Readonly<Record<string, string>>;
  /** The expression's value at eval time, for `{{ printf ... $value }}`. */
  readonly value: number;
}

/** One test case of one alert. */
export interface RuleTestCase {
  readonly name: string;
  readonly alert: string;
  readonly evalTime: string;
  readonly series: readonly InputSeries[];
  /** Empty: the alert must not be firing at evalTime. */
  readonly firing: readonly FiringAlert[];
}

const tp = { job: SCRAPE_JOBS.templateProvider, instance: "hh-tp-0:9442" };
const pool = { job: SCRAPE_JOBS.pool, instance: "hh-pool-0:9090" };
const core = { job: SCRAPE_JOBS.core, instance: "core-0:9090" };
const treasury = { job: SCRAPE_JOBS.treasury, instance: "treasury-0:9090" };
const op = { job: SCRAPE_JOBS.operator, instance: "operator-0:9464" };

/** `name{a="x",...}` in promtool's series notation. */
function sel(name: string, labels: Readonly<Record<string, string>>): string {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return `${name}{${inner}}`;
}

const s = (name: string, labels: Readonly<Record<string, string>>, values: string): InputSeries => ({
  series: sel(name, labels),
  values,
});

const conditions = "hyperhash_operator_resource_conditions";
const hn = (type: string, status: string) => ({ ...op, kind: "HyperNode", type, status });
const accepted = "hyperhash_pool_shares_accepted_total";
const rejected = "hyperhash_pool_shares_rejected_total";

/** Every case; rule-tests and the integration test check each alert has both kinds. */
export function ruleTestCases(): RuleTestCase[] {
  return [
    {
      name: "template provider unreachable for 5m",
      alert: "TemplateProviderDown",
      evalTime: "6m",
      series: [s("up", tp, "0x10")],
      firing: [{ labels: tp, value: 0 }],
    },
    {
      // The pod is gone: no target, so no `up` series for the job at all.
      name: "template provider target gone",
      alert: "TemplateProviderDown",
      evalTime: "6m",
      series: [s("up", pool, "1x10")],
      firing: [{ labels: { job: SCRAPE_JOBS.templateProvider }, value: 1 }],
    },
    {
      name: "template provider up",
      alert: "TemplateProviderDown",
      evalTime: "6m",
      series: [s("up", tp, "1x10")],
      firing: [],
    },
    {
      // Tip served at t=600 s: older than 5400 s from 101m, firing 5m later.
      name: "tip not renewed for 110 minutes",
      alert: "TemplateProviderTipStale",
      evalTime: "120m",
      series: [s("hyperhash_tp_last_tip_timestamp_seconds", tp, "600x130")],
      firing: [{ labels: tp, value: 6600 }],
    },
    {
      name: "tip renewed every minute",
      alert: "TemplateProviderTipStale",
      evalTime: "120m",
      series: [s("hyperhash_tp_last_tip_timestamp_seconds", tp, "0+60x130")],
      firing: [],
    },
    {
      name: "pool unreachable",
      alert: "PoolDown",
      evalTime: "6m",
      series: [s("up", pool, "0x10")],
      firing: [{ labels: pool, value: 0 }],
    },
    { name: "pool up", alert: "PoolDown", evalTime: "6m", series: [s("up", pool, "1x10")], firing: [] },
    {
      name: "open channels, accepted counter flat",
      alert: "PoolNoAcceptedShares",
      evalTime: "20m",
      series: [
        s("hyperhash_pool_channels", { ...pool, channel_kind: "extended" }, "2x30"),
        s("hyperhash_pool_channels", { ...pool, channel_kind: "standard" }, "1x30"),
        s(accepted, { ...pool, channel_kind: "extended" }, "500x30"),
      ],
      firing: [{ labels: pool, value: 3 }],
    },
    {
      // prom-client exports a labelled counter only after its first increment.
      name: "open channels, no share ever accepted",
      alert: "PoolNoAcceptedShares",
      evalTime: "20m",
      series: [s("hyperhash_pool_channels", { ...pool, channel_kind: "extended" }, "1x30")],
      firing: [{ labels: pool, value: 1 }],
    },
    {
      name: "shares accepted at 6 a minute",
      alert: "PoolNoAcceptedShares",
      evalTime: "20m",
      series: [
        s("hyperhash_pool_channels", { ...pool, channel_kind: "extended" }, "1x30"),
        s(accepted, { ...pool, channel_kind: "extended" }, "0+6x30"),
      ],
      firing: [],
    },
    {
      name: "no channels open, nothing accepted",
      alert: "PoolNoAcceptedShares",
      evalTime: "20m",
      series: [s("hyperhash_pool_channels", { ...pool, channel_kind: "extended" }, "0x30")],
      firing: [],
    },
    {
      name: "a fifth of the shares rejected",
      alert: "PoolRejectRatioHigh",
      evalTime: "35m",
      series: [
        s(accepted, { ...pool, channel_kind: "extended" }, "0+8x40"),
        s(rejected, { ...pool, reason: "difficulty-too-low" }, "0+2x40"),
      ],
      firing: [{ labels: pool, value: 0.2 }],
    },
    {
      name: "every share rejected, accepted never exported",
      alert: "PoolRejectRatioHigh",
      evalTime: "35m",
      series: [s(rejected, { ...pool, reason: "stale-share" }, "0+5x40")],
      firing: [{ labels: pool, value: 1 }],
    },
    {
      name: "1% stale shares",
      alert: "PoolRejectRatioHigh",
      evalTime: "35m",
      series: [
        s(accepted, { ...pool, channel_kind: "extended" }, "0+100x40"),
        s(rejected, { ...pool, reason: "stale-share" }, "0+1x40"),
      ],
      firing: [],
    },
    {
      name: "core unreachable",
      alert: "HyperhashServiceDown",
      evalTime: "6m",
      series: [s("up", core, "0x10")],
      firing: [{ labels: core, value: 0 }],
    },
    {
      name: "core up; the pool's own alert covers the pool",
      alert: "HyperhashServiceDown",
      evalTime: "6m",
      series: [s("up", core, "1x10"), s("up", pool, "0x10")],
      firing: [],
    },
    {
      name: "a HyperNode Ready=False for over an hour",
      alert: "HyperNodeNotReady",
      evalTime: "65m",
      series: [s(conditions, hn("Ready", "False"), "1x70"), s(conditions, hn("Ready", "True"), "2x70")],
      firing: [{ labels: hn("Ready", "False"), value: 1 }],
    },
    {
      name: "a HyperNode onboarding for 30 minutes (pending, not firing)",
      alert: "HyperNodeNotReady",
      evalTime: "30m",
      series: [s(conditions, hn("Ready", "False"), "1x70")],
      firing: [],
    },
    {
      name: "every HyperNode Ready",
      alert: "HyperNodeNotReady",
      evalTime: "65m",
      series: [s(conditions, hn("Ready", "True"), "3x70")],
      firing: [],
    },
    {
      name: "treasury channel missing for over an hour",
      alert: "HyperNodeTreasuryChannelMissing",
      evalTime: "65m",
      series: [s(conditions, hn("TreasuryChannelOpen", "False"), "1x70")],
      firing: [{ labels: hn("TreasuryChannelOpen", "False"), value: 1 }],
    },
    {
      name: "every treasury channel open",
      alert: "HyperNodeTreasuryChannelMissing",
      evalTime: "65m",
      series: [s(conditions, hn("TreasuryChannelOpen", "True"), "2x70")],
      firing: [],
    },
    {
      // The age grows by 60 s a minute: nobody reports; above 600 s from 11m, firing at 16m.
      name: "telemetry ageing",
      alert: "NodeTelemetryStale",
      evalTime: "20m",
      series: [s("hyperhash_core_telemetry_oldest_age_seconds", core, "0+60x30")],
      firing: [{ labels: core, value: 1200 }],
    },
    {
      name: "telemetry fresh",
      alert: "NodeTelemetryStale",
      evalTime: "20m",
      series: [s("hyperhash_core_telemetry_oldest_age_seconds", core, "30x30")],
      firing: [],
    },
    {
      name: "a window Paying for over 2 hours",
      alert: "PayoutWindowStuckInPaying",
      evalTime: "20m",
      series: [
        s("hyperhash_core_window_phase_oldest_age_seconds", { ...core, phase: "Paying" }, "7000+60x30"),
      ],
      firing: [{ labels: { ...core, phase: "Paying" }, value: 8200 }],
    },
    {
      name: "no window Paying; a day in Maturing is normal",
      alert: "PayoutWindowStuckInPaying",
      evalTime: "20m",
      series: [
        s("hyperhash_core_window_phase_oldest_age_seconds", { ...core, phase: "Paying" }, "0x30"),
        s("hyperhash_core_window_phase_oldest_age_seconds", { ...core, phase: "Maturing" }, "90000x30"),
      ],
      firing: [],
    },
    {
      name: "a payment pending for over 30 minutes",
      alert: "CorePaymentPendingTooLong",
      evalTime: "10m",
      series: [s("hyperhash_core_payments_pending_oldest_age_seconds", core, "1700+60x20")],
      firing: [{ labels: core, value: 2300 }],
    },
    {
      name: "payments settle within minutes",
      alert: "CorePaymentPendingTooLong",
      evalTime: "10m",
      series: [s("hyperhash_core_payments_pending_oldest_age_seconds", core, "120x20")],
      firing: [],
    },
    {
      name: "two payments waiting for liquidity",
      alert: "TreasuryPaymentsWaitingForLiquidity",
      evalTime: "35m",
      series: [
        s("hyperhash_treasury_waiting_payments", { ...treasury, reason: "InsufficientLiquidity" }, "2x40"),
      ],
      firing: [{ labels: { ...treasury, reason: "InsufficientLiquidity" }, value: 2 }],
    },
    {
      name: "payments waiting for the on-chain minimum only",
      alert: "TreasuryPaymentsWaitingForLiquidity",
      evalTime: "35m",
      series: [
        s("hyperhash_treasury_waiting_payments", { ...treasury, reason: "BelowOnchainThreshold" }, "3x40"),
      ],
      firing: [],
    },
    {
      name: "hypernode controller failing every minute",
      alert: "OperatorReconcileErrors",
      evalTime: "15m",
      series: [s("controller_runtime_reconcile_errors_total", { ...op, controller: "hypernode" }, "0+2x30")],
      firing: [{ labels: { ...op, controller: "hypernode" }, value: 2 / 60 }],
    },
    {
      name: "errors long ago only",
      alert: "OperatorReconcileErrors",
      evalTime: "15m",
      series: [s("controller_runtime_reconcile_errors_total", { ...op, controller: "hypernode" }, "4x30")],
      firing: [],
    },
  ];
}

/**
 * One annotation as Prometheus renders it. Only the two forms rules.ts uses are understood;
 * anything else throws, so a new template form cannot slip into a rule untested.
 */
export function renderAnnotation(
  template: string,
  labels: Readonly<Record<string, string>>,
  value: number,
): string {
  return template.replace(/\{\{(.*?)\}\}/g, (_, inner: string) => {
    const label = /^ \$labels\.([a-zA-Z_]\w*) $/.exec(inner);
    if (label) {
      const v = labels[label[1]!];
      if (v === undefined)
        throw new Error(`template uses $labels.${label[1]}, which the result does not carry`);
      return v;
    }
    const fixed = /^ printf "%\.(\d)f" \$value $/.exec(inner);
    if (fixed) return value.toFixed(Number(fixed[1]));
    throw new Error(`unsupported template {{${inner}}}`);
  });
}

function expectedAlert(rule: AlertRule, f: FiringAlert) {
  const labels = { ...f.labels, severity: rule.labels.severity };
  const render = (t: string) => renderAnnotation(t, labels, f.value);
  return {
    exp_labels: labels,
    exp_annotations: {
      summary: render(rule.annotations.summary),
      description: render(rule.annotations.description),
      runbook: render(rule.annotations.runbook),
    },
  };
}

/** The promtool test file (`promtool test rules`), reading `rulesFileName` beside it. */
export function ruleTestsYaml(rulesFileName: string): string {
  const rules = new Map(alertRules().flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));
  const tests = ruleTestCases().map((c) => {
    const rule = rules.get(c.alert);
    if (!rule) throw new Error(`test "${c.name}" names unknown alert ${c.alert}`);
    return {
      name: `${c.alert}: ${c.name}`,
      interval: "1m",
      input_series: c.series.map((x) => ({ series: x.series, values: x.values })),
      alert_rule_test: [
        {
          eval_time: c.evalTime,
          alertname: c.alert,
          exp_alerts: c.firing.map((f) => expectedAlert(rule, f)),
        },
      ],
    };
  });
  const header =
    "# Generated by `npx tsx observability/src/generate.ts` from observability/src/rule-tests.ts; do not edit.\n" +
    "# Run: promtool test rules hyperhash.rules.test.yaml\n";
  return (
    header + stringify({ rule_files: [rulesFileName], evaluation_interval: "1m", tests }, { lineWidth: 0 })
  );
}
