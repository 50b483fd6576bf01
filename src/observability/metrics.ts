import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CallOutcome } from '../providers/registry/instrumented.js';
import { isTrue } from '../reconcilers/conditions.js';
import { UNCLASSIFIED_REASON } from '../runtime/controller.js';
import type { ControllerMetrics, ReconcileOutcome } from '../runtime/controller-metrics.js';
import {
  bindingExpiries,
  conditionCounts,
  driftedCounts,
  identityLastUses,
  type ObjectSnapshot,
  unusedGrantCounts,
} from './object-states.js';

/** How often the event-loop delay histogram samples (prom-client's default: 10 ms). */
export const EVENT_LOOP_SAMPLE_MS = 1000;

interface AccountChecks {
  provider: string;
  lastCheckMs: number;
  lastSuccessMs: number | undefined;
}

/**
 * Every metric the operator exports, on one registry served at /metrics. Labels name kinds,
 * conditions, reasons, providers and Kubernetes objects, never a credential or a cloud secret.
 */
export class OperatorMetrics implements ControllerMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: 'keyless_reconcile_total',
    help: 'Reconciles by controller and result (success, requeue, error, terminal).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'keyless_reconcile_errors_total',
    help: 'Reconciles that failed (result error or terminal), by controller and reason.',
    labelNames: ['controller', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly reconcileSeconds = new Histogram({
    name: 'keyless_reconcile_duration_seconds',
    help: 'How long one reconcile took.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly depth = new Gauge({
    name: 'keyless_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  private readonly cloudWaiting = new Gauge({
    name: 'keyless_cloud_calls_waiting',
    help: "Cloud calls waiting for a turn at the controller's --cloud-concurrency.",
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  private readonly cloudRequests = new Counter({
    name: 'keyless_cloud_requests_total',
    help: 'Cloud API calls by provider, operation and outcome.',
    labelNames: ['provider', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly cloudThrottled = new Counter({
    name: 'keyless_cloud_throttled_total',
    help: 'Answers from a cloud that refused a call for its rate, by provider and CloudAccount; every resend counts.',
    labelNames: ['provider', 'account'] as const,
    registers: [this.registry],
  });
  private readonly accountLastCheck = new Gauge({
    name: 'keyless_cloud_account_last_check_timestamp_seconds',
    help: "When the CloudAccount's credentials were last checked in the cloud, whatever the outcome.",
    labelNames: ['account', 'provider'] as const,
    registers: [this.registry],
  });
  private readonly accountLastSuccess = new Gauge({
    name: 'keyless_cloud_account_last_check_success_timestamp_seconds',
    help: "When a check of the CloudAccount's credentials last succeeded.",
    labelNames: ['account', 'provider'] as const,
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'keyless_kube_requests_total',
    help: 'Kubernetes API writes and reads made by reconciles (not informers), by verb and HTTP code.',
    labelNames: ['verb', 'code'] as const,
    registers: [this.registry],
  });
  private readonly identities = new Gauge({
    name: 'keyless_managed_identities',
    help: 'WorkloadIdentities by state (Ready, NotReady).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly objects = new Gauge({
    name: 'keyless_objects',
    help: 'Objects by kind and by the status and reason of each condition (Unknown: not reconciled yet).',
    labelNames: ['kind', 'condition', 'status', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly drifted = new Gauge({
    name: 'keyless_drifted_objects',
    help: 'Objects whose cloud differs from their spec (Drifted=True), by kind and the policy that leaves it so.',
    labelNames: ['kind', 'policy'] as const,
    registers: [this.registry],
  });
  private readonly bindingExpiry = new Gauge({
    name: 'keyless_binding_expiry_timestamp_seconds',
    help: "When a temporary IdentityBinding's grants end.",
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });
  private readonly identityLastUsed = new Gauge({
    name: 'keyless_identity_last_used_timestamp_seconds',
    help: 'When the cloud last saw a WorkloadIdentity used, from its usage review: 0 when it never saw it used (identities not reviewed yet, or whose cloud cannot tell, have no series).',
    labelNames: ['namespace', 'name', 'account'] as const,
    registers: [this.registry],
  });
  private readonly grantsUnused = new Gauge({
    name: 'keyless_grants_unused',
    help: "An IdentityBinding's grants with no recorded use for longer than its account's review.unusedAfter.",
    labelNames: ['namespace', 'name', 'account'] as const,
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: 'keyless_leader',
    help: '1 while this replica is the leader (holds the Lease; only the leader runs the controllers), else 0.',
    registers: [this.registry],
  });
  private readonly accountChecks = new Map<string, AccountChecks>();

  constructor() {
    // prom-client samples event-loop delay every 10 ms by default, which wakes an idle operator
    // 100 times a second (about 0.6 CPU s per 2 min on its own); once a second still shows a
    // blocked loop in the lag histogram.
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'keyless_process_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    this.leader.set(0);
  }

  reconcileDone(controller: string, result: ReconcileOutcome, seconds: number, reason?: string): void {
    this.reconciles.inc({ controller, result });
    this.reconcileSeconds.observe({ controller }, seconds);
    if (result === 'error' || result === 'terminal')
      this.reconcileErrors.inc({ controller, reason: reason ?? UNCLASSIFIED_REASON });
  }

  queueDepth(controller: string, n: number): void {
    this.depth.set({ controller }, n);
  }

  cloudCallsWaiting(controller: string, waiting: number): void {
    this.cloudWaiting.set({ controller }, waiting);
  }

  cloudCall(provider: string, operation: string, outcome: CallOutcome): void {
    this.cloudRequests.inc({ provider, operation, outcome });
  }

  throttled(provider: string, account: string): void {
    this.cloudThrottled.inc({ provider, account });
  }

  /** A check of `account`'s credentials ended at `atMs` (epoch ms). */
  accountChecked(provider: string, account: string, outcome: CallOutcome, atMs: number): void {
    const previous = this.accountChecks.get(account);
    this.accountChecks.set(account, {
      provider,
      lastCheckMs: atMs,
      lastSuccessMs: outcome === 'success' ? atMs : previous?.lastSuccessMs,
    });
  }

  leading(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  /**
   * Sets the gauges read from the objects themselves, replacing what an earlier snapshot set, so
   * a deleted object or account leaves no series behind.
   */
  observeObjects(snapshot: ObjectSnapshot, now: Date = new Date()): void {
    this.identityLastUsed.reset();
    for (const { namespace, name, account, lastUsedSeconds } of identityLastUses(snapshot))
      this.identityLastUsed.set({ namespace, name, account }, lastUsedSeconds);
    this.grantsUnused.reset();
    for (const { namespace, name, account, count } of unusedGrantCounts(snapshot, now))
      this.grantsUnused.set({ namespace, name, account }, count);

    this.identities.reset();
    let ready = 0;
    for (const wi of snapshot.identities) if (isTrue(wi.status?.conditions, 'Ready')) ready += 1;
    this.identities.set({ state: 'Ready' }, ready);
    this.identities.set({ state: 'NotReady' }, snapshot.identities.length - ready);

    this.objects.reset();
    for (const { kind, condition, status, reason, count } of conditionCounts(snapshot))
      this.objects.set({ kind, condition, status, reason }, count);

    this.drifted.reset();
    for (const { kind, policy, count } of driftedCounts(snapshot)) this.drifted.set({ kind, policy }, count);

    this.bindingExpiry.reset();
    for (const { namespace, name, endsAtSeconds } of bindingExpiries(snapshot))
      this.bindingExpiry.set({ namespace, name }, endsAtSeconds);

    this.accountLastCheck.reset();
    this.accountLastSuccess.reset();
    const present = new Set(snapshot.accounts.map((account) => account.metadata.name));
    for (const [account, checks] of this.accountChecks) {
      if (!present.has(account)) {
        this.accountChecks.delete(account);
        continue;
      }
      const labels = { account, provider: checks.provider };
      this.accountLastCheck.set(labels, checks.lastCheckMs / 1000);
      if (checks.lastSuccessMs !== undefined)
        this.accountLastSuccess.set(labels, checks.lastSuccessMs / 1000);
    }
  }
}
