import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerMetrics, ReconcileOutcome } from '../runtime/controller-metrics.js';

/** Every metric the operator exports, on one registry served at /metrics. */
export class OperatorMetrics implements ControllerMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: 'keyless_reconcile_total',
    help: 'Reconciles by controller and result (success, requeue, error, terminal).',
    labelNames: ['controller', 'result'] as const,
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
  readonly cloudRequests = new Counter({
    name: 'keyless_cloud_requests_total',
    help: 'Cloud API calls by provider, operation and outcome.',
    labelNames: ['provider', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'keyless_kube_requests_total',
    help: 'Kubernetes API writes and reads made by reconciles (not informers), by verb and HTTP code.',
    labelNames: ['verb', 'code'] as const,
    registers: [this.registry],
  });
  readonly identities = new Gauge({
    name: 'keyless_managed_identities',
    help: 'WorkloadIdentities by state (Ready, NotReady, Unknown).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'keyless_process_' });
  }

  reconcileDone(controller: string, result: ReconcileOutcome, seconds: number): void {
    this.reconciles.inc({ controller, result });
    this.reconcileSeconds.observe({ controller }, seconds);
  }

  queueDepth(controller: string, n: number): void {
    this.depth.set({ controller }, n);
  }
}
