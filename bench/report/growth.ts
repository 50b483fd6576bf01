import type { ConvergePoint } from '../results.js';

/** Growth of one figure from each converge point to the next, per object added. */
export interface GrowthStep {
  fromN: number;
  toN: number;
  /** Per object added between the two points. */
  perObject: number;
}

export interface Growth {
  figure: string;
  unit: string;
  steps: GrowthStep[];
  /** The last step's growth per object over the first's: about 1 when the figure grows linearly. */
  lastOverFirst: number | undefined;
}

/** Above this, the figure grows faster than linearly with N. */
export const SUPERLINEAR = 1.5;

const FIGURES: ReadonlyArray<{ figure: string; unit: string; of: (p: ConvergePoint) => number }> = [
  { figure: 'RSS after converging', unit: 'KB', of: (p) => p.operator.memory.after.rss / 1024 },
  { figure: 'heap used after converging', unit: 'KB', of: (p) => p.operator.memory.after.heapUsed / 1024 },
  { figure: 'converge time', unit: 'ms', of: (p) => p.operator.seconds * 1000 },
  { figure: 'operator CPU', unit: 'ms', of: (p) => p.operator.cpuSeconds.operator * 1000 },
  { figure: 'informer sync', unit: 'ms', of: (p) => p.operator.syncSeconds * 1000 },
];

/** How each figure grows with N across the run's converge points (at least two). */
export function growthOf(points: readonly ConvergePoint[]): Growth[] {
  const sorted = [...points].sort((a, b) => a.n - b.n);
  if (sorted.length < 2) return [];
  return FIGURES.map(({ figure, unit, of }) => {
    const steps: GrowthStep[] = [];
    for (let i = 1; i < sorted.length; i++) {
      const from = sorted[i - 1] as ConvergePoint;
      const to = sorted[i] as ConvergePoint;
      steps.push({ fromN: from.n, toN: to.n, perObject: (of(to) - of(from)) / (to.objects - from.objects) });
    }
    const first = steps[0]?.perObject ?? 0;
    const last = steps[steps.length - 1]?.perObject ?? 0;
    return { figure, unit, steps, lastOverFirst: first > 0 ? last / first : undefined };
  });
}

/**
 * The summary's table of growth per object between converge points; the CPU-profiled point is left
 * out (the profiler's own memory and CPU are in its figures).
 */
export function growthSection(points: readonly ConvergePoint[], profiledN: number | undefined): string[] {
  const growth = growthOf(points.filter((p) => p.n !== profiledN));
  if (growth.length === 0) return [];
  const steps = growth[0]?.steps ?? [];
  const lines = [
    '## Growth with N (per object added between converge points)',
    '',
    `| figure | ${steps.map((s) => `${s.fromN.toLocaleString('en-US')} → ${s.toN.toLocaleString('en-US')}`).join(' | ')} | last ÷ first |`,
    `| --- | ${steps.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const g of growth) {
    const ratio =
      g.lastOverFirst === undefined
        ? '–'
        : `${g.lastOverFirst.toFixed(2)}${g.lastOverFirst > SUPERLINEAR ? ' (faster than linear)' : ''}`;
    lines.push(
      `| ${g.figure} | ${g.steps.map((s) => `${s.perObject.toFixed(2)} ${g.unit}`).join(' | ')} | ${ratio} |`,
    );
  }
  lines.push(
    '',
    'A figure that grows linearly with N adds the same per object at every step (last ÷ first about 1); more than ' +
      `${SUPERLINEAR} says it grows faster than linearly. Converge time and CPU per object also move with the ` +
      "machine's other load (see the converge table).",
    '',
  );
  return lines;
}
