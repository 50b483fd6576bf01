import type { BaselineResult } from './baseline.js';
import type { ApiServerWrites, SeedResult } from './cluster.js';
import type { MemorySample } from './host/protocol.js';

/** Everything one `npm run bench` measured; written as bench/results/<timestamp>.json. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  durationSeconds: number;
  machine: Machine;
  settings: Settings;
  converge: ConvergePoint[];
  restart: RestartResult | undefined;
  throttled: ThrottledResult[];
  wire: WireProbe | undefined;
  /** The moto scenario; absent in runs before it existed or with --skip=moto. */
  moto?: MotoResult;
  /** The scale scenario; absent in runs before it existed or with --skip=scale. */
  scale?: ScaleResult;
  cpuProfile: CpuProfileSummary | undefined;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  kubeApiServer: string;
}

export interface Settings {
  /** The baseline's calls in flight per kind, and the operator's cloud calls in flight per kind. */
  workers: number;
  /**
   * The operator's reconciles per kind (absent before 2026-12-07: as many as `workers`, with no bound
   * on cloud calls of their own).
   */
  reconcilers?: number;
  convergeCloud: string;
  /** The converge cloud's latency per call (absent in runs before it was an option: 30). */
  convergeLatencyMs?: number;
  throttledCloud: string;
  resyncSeconds: number;
  backend: string;
  /** The operator's V8 heap (absent in runs before it was sized: V8's default for the machine). */
  heap?: string;
}

export interface ConvergePoint {
  n: number;
  objects: number;
  seed: SeedResult;
  operator: {
    seconds: number;
    objectsPerSecond: number;
    syncSeconds: number;
    firstReconcileSeconds: number;
    cloudCalls: Record<string, number>;
    /** Per WorkloadIdentity (identity operations) and per IdentityBinding (grant operations). */
    cloudCallsPerObject: Record<string, number>;
    /**
     * The mean of the cloud's latency waits as they ran in the operator's process (ms): the
     * latency, and how late its timers ran. Absent in older runs.
     */
    cloudWaitedMs?: number;
    kubeRequests: Record<string, number>;
    kubeWritesPerObject: number;
    /** The writes the issue expects: status and finalizer (API server's count). Absent before 2026-11-25 22:00. */
    statusAndFinalizerWritesPerObject?: number;
    apiServerWrites: ApiServerWrites;
    reconciles: Record<string, number>;
    /** Mean reconcile duration by controller (ms); the cloud's share is 2 calls × its latency. Absent in older runs. */
    reconcileMeanMs?: Record<string, number>;
    /**
     * Mean reconcile duration by "controller result" (ms): "WorkloadIdentity requeue" are the
     * reconciles that converged an identity, without those that only waited. Absent in older runs.
     */
    reconcileMeanMsByResult?: Record<string, number>;
    /**
     * During the converge. `others`: the machine's busy CPU less the operator, the control plane and
     * the driver: other work on a shared machine, which slows Keyless (not the baseline, which
     * mostly sleeps). Absent in older runs.
     */
    cpuSeconds: { operator: number; controlPlane: Record<string, number>; others?: number };
    memory: MemoryFigures;
  };
  baseline: BaselineResult;
  /** operator objects/s ÷ baseline objects/s, measured in the same run. */
  ratio: number;
  /** Deleting every pair on the converged cluster. Absent in runs before 2026-12-02. */
  delete?: DeleteResult;
}

/**
 * The delete phase of a converge point: the driver deletes all 2N objects while the operator is
 * stopped, then the operator starts and finalizes them. Runs before 2026-12-05 sent the DELETEs
 * with the operator running and timed from the first of them.
 */
export interface DeleteResult {
  /** From the operator's start until its informers held no WorkloadIdentity or IdentityBinding. */
  seconds: number;
  /** How long the driver took to send the 2N DELETEs (before the operator started: not in `seconds`). */
  requestedSeconds: number;
  objectsPerSecond: number;
  /** Delete seconds ÷ the same point's converge seconds. */
  ratioToConverge: number;
  /** During the delete, by operation. */
  cloudCalls: Record<string, number>;
  /** The same per WorkloadIdentity + IdentityBinding pair. */
  cloudCallsPerPair: Record<string, number>;
  /** The operator's own requests (keyless_kube_requests_total) by verb. */
  kubeRequests: Record<string, number>;
  /** The operator's writes (PATCH, POST, PUT, DELETE) per pair. */
  kubeWritesPerPair: number;
  /** The API server's count, the driver's 2N DELETEs included. */
  apiServerWrites: ApiServerWrites;
  reconciles: Record<string, number>;
  /** Mean reconcile duration by controller during the delete (ms). */
  reconcileMeanMs: Record<string, number>;
}

