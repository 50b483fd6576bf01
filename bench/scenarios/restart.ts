import { apiServerWrites, type Cluster, objectWrites, setResync } from '../cluster.js';
import type { OperatorHost } from '../host/host-client.js';
import type { HostStats, ObjectRecord } from '../host/protocol.js';
import type { BenchOptions } from '../options.js';
import { sleep } from '../pool.js';
import { countsSince, round } from '../proc.js';
import type { RestartResult } from '../results.js';
import { cloudReads, cloudWrites, firstReconcile, kubeWrites, log } from './converge.js';

const TENTHS = 10;
/** After the pass, before the graceful stop: lets the last status or Event (if any) land. */
const SETTLE_MS = 2000;
/** Without the steady window, a restart that spreads its pass is watched for this share of R. */
const QUICK_WATCH = 0.25;

/**
 * With everything converged: stop the operator, start a new one on the same cloud and API server
 * with resync interval R, and watch until every object has been re-observed, or R/4 has passed
 * (an operator that spreads its first pass over R is not waited for). With `steadyWindow`, watch
 * 1.25 R, so resync-driven re-observations are counted too. Then stop it gracefully, which drains
 * in-flight reconciles, so reads per re-observation are exact.
 */
export async function runRestart(options: {
  cluster: Cluster;
  host: OperatorHost;
  n: number;
  bench: BenchOptions;
}): Promise<RestartResult> {
  const { cluster, host, n, bench } = options;
  const resyncMs = bench.resyncMs;
  const stopStarted = Date.now();
  await host.send('stop');
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  log(n, `operator stopped in ${stopSeconds.toFixed(1)} s; restarting with resync ${resyncMs / 1000} s`);

  // While no operator runs, as an admin would: the new operator finds the account changed (and
  // records that in the account's status: one write that is the benchmark's, not the objects').
  await setResync(cluster.admin, resyncMs);
  const writesBefore = await apiServerWrites(cluster);
  const timings = await host.send('start', {
    expect: { identities: n, bindings: n },
    trackObjects: true,
    drainQuotas: false,
  });
  const passLimit = bench.steadyWindow ? 1.25 * resyncMs : QUICK_WATCH * resyncMs;
  const pass = await host.send('waitObserved', {
    objects: 2 * n,
    timeoutMs: timings.startedAt + passLimit - Date.now(),
  });
  const atPass = await host.send('stats');
  const passComplete = pass.observed >= 2 * n;
  const passSeconds = (pass.at - timings.startedAt) / 1000;
  log(n, `${pass.observed} of ${2 * n} objects re-observed ${passSeconds.toFixed(1)} s after the restart`);
  const watchUntil = bench.steadyWindow
    ? timings.startedAt + Math.max(1.25 * resyncMs, pass.at - timings.startedAt + resyncMs / 2)
    : pass.at + SETTLE_MS;
  await sleep(watchUntil - Date.now());
  await host.send('stop');
  const end = await host.send('stats');
  const apiServer = countsSince(await apiServerWrites(cluster), writesBefore);
  const memory = await host.send('memory');

  const reconciles = objectReconciles(end);
  return {
    n,
    resyncSeconds: resyncMs / 1000,
    stopSeconds: round(stopSeconds),
    syncSeconds: round(((end.timings.syncedAt ?? Number.NaN) - timings.startedAt) / 1000),
    firstReconcileSeconds: round((firstReconcile(end) - timings.startedAt) / 1000),
    passSeconds: passComplete ? round(passSeconds) : undefined,
    reobservedInPass: pass.observed,
    observedSeconds: round((watchUntil - timings.startedAt) / 1000),
    cloudCalls: end.cloudCalls,
    cloudWrites: cloudWrites(end.cloudCalls),
    kubeRequests: end.kubeRequests,
    kubeWrites: kubeWrites(end),
    apiServerWrites: apiServer,
    objectWrites: objectWrites(apiServer),
    reconciles,
    readsPerReobservation: round(cloudReads(end.cloudCalls) / reconciles, 3),
    maxReadsPerObjectInPass: Math.max(0, ...Object.values(atPass.objects).map((o) => o.reads)),
    steady: bench.steadyWindow
      ? {
          seconds: round((watchUntil - pass.at) / 1000),
          reconciles: reconciles - objectReconciles(atPass),
          reads: cloudReads(end.cloudCalls) - cloudReads(atPass.cloudCalls),
          writes: cloudWrites(end.cloudCalls) - cloudWrites(atPass.cloudCalls),
          kubeWrites: kubeWrites(end) - kubeWrites(atPass),
        }
      : undefined,
    spread: spreadOf(Object.values(end.objects), timings.startedAt, resyncMs, watchUntil, 2 * n),
    memory,
  };
}

function objectReconciles(stats: HostStats): number {
  return Object.entries(stats.reconciles)
    .filter(([key]) => !key.startsWith('CloudAccount'))
    .reduce((sum, [, count]) => sum + count, 0);
}

/**
 * When each object was first re-observed after the restart, per tenth of the resync interval (the
 * tenths watched in full). Spread evenly, each tenth would hold 10% of the objects.
 */
export function spreadOf(
  objects: ObjectRecord[],
  startedAt: number,
  resyncMs: number,
  watchedUntil: number,
  expected: number,
): RestartResult['spread'] {
  const watchedTenths = Math.min(TENTHS, Math.floor(((watchedUntil - startedAt) / resyncMs) * TENTHS));
  const tenths = Array.from({ length: Math.max(1, watchedTenths) }, () => 0);
  for (const object of objects) {
    if (object.reads === 0) continue;
    const index = Math.floor(((object.firstCallAt - startedAt) / resyncMs) * TENTHS);
    if (index < tenths.length) tenths[index] = (tenths[index] ?? 0) + 1;
  }
  return { tenths, firstTenthShare: round((tenths[0] ?? 0) / expected, 3) };
}
