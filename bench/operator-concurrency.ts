/**
 * The operator's settings against a baseline of `cloudCalls` calls in flight per kind: as many cloud
 * calls in flight per kind, and twice as many reconciles, which is the operator's default ratio
 * (src/config.ts: --cloud-concurrency is half of --workers). At 4 these are its defaults.
 */
export function operatorConcurrency(cloudCalls: number): { workers: number; cloudConcurrency: number } {
  return { workers: 2 * cloudCalls, cloudConcurrency: cloudCalls };
}
