/**
 * The platform's Prometheus alerts as data: one definition gives the plain rules file
 * (`generated/prometheus/hyperhash.rules.yaml`, which the chart copies into its PrometheusRule)
 * and the promtool unit tests (rule-tests.ts) render their expected annotations from it.
 *
 * Annotations use only `{{ $labels.<name> }}` and `{{ printf "%.<n>f" $value }}`, so the tests
 * can render them exactly as Prometheus does (rule-tests.ts `renderAnnotation`).
 */
import { stringify } from "yaml";

/** Scrape job names (the `job` label), one per service. */
export const SCRAPE_JOBS = {
  pool: "hh-pool",
  templateProvider: "hh-tp",
  translator: "hh-translator",
  core: "hyperhash-core",
  treasury: "hh-treasury",
  nodeAgent: "hh-node-agent",
  operator: "operator",
} as const;

/** critical: miners lose work now (page); warning: money or a node needs attention today. */
export type Severity = "critical" | "warning";

/** One alerting rule, as Prometheus reads it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/**
 * Thresholds, in seconds unless named otherwise. Each says why it is where it is; the README's
 * alert table is written from these.
 */
export const THRESHOLDS = {
  /**
   * Mainnet blocks are a Poisson process (mean 10 min): P(gap > t) = e^(-t/10min). At 60 min that
   * is e^-6 = 0.25 % of the 144 gaps a day, a false alert every ~3 days; at 90 min e^-9 × 144 is
   * one every ~2 months, while a node stuck on an old tip (lost peers, stalled validation) is
   * still caught within 1.5 h. Regtest/devnet stacks mine on demand: do not load these rules there.
   */
  tipStaleSeconds: 90 * 60,
  /** Node agents report every 30 s (HH_AGENT_TELEMETRY_INTERVAL_MS): 10 min is 20 missed reports. */
  telemetryStaleSeconds: 10 * 60,
  /** Lightning payouts settle in seconds and failed attempts retry each treasury round. */
  payingStuckSeconds: 2 * 60 * 60,
  /** lnd gives up a payment after 60 s; 30 min pending means an HTLC stuck in flight or a lost result. */
  paymentPendingSeconds: 30 * 60,
  /** Normal stale rate is ~1 share per channel per tip change (~1 %); 10 % sustained is a fault. */
  rejectRatio: 0.1,
  /** Vardiff aims at 6 shares a minute per channel (HH_POOL_SHARES_PER_MINUTE): 10 min of none is ~60 missing. */
  noSharesWindow: "10m",
} as const;

const j = SCRAPE_JOBS;
/** Every job but the pool and the template provider, which have alerts of their own (critical). */
const otherJobs = [j.translator, j.core, j.treasury, j.nodeAgent, j.operator];

const rejectedRate = "sum by (job, instance) (rate(hyperhash_pool_shares_rejected_total[15m]))";
const acceptedRate = "sum by (job, instance) (rate(hyperhash_pool_shares_accepted_total[15m]))";