/**
 * How long after converging the operator's RSS is read again, idle: its MemoryTrimmer checks every
 * 10 s and returns the heap pages V8 pooled during the burst.
 */
export const SETTLE_FOR_MEMORY_MS = 20_000;

export interface MemoryFigures {
  /** The operator host before runOperatorProcess: Node, tsx, the modules, an empty cloud. */
  before: MemorySample;
  /** Right after converging. */
  after: MemorySample;
  /**
   * SETTLE_FOR_MEMORY_MS later, the operator idle, once its MemoryTrimmer has returned the pages V8
   * pooled during the converge (absent in runs before there was one).
   */
  settled?: MemorySample;
  /** Heap held by the in-memory cloud's own contents (not the operator's). */
  cloudHeapBytes: number;
}

export interface RestartResult {
  n: number;
  resyncSeconds: number;
  stopSeconds: number;
  syncSeconds: number;
  firstReconcileSeconds: number;
  /** Until every object had been re-observed once; undefined when that took longer than was watched. */
  passSeconds: number | undefined;
  /** Objects re-observed at least once while watched. Absent in older runs. */
  reobservedInPass?: number;
  observedSeconds: number;
  cloudCalls: Record<string, number>;
  cloudWrites: number;
  kubeRequests: Record<string, number>;
  kubeWrites: number;
  apiServerWrites: ApiServerWrites;
  /** API-server writes to anything but the CloudAccount (whose status records the benchmark's own change). */
  objectWrites: number;
  reconciles: number;
  readsPerReobservation: number;
  maxReadsPerObjectInPass: number;
  /** The window after the pass (with --steady or --full): resync-driven re-observations only. */
  steady:
    | { seconds: number; reconciles: number; reads: number; writes: number; kubeWrites: number }
    | undefined;
  /**
   * Objects by the tenth of the resync interval in which they were first re-observed after the
   * restart (the tenths watched in full); the first tenth's share of all 2N objects.
   */
  spread: { tenths: number[]; firstTenthShare: number };
  memory: MemorySample;
}

/**
 * N + N objects converged before the operator starts (bench/scenarios/scale.ts: pair 0 converged by
 * the operator, copied to the other pairs by the driver), then the operator's start on them.
 */
export interface ScaleResult {
  n: number;
  objects: number;
  resyncSeconds: number;
  cloudLatencyMs: number;
  /** Copying the template pair to pairs 1 to N - 1 (five API requests each, and the cloud's entries). */
  seedSeconds: number;
  syncSeconds: number;
  /** Until every object had been re-observed once; undefined when not within 1.25 resync intervals. */
  passSeconds: number | undefined;
  reobserved: number;
  spread: { tenths: number[]; firstTenthShare: number };
  cloudCalls: Record<string, number>;
  cloudWrites: number;
  readsPerReobservation: number;
  /** keyless_reconcile_total by "controller result", and mean durations (ms) by controller. */
  reconciles: Record<string, number>;
  reconcileMeanMs: Record<string, number>;
  kubeRequests: Record<string, number>;
  /** The operator's own writes (keyless_kube_requests_total). */
  kubeWrites: number;
  apiServerWrites: ApiServerWrites;
  /** API-server writes to anything but the CloudAccount (whose status records each start's account check). */
  objectWrites: number;
  cpuSeconds: { operator: number; controlPlane: Record<string, number> };
  memory: {
    /** The operator host before this start: the operator's code loaded, the cloud's contents in place. */
    beforeStart: MemorySample;
    /** Once the informers hold every object (after a forced GC). */
    atSync: MemorySample;
    /** After the pass (after a forced GC); the host's per-object call records included. */
    afterPass: MemorySample;
    /** Heap held by the in-memory cloud's own contents (in the operator's process, not the operator's). */
    cloudHeapBytes: number;
    trackedObjects: number;
  };
}

export interface ThrottledResult {
  n: number;
  objects: number;
  cloud: string;
  limiter: string;
  /** objects/s the cloud's quotas allow at the minimum calls per object (1 read + 1 write). */
  ceilingObjectsPerSecond: number;
  operator: {
    seconds: number;
    objectsPerSecond: number;
    fractionOfCeiling: number;
    cloudCalls: Record<string, number>;
    cloudThrottled: Record<string, number>;
    retries: RetryFigures;
    reconciles: Record<string, number>;
    /** Each failed reconcile records its failure in status (and an Event, deduplicated). Absent in older runs. */
    kubeWritesPerObject?: number;
  };
  baseline: BaselineResult & { fractionOfCeiling: number };
  ratio: number;
}

