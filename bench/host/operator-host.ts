/**
 * The operator under test, in its own Node process so that its RSS and heap are its own (the driver
 * creates 20,000 objects and runs the baseline, which would blur an in-process figure). It holds the
 * MemoryCloud, which outlives operator restarts, and answers the driver's commands over IPC.
 *
 * Compiled by build.ts and started by host-client.ts as `node --expose-gc operator-entry.js`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { pino } from 'pino';
import type { Condition, IdentityBinding, KubeObject, WorkloadIdentity } from '../../src/api/index.js';
import { loadConfig } from '../../src/config.js';
import { ServiceAccountConnection } from '../../src/kube-api/service-account-connection.js';
import type { Manager } from '../../src/manager.js';
import type { OperatorMetrics } from '../../src/observability/metrics.js';
import { runOperatorProcess } from '../../src/process-lifecycle.js';
import type { MemoryCloud, MemoryGrantSet, MemoryIdentity } from '../../src/providers/memory/memory-cloud.js';
import { memoryRegistry } from '../../src/providers/registry/registry.js';
import { isTrue } from '../../src/reconcilers/conditions.js';
import { keyOf } from '../../src/runtime/kube-object.js';
import { RetryLog } from '../../test/support/converge-figures.js';
import { drainQuotas, newCloud } from '../cloud.js';
import { limiterOptions } from '../limiter.js';
import { operatorConcurrency } from '../operator-concurrency.js';
import type {
  Command,
  HostStats,
  InitArgs,
  MemorySample,
  Reply,
  Request,
  RunTimings,
  StartArgs,
} from './protocol.js';
import { CallTracker } from './tracking.js';

interface Running {
  abort: AbortController;
  done: Promise<string>;
  manager: Manager;
  metrics: OperatorMetrics;
  /** Resolves once every informer has synced, timings.syncedAt set. */
  synced: Promise<void>;
  timings: RunTimings;
  cpuAt: NodeJS.CpuUsage;
}

let init: InitArgs | undefined;
let cloud: MemoryCloud | undefined;
let running: Running | undefined;
/** The run that was stopped last: its figures stay readable (complete, since stop drains). */
let last: Running | undefined;
const tracker = new CallTracker();
const retryLog = new RetryLog();
/** Reconcile durations by "controller result" (the metric has the controller only). */
const durationsByResult = new Map<string, { sum: number; count: number }>();
let profiler: Session | undefined;
const convergeWaiters: Array<() => void> = [];
const deleteWaiters: Array<(deletedAt: number) => void> = [];
let expected = { identities: 0, bindings: 0 };
const ready = { identities: new Set<string>(), bindings: new Set<string>() };