const mining: readonly AlertRule[] = [
  {
    alert: "TemplateProviderDown",
    // `absent`: in a cluster a deleted or unschedulable pod is no target at all, so there is no
    // `up == 0` to see. Two minutes: a restart takes seconds, and without templates every
    // miner works on an old block after the next tip.
    expr: `up{job="${j.templateProvider}"} == 0 or absent(up{job="${j.templateProvider}"})`,
    for: "2m",
    labels: { severity: "critical" },
    annotations: {
      summary: "Template provider ({{ $labels.job }}) is down",
      description:
        "Prometheus has had no answer from a {{ $labels.job }} target, or has no such target at all, for 2 minutes; the pool gets no new templates.",
      runbook:
        "Find the pod: `kubectl get pods -A -o wide | grep <instance ip>` (chart hh-tp, or a TemplateProvider's pod: `kubectl get templateproviders -A`); " +
        "`kubectl describe pod <pod>` shows crash loops, OOM kills or a failed probe, and `kubectl logs <pod> --previous` the last error " +
        "(bitcoind RPC refused or wrong credentials are the usual ones). Check bitcoind answers: `kubectl exec <bitcoind pod> -- bitcoin-cli getblockchaininfo`. " +
        "Fix the RPC Secret or bitcoind, then `kubectl rollout restart` the template provider; `curl http://<pod ip>:9442/readyz` must return 200.",
    },
  },
  {
    alert: "TemplateProviderTipStale",
    expr: `time() - hyperhash_tp_last_tip_timestamp_seconds > ${THRESHOLDS.tipStaleSeconds}`,
    for: "5m",
    labels: { severity: "critical" },
    annotations: {
      summary: "Template provider {{ $labels.instance }} has served no new tip for over 90 minutes",
      description:
        'The tip {{ $labels.instance }} serves is {{ printf "%.0f" $value }} s old; miners may be working on a stale block.',
      runbook:
        "Compare the tip height (`hyperhash_tp_tip_height`) with a public explorer. If the network did find blocks, the node is behind: " +
        "`kubectl exec <bitcoind pod> -- bitcoin-cli getblockchaininfo` (blocks vs headers, initialblockdownload) and `getpeerinfo` (no peers = network policy or DNS); " +
        "`kubectl logs <hh-tp pod>` shows whether ZMQ/poll notifications arrive. Restore peers or disk, then restart hh-tp if it still shows the old tip. " +
        "If the network really found no block for 90 minutes (rare, see THRESHOLDS.tipStaleSeconds), resolve the alert once the next block arrives.",
    },
  },
  {
    alert: "PoolDown",
    expr: `up{job="${j.pool}"} == 0`,
    for: "5m",
    labels: { severity: "critical" },
    annotations: {
      summary: "Pool {{ $labels.instance }} is down",
      description:
        "Prometheus cannot scrape hh-pool at {{ $labels.instance }} for 5 minutes; miners cannot submit shares.",
      runbook:
        "Run `kubectl get pods -A -l app.kubernetes.io/component=pool` and `kubectl describe pod <pod>` (restarts, OOM, probe failures), then " +
        "`kubectl logs <pod> --previous`. A pool without a template and a tip stays unready: `curl http://<pod ip>:9090/readyz` (HH_POOL_OPS_PORT) " +
        "and the TemplateProviderDown alert. A full share-log volume stops commits: `kubectl exec <pod> -- df -h`. Fix the cause and let the Deployment restart it.",
    },
  },
  {
    alert: "PoolNoAcceptedShares",
    expr:
      `sum by (job, instance) (hyperhash_pool_channels) > 0 unless on (job, instance) ` +
      `sum by (job, instance) (rate(hyperhash_pool_shares_accepted_total[${THRESHOLDS.noSharesWindow}])) > 0`,
    for: "5m",
    labels: { severity: "critical" },
    annotations: {
      summary: "Pool {{ $labels.instance }} accepts no shares while miners are connected",
      description:
        '{{ $labels.instance }} has {{ printf "%.0f" $value }} open channels and accepted no share for 15 minutes.',
      runbook:
        "Open the Mining performance dashboard: if rejected shares rose at the same time, the reason label says why (stale-share or invalid-job-id: templates stopped, see the template provider alerts; " +
        "difficulty-too-low or bad-coinbase: a miner or translator bug). If nothing is submitted at all, check `hyperhash_pool_templates_total` still grows and " +
        "`kubectl logs <pool pod>` for share-log commit errors (`log-failed` rejects, full disk). Check a translator: `kubectl logs -l app.kubernetes.io/name=translator` for upstream errors. " +
        "Restart the pool only after the cause is fixed; miners reconnect on their own.",
    },
  },
  {
    alert: "PoolRejectRatioHigh",
    expr: `${rejectedRate} / (${rejectedRate} + (${acceptedRate} or ${rejectedRate} * 0)) > ${THRESHOLDS.rejectRatio}`,
    for: "15m",
    labels: { severity: "warning" },
    annotations: {
      summary: "Pool {{ $labels.instance }} rejects more than 10% of shares",
      description:
        'Over the last 15 minutes {{ printf "%.2f" $value }} of the shares at {{ $labels.instance }} were rejected.',
      runbook:
        "Find the reason: `sum by (reason) (rate(hyperhash_pool_shares_rejected_total[15m]))` in Prometheus or the Mining performance dashboard. " +
        "stale-share/invalid-job-id: templates arrive late (tip-to-template latency panel, hh-tp logs) or a miner is slow to switch jobs. " +
        "difficulty-too-low/duplicate-share/ntime-out-of-range: one miner or translator misbehaves; find it in `kubectl logs <pool pod> | grep rejected` and contact its owner or " +
        "refuse it. version-rolling-not-allowed/invalid-non-rollable-version-bit: firmware version-rolling mask. bad-coinbase: translator/pool extranonce mismatch, upgrade both together.",
    },
  },
];

