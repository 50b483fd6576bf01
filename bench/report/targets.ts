import type { MemorySample } from '../host/protocol.js';
import type {
  BenchResults,
  ConvergePoint,
  MotoFigures,
  MotoResult,
  ScaleResult,
  ThrottledResult,
} from '../results.js';
import { statusAndFinalizerPerObject } from './format.js';

export const TARGETS = {
  ratio: 0.95,
  readsPerReobservation: 1,
  rssMb: 150,
  rssAtN: 10_000,
  /** RSS after converging the smaller point (1,000 + 1,000). */
  rssSmallMb: 110,
  rssSmallN: 1_000,
  throttledFraction: 0.9,
  /** API-server writes per WorkloadIdentity + IdentityBinding pair on a first converge. */
  kubeWritesPerPair: 5,
  /** A restart spreads its re-observations when the interval's first tenth holds at most twice its share. */
  firstTenthShare: 0.2,
  /** Deleting N pairs takes at most this many times as long as converging them. */
  deleteToConverge: 1,
  /** The scale scenario's N (N + N objects converged before the operator starts). */
  scaleN: 100_000,
} as const;

export interface TargetCheck {
  id:
    | 'ratio'
    | 'resync'
    | 'rss'
    | 'rssSmall'
    | 'restartWrites'
    | 'throttled'
    | 'kubeWrites'
    | 'spread'
    | 'delete'
    | 'scale'
    | MotoTargetId;
  target: string;
  figure: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
}

const MB = 1024 * 1024;

export function largest(results: BenchResults): ConvergePoint | undefined {
  return results.converge[results.converge.length - 1];
}

/** The throttled run that stands for Keyless as deployed: the real providers' default limiter. */
export function headlineThrottled(results: BenchResults): ThrottledResult | undefined {
  return results.throttled.find((t) => t.limiter === 'provider-default') ?? results.throttled[0];
}

export function checkTargets(results: BenchResults): TargetCheck[] {
  const point = largest(results);
  const restart = results.restart;
  const throttled = headlineThrottled(results);
  const checks: TargetCheck[] = [];
  checks.push({
    id: 'ratio',
    target: `converge throughput ≥ ${TARGETS.ratio}× the bare-SDK baseline at the same concurrency (DESIGN.md: 0.8×)`,
    figure: point ? `${point.ratio.toFixed(2)}× at N = ${point.n.toLocaleString('en-US')}` : 'not measured',
    met: point ? point.ratio >= TARGETS.ratio : undefined,
  });
  checks.push({
    id: 'resync',
    target: `≤ ${TARGETS.readsPerReobservation} cloud read per object per resync, 0 writes`,
    figure: restart
      ? `${restart.readsPerReobservation} cloud read${restart.readsPerReobservation === 1 ? '' : 's'} per re-observation (${restart.reconciles.toLocaleString('en-US')} ` +
        `re-observations${restart.steady ? `, ${restart.steady.reconciles.toLocaleString('en-US')} of them resync-driven` : ', after a restart'}), ` +
        `${restart.cloudWrites} cloud writes`
      : 'not measured',
    met: restart
      ? restart.readsPerReobservation <= TARGETS.readsPerReobservation && restart.cloudWrites === 0
      : undefined,
  });
  const atTarget = point && point.n >= TARGETS.rssAtN;
  checks.push({
    id: 'rss',
    target: `operator RSS ≤ ${TARGETS.rssMb} MB at 10,000 + 10,000 (DESIGN.md: 200 MB)`,
    figure: point
      ? `${rssFigure(point)} at N = ${point.n.toLocaleString('en-US')}${atTarget ? '' : ' (quick mode: 10,000 needs --full)'}`
      : 'not measured',
    met: rssMet(point),
  });
  checks.push(smallRssCheck(results));
  checks.push({
    id: 'restartWrites',
    target: '0 cloud writes after a restart',
    figure: restart ? `${restart.cloudWrites} cloud writes` : 'not measured',
    met: restart ? restart.cloudWrites === 0 : undefined,
  });
  checks.push({
    id: 'spread',
    target: `re-observations after a restart spread over the resync interval (≤ ${TARGETS.firstTenthShare * 100}% of objects in its first tenth)`,
    figure: restart
      ? `${Math.round(restart.spread.firstTenthShare * 100)}% in the first ${restart.resyncSeconds / 10} s of ${restart.resyncSeconds} s`
      : 'not measured',
    met: restart ? restart.spread.firstTenthShare <= TARGETS.firstTenthShare : undefined,
  });
  checks.push({
    id: 'throttled',
    target: `throttled throughput ≥ ${TARGETS.throttledFraction * 100}% of the cloud's ceiling`,
    figure: throttled
      ? results.throttled
          .map((t) => `${Math.round(t.operator.fractionOfCeiling * 100)}% (limiter ${t.limiter})`)
          .join(', ')
      : 'not measured',
    met: throttled ? throttled.operator.fractionOfCeiling >= TARGETS.throttledFraction : undefined,
  });
  checks.push({
    id: 'kubeWrites',
    target: `≤ ${TARGETS.kubeWritesPerPair} API-server writes per WorkloadIdentity + IdentityBinding pair on a first converge, 0 in steady state (after a restart)`,
    figure: point
      ? `${writesPerPair(point)} per pair (${point.operator.kubeWritesPerObject} per object; status and finalizer: ` +
        `${statusAndFinalizerPerObject(point)}); ${restart ? restart.objectWrites : 'not measured'} after a restart`
      : 'not measured',
    met: point
      ? writesPerPair(point) <= TARGETS.kubeWritesPerPair && (restart?.objectWrites ?? 0) === 0
      : undefined,
  });
  checks.push(deleteCheck(point));
  checks.push(...motoChecks(results.moto));
  checks.push(scaleCheck(results.scale));
  return checks;
}

