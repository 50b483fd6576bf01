export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

/** What a controller reports; small enough to back with prom-client counters and gauges. */
export interface ControllerMetrics {
  reconcileDone(controller: string, result: ReconcileOutcome, seconds: number): void;
  queueDepth(controller: string, depth: number): void;
}

export const noControllerMetrics: ControllerMetrics = {
  reconcileDone: () => {},
  queueDepth: () => {},
};