const nodes: readonly AlertRule[] = [
  {
    alert: "HyperhashServiceDown",
    expr: `up{job=~"${otherJobs.join("|")}"} == 0`,
    for: "5m",
    labels: { severity: "warning" },
    annotations: {
      summary: "{{ $labels.job }} at {{ $labels.instance }} is down",
      description: "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }} for 5 minutes.",
      runbook:
        "Find the pod from the instance address: `kubectl get pods -A -o wide | grep <pod ip>`, then `kubectl describe pod <pod>` and `kubectl logs <pod> --previous`. " +
        "For hyperhash-core and hh-treasury check their database volume (`kubectl exec <pod> -- df -h`) and the Secrets they read; for hh-node-agent and hh-translator the " +
        "HyperNode's status (`kubectl get hypernode <name> -o yaml`) names the failing condition. A NetworkPolicy that no longer admits Prometheus also shows as down: " +
        "`kubectl get networkpolicy -A` and `curl http://<pod ip>:<ops port>/metrics` from the Prometheus pod.",
    },
  },
  {
    alert: "HyperNodeNotReady",
    expr: 'hyperhash_operator_resource_conditions{kind="HyperNode",type="Ready",status!="True"} > 0',
    for: "1h",
    labels: { severity: "warning" },
    annotations: {
      summary: "HyperNode(s) not Ready for an hour",
      description:
        '{{ printf "%.0f" $value }} HyperNode(s) have Ready={{ $labels.status }} for an hour (onboarding takes less: the treasury channel needs ~3 confirmations).',
      runbook:
        "List them: `kubectl get hypernodes -A` (the Ready column) and `kubectl get hypernode <name> -o jsonpath='{.status.conditions}'`. Ready depends on, in this order, " +
        "Registered, the workloads, LightningWalletReady, TreasuryChannelOpen and TelemetryReporting: fix the first one that is not True, using its reason and message. " +
        "Registered=False: Core refused or is unreachable (`kubectl logs deploy/<release>-operator`); LightningWalletReady=False: the node's lnd is locked or unreachable " +
        "(`kubectl logs <node-agent pod>`); TelemetryReporting=False: see NodeTelemetryStale. `kubectl get events --field-selector involvedObject.kind=HyperNode` shows the operator's view.",
    },
  },
  {
    alert: "HyperNodeTreasuryChannelMissing",
    expr: 'hyperhash_operator_resource_conditions{kind="HyperNode",type="TreasuryChannelOpen",status="False"} > 0',
    for: "1h",
    labels: { severity: "warning" },
    annotations: {
      summary: "HyperNode(s) without an open treasury channel for an hour",
      description:
        '{{ printf "%.0f" $value }} HyperNode(s) have TreasuryChannelOpen=False: their payouts cannot be paid over Lightning.',
      runbook:
        '`kubectl get hypernodes -A -o custom-columns=NAME:.metadata.name,CHANNEL:.status.conditions[?(@.type=="TreasuryChannelOpen")].message` names the node and why. ' +
        "`kubectl get lightningchannels -A` shows the channel the operator asked for: Pending means the funding transaction waits for confirmations " +
        "(check it with `lncli pendingchannels` in the treasury lnd); no channel with autoMaintain on means the treasury wallet cannot fund it — check " +
        '`hyperhash_treasury_lightning_balance_sats{kind="onchain"}` and fund the treasury wallet; a closed channel is reopened by the operator on the next reconcile.',
    },
  },
  {
    alert: "NodeTelemetryStale",
    expr: `hyperhash_core_telemetry_oldest_age_seconds > ${THRESHOLDS.telemetryStaleSeconds}`,
    for: "5m",
    labels: { severity: "warning" },
    annotations: {
      summary: "A HyperNode has not reported telemetry for over 10 minutes",
      description:
        'Core\'s oldest latest-telemetry report is {{ printf "%.0f" $value }} s old (node agents report every 30 s).',
      runbook:
        'Find the node: `curl -H "Authorization: Bearer <admin token>" http://<core>/api/v1/nodes`, then `/api/v1/nodes/<nodeId>` for each and compare ' +
        "`telemetry.reportedAt`. " +
        "On that node, `kubectl logs <node-agent pod>` shows the failing report (Core unreachable, 401 = rotated credential, lnd unreachable); " +
        '`hyperhash_node_agent_telemetry_reports_total{result="error"}` rises when it tries and fails. A node that was shut down for good should be deregistered ' +
        "(delete its HyperNode) so it leaves the gauge.",
    },
  },
];

