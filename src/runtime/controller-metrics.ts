export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

/** What a controller reports; small enough to back with prom-client counters and gauges. */
export interface ControllerMetrics {
  /** `reason`: why an `error` or `terminal` reconcile failed (a CamelCase reason), else undefined. */
  reconcileDone(controller: string, result: ReconcileOutcome, seconds: number, reason?: string): void;
  queueDepth(controller: string, depth: number): void;
  /** Calls waiting for a turn at the controller's cloud-call gate (`cloudConcurrency`). */
  cloudCallsWaiting(controller: string, waiting: number): void;
}

export const noControllerMetrics: ControllerMetrics = {
  reconcileDone: () => {},
  queueDepth: () => {},
  cloudCallsWaiting: () => {},
};