export interface RetryFigures {
  total: number;
  perObject: number;
  maxPerObject: number;
  /** The most retries the controller's backoff (5 ms doubling) would allow in that object's span. */
  backoffBoundForMax: number;
  objectsOverBound: number;
  /** Retries that came sooner than the delay the work queue had scheduled. */
  earlierThanScheduled: number;
  throttledCallsPerObject: number;
}

export interface WireProbe {
  calls: number;
  concurrency: number;
  callsPerSecond: number;
  cpuMsPerCall: number;
  memoryCallsPerSecond: number;
  memoryCpuMsPerCall: number;
}

export interface CpuProfileSummary {
  file: string;
  scenario: string;
  totalSeconds: number;
  byCategory: { name: string; share: number }[];
  topFunctions: { name: string; where: string; share: number }[];
}

/** The real AWS provider converging N + N objects on moto, against a bare-SDK script on the same moto. */
export type MotoResult = { skipped: string } | MotoFigures;

/** What the operator process does with everything converged and nothing to do. */
export interface IdleResult {
  /** From converged to the window's start: the burst's own after-effects (an Event, a memory trim) land here. */
  settleSeconds: number;
  /** The window watched. */
  seconds: number;
  /** The operator process's CPU (user + system, from /proc in 10 ms ticks) in the window. */
  cpuSeconds: number;
  /** cpuSeconds scaled to 120 s, the figure (the peer's: 0.09–0.10). */
  cpuSecondsPer120s: number;
  /** Kubernetes requests the operator made in the window, by verb (its watches are open throughout). */
  kubeRequests: Record<string, number>;
  /** IAM and STS calls in the window, as moto's proxy counted them. */
  cloudCalls: Record<string, number>;
  /** Reconciles in the window, by "controller result". */
  reconciles: Record<string, number>;
}

export interface MotoFigures {
  /** Deleting every pair once converged, IAM calls as moto's proxy counted them. */
  delete?: DeleteResult;
  n: number;
  objects: number;
  seed: SeedResult;
  operator: {
    seconds: number;
    objectsPerSecond: number;
    syncSeconds: number;
    /** IAM and STS calls by action during the converge, as moto's proxy counted them. */
    calls: Record<string, number>;
    /** The role and policy actions per role (the account's own check is in `accountCalls`). */
    callsPerRole: Record<string, number>;
    /** The account check's calls (STS, the OIDC provider): per operator start, not per role. */
    accountCalls: Record<string, number>;
    /** The first start's calls, with no object yet: the account check that loaded the AWS SDK. */
    idleCalls: Record<string, number>;
    kubeRequests: Record<string, number>;
    /** keyless_kube_requests_total writes ÷ N (identity + binding pairs). */
    kubeWritesPerPair: number;
    apiServerWrites: ApiServerWrites;
    reconciles: Record<string, number>;
    cpuSeconds: { operator: number; perPair: number; moto: number; controlPlane: Record<string, number> };
    memory: {
      /** The host before runOperatorProcess: no provider loaded. */
      before: MemorySample;
      /** Operator running, its CloudAccount checked (AWS SDK loaded), no WorkloadIdentity or binding yet. */
      idle: MemorySample;
      after: MemorySample;
    };
  };
  baseline: {
    seconds: number;
    objectsPerSecond: number;
    calls: Record<string, number>;
    callsPerRole: Record<string, number>;
    /** The driver's CPU during the baseline (the SDK client), and moto's. */
    cpuSeconds: { client: number; perPair: number; moto: number };
  };
  /** operator objects/s ÷ baseline objects/s. */
  ratio: number;
  /** The operator left alone once converged, before the delete. Absent before 2026-12-07. */
  idle?: IdleResult;
  /**
   * After the delete, the same converge again with the account's spec.rateLimits at `qps` for reads
   * and writes, far above what moto answers: the client-side limiter out of the way. Absent before
   * 2026-12-07.
   */
  withoutLimiter?: {
    qps: number;
    seconds: number;
    objectsPerSecond: number;
    /** This converge's objects/s ÷ the baseline's. */
    ratio: number;
  };
  /**
   * Last, after another delete, the same converge with the defaults again, the operator's code warm
   * from the converges before, under the CPU profiler: where the operator's CPU goes on moto. Absent
   * before 2026-12-08.
   */
  profiled?: {
    seconds: number;
    objectsPerSecond: number;
    /** This converge's objects/s ÷ the baseline's. */
    ratio: number;
    cpuProfile: CpuProfileSummary;
  };
}
