import { runBaseline } from '../baseline.js';
import { operatorCredentials, seed, startCluster } from '../cluster.js';
import { OperatorHost } from '../host/host-client.js';
import type { RetryRecord } from '../host/protocol.js';
import type { BenchOptions } from '../options.js';
import { round } from '../proc.js';
import { AZURE_LIKE_CLOUD, type LimiterProfile } from '../profiles.js';
import type { RetryFigures, ThrottledResult } from '../results.js';
import { kubeWrites, log } from './converge.js';

/** The work queue's per-object backoff: 5 ms, doubling (src/runtime/rate-limiter.ts). */
const BACKOFF_BASE_MS = 5;
/** Log timestamps are whole milliseconds. */
const CLOCK_SLACK_MS = 2;

/**
 * The cloud at its limit: Azure-like quotas with both buckets drained at the start, N + N objects.
 * The ceiling is what the quotas allow at the minimum of one read and one write per object.
 */
export async function runThrottled(bench: BenchOptions, limiter: LimiterProfile): Promise<ThrottledResult> {
  const n = bench.throttledN;
  const cloud = AZURE_LIKE_CLOUD;
  const ceiling = Math.min(cloud.rateLimits.write.qps, cloud.rateLimits.read.qps);
  const cluster = await startCluster();
  let host: OperatorHost | undefined;
  try {
    await seed(cluster.admin, n, bench.createConcurrency, 600_000);
    host = OperatorHost.spawn(bench.memoryLimitMiB);
    await host.send('init', {
      credentials: await operatorCredentials(cluster.controlPlane),
      cloud,
      limiter: limiter.rate,
      workers: bench.workers,
    });
    log(n, `throttled (${cloud.name}, limiter ${limiter.name}): operator`);
    await host.send('start', {
      expect: { identities: n, bindings: n },
      trackObjects: true,
      drainQuotas: true,
    });
    const timings = await host.send('waitConverged', { timeoutMs: 60 * 60_000 });
    const stats = await host.send('stats');
    await host.close();
    host = undefined;
    await cluster.stop();
    const seconds = ((timings.convergedAt ?? Number.NaN) - timings.startedAt) / 1000;
    const objectsPerSecond = (2 * n) / seconds;
    log(n, `throttled: operator converged in ${seconds.toFixed(1)} s; baseline`);

    const baseline = await runBaseline({ n, workers: bench.workers, cloud, limiter, drainQuotas: true });
    const throttledCalls = Object.values(stats.cloudThrottled).reduce((a, b) => a + b, 0);
    return {
      n,
      objects: 2 * n,
      cloud: cloud.name,
      limiter: limiter.name,
      ceilingObjectsPerSecond: ceiling,
      operator: {
        seconds: round(seconds),
        objectsPerSecond: round(objectsPerSecond),
        fractionOfCeiling: round(objectsPerSecond / ceiling, 3),
        cloudCalls: stats.cloudCalls,
        cloudThrottled: stats.cloudThrottled,
        retries: retryFigures(stats.retries, 2 * n, throttledCalls),
        reconciles: stats.reconciles,
        kubeWritesPerObject: round(kubeWrites(stats) / (2 * n)),
      },
      baseline: { ...baseline, fractionOfCeiling: round(baseline.objectsPerSecond / ceiling, 3) },
      ratio: round(objectsPerSecond / baseline.objectsPerSecond, 3),
    };
  } finally {
    await host?.close();
    await cluster.stop();
  }
}

/**
 * Retries per object, and whether any object was retried faster than the controller's backoff
 * permits: each retry must come no sooner than the delay the work queue scheduled for it, and no
 * object may fail more often than 5 ms-doubling backoff fits into its span of failures.
 */
export function retryFigures(
  retries: Record<string, RetryRecord[]>,
  objects: number,
  throttledCalls: number,
): RetryFigures {
  let total = 0;
  let maxPerObject = 0;
  let backoffBoundForMax = 0;
  let objectsOverBound = 0;
  let earlierThanScheduled = 0;
  for (const list of Object.values(retries)) {
    total += list.length;
    const first = list[0]?.at ?? 0;
    const last = list[list.length - 1]?.at ?? 0;
    const bound = backoffBound(last - first) + 1;
    if (list.length > bound) objectsOverBound += 1;
    if (list.length > maxPerObject) {
      maxPerObject = list.length;
      backoffBoundForMax = bound;
    }
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1] as RetryRecord;
      const current = list[i] as RetryRecord;
      if (current.at - previous.at + CLOCK_SLACK_MS < previous.retryInMs) earlierThanScheduled += 1;
    }
  }
  return {
    total,
    perObject: round(total / objects, 2),
    maxPerObject,
    backoffBoundForMax,
    objectsOverBound,
    earlierThanScheduled,
    throttledCallsPerObject: round(throttledCalls / objects, 2),
  };
}

/** The most failures after the first that 5 ms-doubling delays fit into `spanMs`. */
function backoffBound(spanMs: number): number {
  return Math.floor(Math.log2(spanMs / BACKOFF_BASE_MS + 1));
}
