import type { MemoryGrantSet, MemoryIdentity } from '../../src/providers/memory/memory-cloud.js';
import type { CloudProfile, LimiterRates } from '../profiles.js';

/** What the benchmark driver and the operator host say to each other over the IPC channel. */

/** How the operator host reaches the API server: as the operator's own ServiceAccount. */
export interface OperatorCredentials {
  server: string;
  caPem: string;
  token: string;
}

export interface InitArgs {
  credentials: OperatorCredentials;
  /**
   * memory (absent: memory): a MemoryCloud of the `cloud` profile behind memoryRegistry. aws: the
   * operator's default registry of real providers (`--cloud=real`), which reach AWS (moto) through
   * the CloudAccount's endpoint and credentials Secret; `cloud`, `limiter` and object tracking are
   * then unused and there are no cloud counts in the host (the driver counts at moto's proxy).
   */
  backend?: 'memory' | 'aws';
  cloud: CloudProfile;
  /** The client-side limiter the provider gets on every start; undefined: none. */
  limiter: LimiterRates | undefined;
  /** The baseline's calls in flight per kind; the operator's settings follow (operatorConcurrency). */
  workers: number;
}

export interface StartArgs {
  /** Objects the driver created: converged when all are Ready at their generation. */
  expect: { identities: number; bindings: number };
  /** Record every cloud call per object (restart spread, throttled retries); costs memory. */
  trackObjects: boolean;
  /** Empty the cloud's quota buckets just before the operator starts. */
  drainQuotas: boolean;
}

/** process.memoryUsage() after a full GC, in bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Epoch milliseconds of the moments of one operator run (undefined: not reached yet). */
export interface RunTimings {
  startedAt: number;
  syncedAt: number | undefined;
  firstReconcileAt: Partial<Record<string, number>>;
  convergedAt: number | undefined;
}

/** One failed reconcile that the controller scheduled for a retry (from its log line). */
export interface RetryRecord {
  at: number;
  retryInMs: number;
}

export interface ObjectRecord {
  reads: number;
  writes: number;
  throttled: number;
  firstCallAt: number;
  lastCallAt: number;
}

export interface HostStats {
  timings: RunTimings;
  /** MemoryCloud.calls and .throttled since the last reset, by operation. */
  cloudCalls: Record<string, number>;
  cloudThrottled: Record<string, number>;
  /** MemoryCloud.waited since the last reset: the mean of its latency waits as they ran (ms); none without calls. */
  cloudWaitedMs: number | undefined;
  /** keyless_kube_requests_total by verb. */
  kubeRequests: Record<string, number>;
  /** keyless_reconcile_total by "controller result". */
  reconciles: Record<string, number>;
  /** Mean reconcile duration by controller, from keyless_reconcile_duration_seconds. */
  reconcileMeanMs: Record<string, number>;
  /** Mean reconcile duration by "controller result" (a converging identity's is "WorkloadIdentity requeue"). */
  reconcileMeanMsByResult: Record<string, number>;
  /** Failures scheduled for retry, by object key ("Kind ns/name"). */
  retries: Record<string, RetryRecord[]>;
  /** Failures not retried (terminal). */
  terminalFailures: number;
  /** Per object, when trackObjects is on. */
  objects: Record<string, ObjectRecord>;
  /** Epoch ms of every read of an identity or grant set, when trackObjects is on. */
  readTimes: number[];
  /** process.cpuUsage() of the host since the run started, in ms. */
  cpuMs: { user: number; system: number };
}

export type Command =
  | { cmd: 'init'; args: InitArgs }
  | { cmd: 'start'; args: StartArgs }
  | { cmd: 'waitConverged'; args: { timeoutMs: number } }
  | { cmd: 'waitDeleted'; args: { timeoutMs: number } }
  | { cmd: 'waitSynced' }
  | { cmd: 'waitObserved'; args: { objects: number; timeoutMs: number } }
  | { cmd: 'stats' }
  | { cmd: 'resetCounts' }
  | { cmd: 'memory' }
  | { cmd: 'cloudShare' }
  | { cmd: 'cloudEntries' }
  | { cmd: 'seedCloud'; args: CloudEntries }
  | { cmd: 'profileStart' }
  | { cmd: 'profileStop'; args: { path: string } }
  | { cmd: 'stop' };

export interface Replies {
  init: MemorySample;
  start: RunTimings;
  waitConverged: RunTimings;
  /** When the informers last held a WorkloadIdentity or IdentityBinding (epoch ms). */
  waitDeleted: { deletedAt: number };
  /** The run's timings once every informer has synced (syncedAt set). */
  waitSynced: RunTimings;
  /** `at`: when the count was reached, or the deadline passed with `observed` objects. */
  waitObserved: { at: number; observed: number };
  stats: HostStats;
  resetCounts: undefined;
  memory: MemorySample;
  cloudShare: { heapBytes: number; identities: number; grantSets: number };
  cloudEntries: CloudEntries;
  seedCloud: undefined;
  profileStart: undefined;
  profileStop: undefined;
  stop: { stoppedAt: number; outcome: string };
}

/** The in-memory cloud's contents, by its own keys (the scale scenario copies them). */
export interface CloudEntries {
  identities: [string, MemoryIdentity][];
  grantSets: [string, MemoryGrantSet][];
}

export interface Request {
  id: number;
  command: Command;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
