import type { ConvergePoint, CpuProfileSummary } from '../results.js';

/** Writes per WorkloadIdentity + IdentityBinding pair; a handful in all (the CloudAccount) as a count. */
export function perPair(writes: Record<string, number>, pairs: number): string {
  return Object.entries(writes)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([what, count]) => `${what} ${count >= pairs / 10 ? (count / pairs).toFixed(2) : `(${count} in all)`}`,
    )
    .join(', ');
}

/** PATCHes of the Keyless objects themselves (finalizers) and of their status: what the issue expects. */
export function statusAndFinalizerWrites(writes: Record<string, number>): number {
  return Object.entries(writes)
    .filter(([what]) => /^PATCH (workloadidentities|identitybindings)(\/status)?$/.test(what))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** Status and finalizer writes per object (2N objects), from the API server's counts. */
export function statusAndFinalizerPerObject(point: ConvergePoint): number {
  return Math.round((statusAndFinalizerWrites(point.operator.apiServerWrites) / point.objects) * 100) / 100;
}

/**
 * What the machine's cores allow at this run's CPU cost: every process's CPU seconds during the
 * converge, spread perfectly over the cores, against the baseline's wall time. A higher ratio
 * needs less CPU per object (Keyless's and the API server's it causes), more cores, or a control
 * plane on cores of its own.
 */
/**
 * How long the cloud's latency waits lasted as they ran, in the operator's process and the
 * baseline's; undefined in runs that did not measure them.
 */
export function cloudWaits(point: ConvergePoint): string | undefined {
  const operator = point.operator.cloudWaitedMs;
  const baseline = point.baseline.cloudWaitedMs;
  if (operator === undefined || baseline === undefined) return undefined;
  return `${operator.toFixed(1)} ms on average in the operator's process, ${baseline.toFixed(1)} ms in the baseline's`;
}

export function cpuBound(cpuSeconds: Record<string, number>, cores: number, baselineSeconds: number): string {
  const total = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
  const floorSeconds = total / cores;
  const parts = Object.entries(cpuSeconds)
    .filter(([, s]) => s > 0)
    .map(([name, s]) => `${name} ${s.toFixed(2)}`)
    .join(', ');
  return (
    `The converge used ${total.toFixed(1)} CPU s (${parts}): on ${cores} cores that alone takes ` +
    `${floorSeconds.toFixed(1)} s, against the baseline's ${baselineSeconds.toFixed(1)} s: at this CPU cost ` +
    `the ratio could not exceed ${(baselineSeconds / floorSeconds).toFixed(2)}× on this machine.`
  );
}

/**
 * A CPU profile's self time by where the code lives and its ten busiest functions, then its file
 * and `remark` (a sentence) after it.
 */
export function profileLines(p: CpuProfileSummary, remark?: string): string[] {
  return [
    `Self time by where the code lives: ${p.byCategory
      .slice(0, 8)
      .map((c) => `${c.name} ${Math.round(c.share * 100)}%`)
      .join(', ')}.`,
    '',
    '| function | where | self |',
    '| --- | --- | --- |',
    ...p.topFunctions.slice(0, 10).map((f) => `| ${f.name} | ${f.where} | ${(f.share * 100).toFixed(1)}% |`),
    '',
    `Profile: \`${p.file}\` (not committed; open it in Chrome DevTools or speedscope).${remark ? ` ${remark}` : ''}`,
  ];
}