const payouts: readonly AlertRule[] = [
  {
    alert: "PayoutWindowStuckInPaying",
    expr: `hyperhash_core_window_phase_oldest_age_seconds{phase="Paying"} > ${THRESHOLDS.payingStuckSeconds}`,
    for: "10m",
    labels: { severity: "warning" },
    annotations: {
      summary: "A payout window has been Paying for over 2 hours",
      description:
        'The oldest window in Paying entered it {{ printf "%.0f" $value }} s ago; its recipients are not fully paid.',
      runbook:
        '`curl -H "Authorization: Bearer <admin token>" "http://<core>/api/v1/windows?phase=Paying"` shows the window (inFlightSats, pendingSats); ' +
        "`curl http://<treasury pod ip>:<HH_TREASURY_OPS_PORT>/metrics | grep hyperhash_treasury_waiting_payments` shows " +
        "why due payments wait (InsufficientLiquidity: see TreasuryPaymentsWaitingForLiquidity; BelowOnchainThreshold: an on-chain balance below HH_TREASURY_ONCHAIN_MIN_SATS, " +
        "lower it or wait; NoNodeAgent/AgentRefused: the node agent, see its logs). `kubectl logs deploy/<release>-treasury` shows failed attempts; after maxPaymentAttempts Core returns the " +
        "amount to the ledger and the window can settle.",
    },
  },
  {
    alert: "CorePaymentPendingTooLong",
    expr: `hyperhash_core_payments_pending_oldest_age_seconds > ${THRESHOLDS.paymentPendingSeconds}`,
    for: "5m",
    labels: { severity: "warning" },
    annotations: {
      summary: "A payment has been pending for over 30 minutes",
      description:
        'The oldest payment Core recorded and that is not final is {{ printf "%.0f" $value }} s old.',
      runbook:
        '`curl -H "Authorization: Bearer <admin token>" "http://<core>/api/v1/audit?limit=200"` shows its `intent` entry (paymentId, paymentHash) with no ' +
        "`succeeded` or `failed` after it. In the treasury lnd, " +
        "`lncli trackpayment <hash>` (or `lncli listpayments`) says whether it is in flight (an HTLC held by a peer: it resolves at its CLTV expiry, nothing to do but wait), " +
        "failed or settled. If lnd settled or failed it but Core still says pending, the treasury did not report the result: `kubectl logs deploy/<release>-treasury` and restart it — " +
        "on start it resolves every open payment from lnd by hash. Never pay it again by hand.",
    },
  },
  {
    alert: "TreasuryPaymentsWaitingForLiquidity",
    expr: 'hyperhash_treasury_waiting_payments{reason="InsufficientLiquidity"} > 0',
    for: "30m",
    labels: { severity: "warning" },
    annotations: {
      summary: "Treasury payouts wait for channel liquidity",
      description:
        '{{ printf "%.0f" $value }} due payment(s) have waited for 30 minutes because no treasury channel can carry them.',
      runbook:
        "Compare `hyperhash_treasury_largest_outbound_sats` with the waiting amounts (`kubectl logs deploy/<release>-treasury | grep InsufficientLiquidity` gives the detail: " +
        "treasury outbound short, or `node inbound: …` when the node's side is full). Treasury outbound short: open or splice a larger channel from the treasury " +
        "(`kubectl get lightningchannels -A`; a HyperNode asks for `spec.lightning.minInboundSats` per channel) or rebalance; node inbound short: the node operator must spend or loop out " +
        "(its `hyperhash_node_agent_treasury_inbound_sats`).",
    },
  },
];

const operator: readonly AlertRule[] = [
  {
    alert: "OperatorReconcileErrors",
    expr: "sum by (job, instance, controller) (rate(controller_runtime_reconcile_errors_total[5m])) > 0",
    for: "10m",
    labels: { severity: "warning" },
    annotations: {
      summary: "Operator controller {{ $labels.controller }} keeps failing reconciles",
      description: "{{ $labels.controller }} has returned reconcile errors continuously for 10 minutes.",
      runbook:
        "`kubectl logs deploy/<release>-operator | grep 'reconcile failed'` shows the object and the error. Forbidden: RBAC is behind the operator version " +
        "(`helm upgrade` the chart); conflicts that never clear: another writer patches the same status; invalid: a resource fails CRD validation " +
        "(`kubectl get <kind> -A` and `kubectl describe` it). `kubectl get events -A --field-selector type=Warning` lists what the operator reported. " +
        "The Operator health dashboard shows retries and queue depth; fix the object or the RBAC and the work queue drains on its own.",
    },
  },
];

/** The alert groups, in file order. */
export function alertRules(): RuleGroup[] {
  return [
    { name: "hyperhash.mining", rules: mining },
    { name: "hyperhash.nodes", rules: nodes },
    { name: "hyperhash.payouts", rules: payouts },
    { name: "hyperhash.operator", rules: operator },
  ];
}

/** A plain Prometheus rules file (`groups:` at top), deterministic and never line-folded. */
export function rulesYaml(): string {
  const header =
    "# Generated by `npx tsx observability/src/generate.ts` from observability/src/rules.ts; do not edit.\n";
  return header + stringify({ groups: alertRules() }, { lineWidth: 0 });
}

/** The same groups as the spec of a Prometheus Operator PrometheusRule. */
export function prometheusRuleSpec(): { groups: RuleGroup[] } {
  return { groups: alertRules() };
}
