import { pathOf } from '../../test/support/kube-manifests.js';
import { apiServerWrites, type Cluster } from '../cluster.js';
import type { OperatorHost } from '../host/host-client.js';
import { identityBinding, workloadIdentity } from '../objects.js';
import type { BenchOptions } from '../options.js';
import { pool, sleep } from '../pool.js';
import { countsSince, round } from '../proc.js';
import type { DeleteResult } from '../results.js';
import { kubeWrites, log } from './converge.js';

/** After the informers hold no object: lets a last Event or write land in the counts. */
const SETTLE_MS = 1000;

/**
 * On the converged cluster, timed as the converge is: from the operator's start, with the work
 * already waiting. While the operator is stopped, the driver deletes every pair by plain DELETEs at
 * the seeding concurrency, each WorkloadIdentity just before its IdentityBinding (as `kubectl delete
 * -f` of a file that lists the identity first); Keyless's finalizers keep every object. Then the
 * operator starts, and the host reports when its informers hold neither kind any more: every
 * finalizer has run and been removed. The host must be stopped when this is called.
 */
export async function runDelete(options: {
  cluster: Cluster;
  host: OperatorHost;
  n: number;
  bench: BenchOptions;
  /** The converge's seconds, for the ratio. */
  convergeSeconds: number;
}): Promise<DeleteResult> {
  const { cluster, host, n, bench } = options;
  const writesBefore = await apiServerWrites(cluster);
  const requestedAt = Date.now();
  const remove = (object: ReturnType<typeof workloadIdentity>) =>
    cluster.admin.request('DELETE', pathOf(object, object.metadata.name));
  const indexes = Array.from({ length: n }, (_, i) => i);
  await pool(indexes, bench.createConcurrency, async (i) => {
    await remove(workloadIdentity(i));
    await remove(identityBinding(i));
  });
  const requestedSeconds = (Date.now() - requestedAt) / 1000;
  const { startedAt } = await host.send('start', {
    expect: { identities: 0, bindings: 0 },
    trackObjects: false,
    drainQuotas: false,
  });
  const { deletedAt } = await host.send('waitDeleted', { timeoutMs: 60 * 60_000 });
  await sleep(SETTLE_MS);
  const stats = await host.send('stats');
  const apiServer = countsSince(await apiServerWrites(cluster), writesBefore);
  const seconds = (deletedAt - startedAt) / 1000;
  log(
    n,
    `operator finalized ${2 * n} objects in ${seconds.toFixed(1)} s (the DELETEs, sent before it started, took ${requestedSeconds.toFixed(1)} s)`,
  );
  const operatorWrites = kubeWrites(stats);
  return {
    seconds: round(seconds),
    requestedSeconds: round(requestedSeconds),
    objectsPerSecond: round((2 * n) / seconds, 1),
    ratioToConverge: round(seconds / options.convergeSeconds, 3),
    cloudCalls: stats.cloudCalls,
    cloudCallsPerPair: Object.fromEntries(
      Object.entries(stats.cloudCalls).map(([op, count]) => [op, round(count / n, 3)]),
    ),
    kubeRequests: stats.kubeRequests,
    kubeWritesPerPair: round(operatorWrites / n),
    apiServerWrites: apiServer,
    reconciles: stats.reconciles,
    reconcileMeanMs: Object.fromEntries(
      Object.entries(stats.reconcileMeanMs).map(([controller, ms]) => [controller, round(ms, 1)]),
    ),
  };
}