/** The scale scenario: a start on 100,000 + 100,000 converged objects that re-observes them evenly and writes nothing. */
function scaleCheck(scale: ScaleResult | undefined): TargetCheck {
  const target =
    `scale: a start on ${TARGETS.scaleN.toLocaleString('en-US')} + ${TARGETS.scaleN.toLocaleString('en-US')} converged objects ` +
    `re-observes every one within 1.25 resync intervals, ≤ ${TARGETS.firstTenthShare * 100}% in the first tenth, with 0 writes`;
  if (!scale) return { id: 'scale', target, figure: 'not measured', met: undefined };
  const full = scale.n >= TARGETS.scaleN;
  const writes = scale.objectWrites + scale.cloudWrites;
  return {
    id: 'scale',
    target,
    figure:
      `N = ${scale.n.toLocaleString('en-US')}${full ? '' : ' (quick mode: 100,000 needs --full)'}: informers synced in ${scale.syncSeconds} s, ` +
      `${Math.round(scale.memory.atSync.rss / MB)} MB RSS (${Math.round(scale.memory.cloudHeapBytes / MB)} MB of it the in-memory cloud's), ` +
      `${scale.passSeconds === undefined ? `${scale.reobserved.toLocaleString('en-US')} of ${scale.objects.toLocaleString('en-US')} re-observed` : `all re-observed in ${scale.passSeconds} s of ${scale.resyncSeconds} s`}, ` +
      `${Math.round(scale.spread.firstTenthShare * 100)}% in the first tenth, ${writes} writes`,
    met: full
      ? scale.passSeconds !== undefined &&
        scale.spread.firstTenthShare <= TARGETS.firstTenthShare &&
        writes === 0
      : undefined,
  };
}

/** Deleting every pair of the largest point, against the same point's converge. */
function deleteCheck(point: ConvergePoint | undefined): TargetCheck {
  const deleted = point?.delete;
  return {
    id: 'delete',
    target: 'deleting N pairs takes no longer than converging them',
    figure:
      point && deleted
        ? `${deleted.seconds} s to delete against ${point.operator.seconds} s to converge ` +
          `(${deleted.ratioToConverge.toFixed(2)}×) at N = ${point.n.toLocaleString('en-US')}`
        : 'not measured',
    met: point && deleted ? deleted.ratioToConverge <= TARGETS.deleteToConverge : undefined,
  };
}

/** The moto scenario's targets (the benchmark issue's): the real AWS provider with default settings. */
export const MOTO_TARGETS = {
  ratio: 0.95,
  idleRssMb: 80,
  /** The peer's level (the issue: 0.09–0.10 CPU s per 120 s). */
  idleCpuPer120s: 0.1,
} as const;

export type MotoTargetId = 'motoRatio' | 'motoIdleRss' | 'motoIdleCpu' | 'motoDelete';

