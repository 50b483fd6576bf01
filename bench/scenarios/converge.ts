import { runBaseline } from '../baseline.js';
import { apiServerWrites, operatorCredentials, seed, startCluster } from '../cluster.js';
import { OperatorHost } from '../host/host-client.js';
import type { HostStats } from '../host/protocol.js';
import type { BenchOptions } from '../options.js';
import { sleep } from '../pool.js';
import { countsSince, cpuSecondsOf, diffCpu, machineBusySeconds, ownCpuSeconds, round } from '../proc.js';
import { convergeCloud, NO_LIMITER } from '../profiles.js';
import { statusAndFinalizerWrites } from '../report/format.js';
import { type ConvergePoint, type RestartResult, SETTLE_FOR_MEMORY_MS } from '../results.js';
import { runDelete } from './delete.js';
import { runRestart } from './restart.js';

/** Resync of the converge run: long enough that no re-observation mixes into the figures. */
const CONVERGE_RESYNC_MS = 600_000;
const IDENTITY_OPERATIONS = ['GetIdentity', 'CreateIdentity', 'UpdateIdentity', 'DeleteIdentity'];
const GRANT_OPERATIONS = ['GetGrants', 'PutGrants', 'DeleteGrants'];
const WRITE_VERBS = ['PATCH', 'POST', 'PUT', 'DELETE'];

export interface ConvergeRun {
  point: ConvergePoint;
  restart: RestartResult | undefined;
  /** kube-apiserver's version. */
  version: string;
}

export interface ConvergeRunOptions {
  n: number;
  bench: BenchOptions;
  /** Also run the restart and steady-state scenario on this cluster afterwards. */
  withRestart: boolean;
  /** Write a CPU profile of the operator host's converge to this path. */
  profilePath: string | undefined;
}

/**
 * One chart point: a fresh API server seeded with N + N objects, the operator (in its own process,
 * on the in-memory cloud) converging them, then the bare-SDK baseline on the same cloud profile.
 */