function memory(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

/**
 * The operator's connection as in its pod: the token and CA written where the kubelet would mount
 * them (a fresh directory), so the host loads what a deployed operator loads.
 */
function podConnectionOf(args: InitArgs): ServiceAccountConnection {
  const directory = mkdtempSync(join(tmpdir(), 'keyless-bench-serviceaccount-'));
  writeFileSync(join(directory, 'token'), args.credentials.token);
  writeFileSync(join(directory, 'ca.crt'), args.credentials.caPem);
  return new ServiceAccountConnection({ server: args.credentials.server, directory });
}

type WithStatus = KubeObject & { status?: { conditions?: Condition[]; observedGeneration?: number } };

const converged = (object: WithStatus) =>
  isTrue(object.status?.conditions, 'Ready') &&
  object.status?.observedGeneration === object.metadata.generation;

function trackReadiness(manager: Manager, timings: RunTimings): void {
  const watch = <T extends WithStatus>(set: Set<string>) => ({
    onAdd: (o: T) => update(set, o),
    onUpdate: (_old: T, o: T) => update(set, o),
    onDelete: (o: T) => set.delete(keyOf(o)),
  });
  const update = (set: Set<string>, object: WithStatus) => {
    if (converged(object)) set.add(keyOf(object));
    else set.delete(keyOf(object));
    if (
      timings.convergedAt === undefined &&
      ready.identities.size >= expected.identities &&
      ready.bindings.size >= expected.bindings
    ) {
      timings.convergedAt = Date.now();
      for (const resolve of convergeWaiters.splice(0)) resolve();
    }
  };
  manager.informers.identities.addHandlers(watch<WorkloadIdentity>(ready.identities));
  manager.informers.bindings.addHandlers(watch<IdentityBinding>(ready.bindings));
}

/** Whether the informers hold no WorkloadIdentity and no IdentityBinding. */
function noneLeft(manager: Manager): boolean {
  return manager.informers.identities.store.size() === 0 && manager.informers.bindings.store.size() === 0;
}

/** Resolves deleteWaiters when the last WorkloadIdentity or IdentityBinding leaves the informers. */
function trackDeletion(manager: Manager): void {
  const onDelete = () => {
    if (!noneLeft(manager)) return;
    const at = Date.now();
    for (const resolve of deleteWaiters.splice(0)) resolve(at);
  };
  manager.informers.identities.addHandlers({ onDelete });
  manager.informers.bindings.addHandlers({ onDelete });
}

async function start(args: StartArgs): Promise<RunTimings> {
  if (!init) throw new Error('init first');
  if (running) throw new Error('the operator is already running');
  if (args.drainQuotas && cloud) await drainQuotas(cloud, init.cloud);
  cloud?.resetCounts();
  expected = args.expect;
  ready.identities.clear();
  ready.bindings.clear();
  tracker.enabled = args.trackObjects;
  tracker.reset();
  retryLog.reset();
  durationsByResult.clear();
  const config = loadConfig(
    [
      '--cluster-name=bench',
      '--http-address=127.0.0.1:0',
      '--dashboard-address=127.0.0.1:0',
      `--cloud=${init.backend === 'aws' ? 'real' : 'memory'}`,
      '--leader-elect=false',
      `--workers=${operatorConcurrency(init.workers).workers}`,
      `--cloud-concurrency=${operatorConcurrency(init.workers).cloudConcurrency}`,
      '--shutdown-timeout=60s',
    ],
    {},
  );
  // Without a MemoryCloud (backend aws) runOperatorProcess builds the registry a deployed operator has.
  const providers = cloud ? tracker.wrap(memoryRegistry(cloud, limiterOptions(init.limiter))) : undefined;
  const abort = new AbortController();
  const timings: RunTimings = {
    startedAt: Date.now(),
    syncedAt: undefined,
    firstReconcileAt: {},
    convergedAt: undefined,
  };
  const cpuAt = process.cpuUsage();
  type Started = Pick<Running, 'manager' | 'metrics' | 'synced'>;
  let onStarted: (value: Started) => void = () => {};
  const started = new Promise<Started>((resolve) => {
    onStarted = resolve;
  });
  const done = runOperatorProcess({
    config,
    logger: pino({ level: 'info' }, retryLog),
    signal: abort.signal,
    ...(providers ? { providers } : {}),
    connection: podConnectionOf(init),
    onStarted: ({ manager, metrics }) => {
      const synced = manager.waitForSync().then(() => {
        timings.syncedAt = Date.now();
      });
      onStarted({ manager, metrics, synced });
      const reconcileDone = metrics.reconcileDone.bind(metrics);
      metrics.reconcileDone = (controller, result, seconds) => {
        timings.firstReconcileAt[controller] ??= Date.now() - seconds * 1000;
        const entry = durationsByResult.get(`${controller} ${result}`) ?? { sum: 0, count: 0 };
        entry.sum += seconds;
        entry.count += 1;
        durationsByResult.set(`${controller} ${result}`, entry);
        reconcileDone(controller, result, seconds);
      };
      trackReadiness(manager, timings);
      trackDeletion(manager);
    },
  });
  // runOperatorProcess resolves only when it stops: before onStarted, that is a failure to start.
  const up = await Promise.race([
    started,
    done.then((outcome) => Promise.reject(new Error(`operator ${outcome}`))),
  ]);
  running = { abort, done, ...up, timings, cpuAt };
  return timings;
}

async function waitConverged(timeoutMs: number): Promise<RunTimings> {
  const run = required();
  if (run.timings.convergedAt === undefined) {
    await withTimeout(
      new Promise<void>((resolve) => convergeWaiters.push(resolve)),
      timeoutMs,
      'convergence',
    );
  }
  return run.timings;
}

/** Until the synced informers hold no WorkloadIdentity or IdentityBinding: when the last one left. */
async function waitDeleted(timeoutMs: number): Promise<{ deletedAt: number }> {
  const run = required();
  await withTimeout(run.synced, timeoutMs, 'the informers to sync');
  if (noneLeft(run.manager)) return { deletedAt: Date.now() };
  const deletedAt = await withTimeout(
    new Promise<number>((resolve) => deleteWaiters.push(resolve)),
    timeoutMs,
    'deletion',
  );
  return { deletedAt };
}

/** Until `objects` objects have been read at least once since the start, or `timeoutMs` passed. */
async function waitObserved(objects: number, timeoutMs: number): Promise<{ at: number; observed: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let observed = 0;
    for (const record of tracker.objects.values()) if (record.reads > 0) observed += 1;
    if (observed >= objects || Date.now() >= deadline) return { at: Date.now(), observed };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stats(): Promise<HostStats> {
  const run = running ?? last;
  if (!run) throw new Error('the operator has not run');
  const byLabel = async (name: string, label: (l: Partial<Record<string, string | number>>) => string) => {
    const metric = (await run.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    const out: Record<string, number> = {};
    for (const v of metric?.values ?? []) out[label(v.labels)] = (out[label(v.labels)] ?? 0) + v.value;
    return out;
  };
  const durations = (await run.metrics.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'keyless_reconcile_duration_seconds',
  );
  const sums: Record<string, { sum: number; count: number }> = {};
  for (const v of durations?.values ?? []) {
    const controller = String(v.labels.controller);
    const entry = sums[controller] ?? { sum: 0, count: 0 };
    sums[controller] = entry;
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_sum')) entry.sum += v.value;
    if (name.endsWith('_count')) entry.count += v.value;
  }
  const cpu = process.cpuUsage(run.cpuAt);
  // Readable after stop; the cloud counts belong to the last run until the next start resets them.
  return {
    timings: run.timings,
    cloudCalls: Object.fromEntries(cloud?.calls ?? []),
    cloudThrottled: Object.fromEntries(cloud?.throttled ?? []),
    cloudWaitedMs: cloud?.meanWaitMs(),
    kubeRequests: await byLabel('keyless_kube_requests_total', (l) => String(l.verb)),
    reconciles: await byLabel('keyless_reconcile_total', (l) => `${l.controller} ${l.result}`),
    reconcileMeanMs: Object.fromEntries(
      Object.entries(sums).map(([controller, { sum, count }]) => [
        controller,
        count ? (sum / count) * 1000 : 0,
      ]),
    ),
    reconcileMeanMsByResult: Object.fromEntries(
      [...durationsByResult].map(([key, { sum, count }]) => [key, (sum / count) * 1000]),
    ),
    retries: Object.fromEntries(retryLog.retries),
    terminalFailures: retryLog.terminal,
    objects: Object.fromEntries(tracker.objects),
    readTimes: tracker.readTimes,
    cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 },
  };
}

async function resetCounts(): Promise<undefined> {
  const run = required();
  cloud?.resetCounts();
  tracker.reset();
  retryLog.reset();
  durationsByResult.clear();
  run.metrics.registry.resetMetrics();
  run.cpuAt = process.cpuUsage();
  return undefined;
}

async function stop(): Promise<{ stoppedAt: number; outcome: string }> {
  const run = required();
  run.abort.abort();
  const outcome = await run.done;
  last = run;
  running = undefined;
  tracker.enabled = false;
  return { stoppedAt: Date.now(), outcome };
}

/**
 * Heap the cloud's own contents take (they are not the operator's): measured by dropping them. They
 * are put back afterwards (kept meanwhile as a serialized Buffer, outside the heap measured), so a
 * later phase (the delete) finds the cloud as the operator left it.
 */
function cloudShare() {
  if (!cloud) throw new Error('init first');
  const identities = cloud.identities.size;
  const grantSets = cloud.grantSets.size;
  const kept = serialize([[...cloud.identities], [...cloud.grantSets]]);
  const before = memory().heapUsed;
  cloud.identities.clear();
  cloud.grantSets.clear();
  const heapBytes = before - memory().heapUsed;
  const [keptIdentities, keptGrantSets] = deserialize(kept) as [
    [string, MemoryIdentity][],
    [string, MemoryGrantSet][],
  ];
  for (const [key, value] of keptIdentities) cloud.identities.set(key, value);
  for (const [key, value] of keptGrantSets) cloud.grantSets.set(key, value);
  return { heapBytes, identities, grantSets };
}

function required(): Running {
  if (!running) throw new Error('the operator is not running');
  return running;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'init':
      init = command.args;
      cloud = init.backend === 'aws' ? undefined : newCloud(init.cloud);
      return memory();
    case 'start':
      return start(command.args);
    case 'waitConverged':
      return waitConverged(command.args.timeoutMs);
    case 'waitDeleted':
      return waitDeleted(command.args.timeoutMs);
    case 'waitSynced': {
      const run = required();
      await run.synced;
      return run.timings;
    }
    case 'waitObserved':
      return waitObserved(command.args.objects, command.args.timeoutMs);
    case 'stats':
      return stats();
    case 'resetCounts':
      return resetCounts();
    case 'memory':
      return memory();
    case 'cloudShare':
      return cloudShare();
    case 'cloudEntries': {
      if (!cloud) throw new Error('init first (with the in-memory cloud)');
      return { identities: [...cloud.identities], grantSets: [...cloud.grantSets] };
    }
    case 'seedCloud': {
      if (!cloud) throw new Error('init first (with the in-memory cloud)');
      for (const [key, identity] of command.args.identities) cloud.identities.set(key, identity);
      for (const [key, grants] of command.args.grantSets) cloud.grantSets.set(key, grants);
      return undefined;
    }
    case 'profileStart':
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return undefined;
    case 'profileStop': {
      if (!profiler) throw new Error('no profile running');
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(command.args.path, JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return undefined;
    }
    case 'stop':
      return stop();
  }
}

process.on('message', (message: Request) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies Reply),
    (err: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      } satisfies Reply),
  );
});
// The driver went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