export function motoChecks(moto: MotoResult | undefined): TargetCheck[] {
  const figures = moto && !('skipped' in moto) ? moto : undefined;
  const missing = moto ? 'skipped: moto is not installed' : 'not measured';
  const idleRss = figures?.operator.memory.idle.rss;
  return [
    {
      id: 'motoRatio',
      target: `converge throughput on moto (real AWS provider, default settings) ≥ ${MOTO_TARGETS.ratio}× the bare-SDK baseline`,
      figure: figures
        ? `${figures.ratio.toFixed(2)}× at N = ${figures.n.toLocaleString('en-US')} (${figures.operator.objectsPerSecond} ` +
          `against ${figures.baseline.objectsPerSecond} objects/s)`
        : missing,
      met: figures ? figures.ratio >= MOTO_TARGETS.ratio : undefined,
    },
    {
      id: 'motoIdleRss',
      target: `idle RSS with the AWS SDK loaded ≤ ${MOTO_TARGETS.idleRssMb} MB`,
      figure:
        idleRss === undefined
          ? missing
          : `${Math.round(idleRss / MB)} MB (the account checked, before any identity or binding)`,
      met: idleRss === undefined ? undefined : idleRss <= MOTO_TARGETS.idleRssMb * MB,
    },
    {
      id: 'motoDelete',
      target: 'deleting N pairs on moto takes no longer than converging them',
      figure: figures?.delete
        ? `${figures.delete.seconds} s to delete against ${figures.operator.seconds} s to converge ` +
          `(${figures.delete.ratioToConverge.toFixed(2)}×) at N = ${figures.n.toLocaleString('en-US')}`
        : figures
          ? 'not measured'
          : missing,
      met: figures?.delete ? figures.delete.ratioToConverge <= TARGETS.deleteToConverge : undefined,
    },
    idleCpuCheck(figures, missing),
  ];
}

/** The operator with N + N converged and nothing to do, on the real AWS provider. */
function idleCpuCheck(figures: MotoFigures | undefined, missing: string): TargetCheck {
  const target = `idle CPU with N + N converged (real AWS provider, default settings) ≤ ${MOTO_TARGETS.idleCpuPer120s} CPU s per 120 s`;
  const idle = figures?.idle;
  if (!figures || !idle)
    return { id: 'motoIdleCpu', target, figure: figures ? 'not measured' : missing, met: undefined };
  return {
    id: 'motoIdleCpu',
    target,
    figure:
      `${idle.cpuSecondsPer120s} CPU s per 120 s at N = ${figures.n.toLocaleString('en-US')} ` +
      `(${idle.cpuSeconds} s in ${idle.seconds} s, ${idle.settleSeconds} s after converging)`,
    met: idle.cpuSecondsPer120s <= MOTO_TARGETS.idleCpuPer120s,
  };
}

/** Writes per pair, from the per-object figure (a pair is two objects). */
export function writesPerPair(point: ConvergePoint): number {
  return Math.round(point.operator.kubeWritesPerObject * 2 * 100) / 100;
}

/** The converge point run under the CPU profiler (the smallest, when the run has a profile). */
export function profiledN(results: BenchResults): number | undefined {
  return results.cpuProfile ? results.converge[0]?.n : undefined;
}

/** The converge point of the smaller RSS target (1,000 + 1,000), when the run has it. */
export function smallPoint(results: BenchResults): ConvergePoint | undefined {
  return results.converge.find((p) => p.n === TARGETS.rssSmallN);
}

/** RSS after converging 1,000 + 1,000, when the run has that point and it was not profiled. */
function smallRssCheck(results: BenchResults): TargetCheck {
  const small = smallPoint(results);
  const profiled = small !== undefined && small.n === profiledN(results);
  const target = `operator RSS ≤ ${TARGETS.rssSmallMb} MB at 1,000 + 1,000`;
  if (!small)
    return { id: 'rssSmall', target, figure: 'not measured (no point at N = 1,000)', met: undefined };
  return {
    id: 'rssSmall',
    target,
    figure: `${rssFigure(small)}${profiled ? ' (under the CPU profiler, whose samples it holds: not judged)' : ''}`,
    met: profiled ? undefined : judgedMemory(small).rss <= TARGETS.rssSmallMb * MB,
  };
}

/** Below 10,000 objects only a miss is conclusive: RSS grows with N. */
function rssMet(point: ConvergePoint | undefined): boolean | undefined {
  if (!point) return undefined;
  const within = judgedMemory(point).rss <= TARGETS.rssMb * MB;
  if (point.n >= TARGETS.rssAtN || !within) return within;
  return undefined;
}

/**
 * The memory a target is judged on: the operator's once idle after converging, where the run has it
 * (its MemoryTrimmer has returned the pages V8 pooled during the burst), else right after.
 */
export function judgedMemory(point: ConvergePoint): MemorySample {
  return point.operator.memory.settled ?? point.operator.memory.after;
}

function rssFigure(point: ConvergePoint): string {
  const { after, settled } = point.operator.memory;
  return settled
    ? `${Math.round(settled.rss / MB)} MB once idle (${Math.round(after.rss / MB)} MB right after converging)`
    : `${Math.round(after.rss / MB)} MB`;
}

export function mark(met: boolean | undefined): string {
  if (met === undefined) return '–';
  return met ? '✅ met' : '❌ missed';
}