export async function runConverge(options: ConvergeRunOptions): Promise<ConvergeRun> {
  const { n, bench } = options;
  const cluster = await startCluster();
  let host: OperatorHost | undefined;
  try {
    log(n, 'seeding');
    const seeded = await seed(cluster.admin, n, bench.createConcurrency, CONVERGE_RESYNC_MS);
    log(n, `seeded ${seeded.objects} objects in ${seeded.seconds.toFixed(1)} s`);
    host = OperatorHost.spawn(bench.memoryLimitMiB);
    const before = await host.send('init', {
      credentials: await operatorCredentials(cluster.controlPlane),
      cloud: convergeCloud(bench.latencyMs),
      limiter: NO_LIMITER.rate,
      workers: bench.workers,
    });
    const writesBefore = await apiServerWrites(cluster);
    const cpuBefore = cpuSecondsOf(cluster.controlPlane.workDir);
    const machineBefore = machineBusySeconds();
    const driverBefore = ownCpuSeconds();
    if (options.profilePath) await host.send('profileStart');
    await host.send('start', {
      expect: { identities: n, bindings: n },
      trackObjects: false,
      drainQuotas: false,
    });
    const timings = await host.send('waitConverged', { timeoutMs: 60 * 60_000 });
    if (options.profilePath) await host.send('profileStop', { path: options.profilePath });
    // Let anything still in flight (a last Event, a redundant reconcile) land in the counts.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stats = await host.send('stats');
    const cpuAfter = cpuSecondsOf(cluster.controlPlane.workDir);
    const machine = machineBusySeconds() - machineBefore;
    const driver = ownCpuSeconds() - driverBefore;
    const apiServer = countsSince(await apiServerWrites(cluster), writesBefore);
    const after = await host.send('memory');
    await sleep(SETTLE_FOR_MEMORY_MS);
    const settled = await host.send('memory');
    const operatorCpu = (stats.cpuMs.user + stats.cpuMs.system) / 1000;
    const controlPlane = diffCpu(cpuAfter, cpuBefore);
    const seconds = ((timings.convergedAt ?? Number.NaN) - timings.startedAt) / 1000;
    log(n, `operator converged ${2 * n} objects in ${seconds.toFixed(1)} s`);

    const restart = options.withRestart ? await runRestart({ cluster, host, n, bench }) : undefined;
    // Taken before the delete empties the cloud; the host puts the contents back after measuring.
    const cloudShare = await host.send('cloudShare');
    // The restart scenario ends with the operator stopped; the delete starts it again.
    if (!restart) await host.send('stop');
    log(n, 'deleting');
    const deleted = await runDelete({ cluster, host, n, bench, convergeSeconds: seconds });
    await host.close();
    host = undefined;
    await cluster.stop();

    log(n, 'baseline');
    const baseline = await runBaseline({
      n,
      workers: bench.workers,
      cloud: convergeCloud(bench.latencyMs),
      limiter: NO_LIMITER,
      drainQuotas: false,
    });
    log(n, `baseline made the same calls in ${baseline.seconds.toFixed(1)} s`);
    const objectsPerSecond = (2 * n) / seconds;
    return {
      point: {
        n,
        objects: 2 * n,
        seed: seeded,
        operator: {
          seconds: round(seconds),
          objectsPerSecond: round(objectsPerSecond, 1),
          syncSeconds: round(((timings.syncedAt ?? Number.NaN) - timings.startedAt) / 1000),
          firstReconcileSeconds: round((firstReconcile(stats) - timings.startedAt) / 1000),
          cloudCalls: stats.cloudCalls,
          cloudCallsPerObject: perObject(stats.cloudCalls, n),
          ...(stats.cloudWaitedMs === undefined ? {} : { cloudWaitedMs: round(stats.cloudWaitedMs, 2) }),
          kubeRequests: stats.kubeRequests,
          kubeWritesPerObject: round(kubeWrites(stats) / (2 * n)),
          apiServerWrites: apiServer,
          statusAndFinalizerWritesPerObject: round(statusAndFinalizerWrites(apiServer) / (2 * n)),
          reconciles: stats.reconciles,
          reconcileMeanMs: Object.fromEntries(
            Object.entries(stats.reconcileMeanMs).map(([controller, ms]) => [controller, round(ms, 1)]),
          ),
          reconcileMeanMsByResult: Object.fromEntries(
            Object.entries(stats.reconcileMeanMsByResult).map(([key, ms]) => [key, round(ms, 1)]),
          ),
          cpuSeconds: {
            operator: round(operatorCpu),
            controlPlane,
            others: round(Math.max(0, machine - operatorCpu - sum(controlPlane) - driver)),
          },
          memory: { before, after, settled, cloudHeapBytes: cloudShare.heapBytes },
        },
        baseline,
        ratio: round(objectsPerSecond / baseline.objectsPerSecond, 3),
        delete: deleted,
      },
      restart,
      version: cluster.version,
    };
  } finally {
    await host?.close();
    await cluster.stop();
  }
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

export function firstReconcile(stats: HostStats): number {
  const { WorkloadIdentity, IdentityBinding } = stats.timings.firstReconcileAt;
  return Math.min(WorkloadIdentity ?? Number.POSITIVE_INFINITY, IdentityBinding ?? Number.POSITIVE_INFINITY);
}

export function kubeWrites(stats: Pick<HostStats, 'kubeRequests'>): number {
  return WRITE_VERBS.reduce((sum, verb) => sum + (stats.kubeRequests[verb] ?? 0), 0);
}

export function cloudWrites(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([op]) => /^(Create|Update|Delete|Put)/.test(op))
    .reduce((sum, [, n]) => sum + n, 0);
}

export function cloudReads(calls: Record<string, number>): number {
  return (calls.GetIdentity ?? 0) + (calls.GetGrants ?? 0);
}

/** Identity operations per WorkloadIdentity, grant operations per IdentityBinding. */
function perObject(calls: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of [...IDENTITY_OPERATIONS, ...GRANT_OPERATIONS]) {
    if (calls[op]) out[op] = round(calls[op] / n, 3);
  }
  if (calls.CheckAccount) out['CheckAccount (per run)'] = calls.CheckAccount;
  return out;
}

export function log(n: number, message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] N=${n}: ${message}`);
}
