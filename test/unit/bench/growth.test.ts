import { describe, expect, it } from 'vitest';
import { growthOf, growthSection } from '../../../bench/report/growth.js';
import type { ConvergePoint } from '../../../bench/results.js';

const KB = 1024;

/** A converge point whose figures are `base + perObject × 2N` (superlinear: `+ square × (2N)²`). */
function point(n: number, square = 0): ConvergePoint {
  const objects = 2 * n;
  const grow = (base: number, perObject: number) => base + perObject * objects + square * objects * objects;
  return {
    n,
    objects,
    operator: {
      seconds: grow(1, 0.01),
      syncSeconds: grow(0.1, 0.0001),
      cpuSeconds: { operator: grow(0.5, 0.004), controlPlane: {} },
      memory: {
        after: { rss: grow(80 * KB * KB, 4 * KB), heapUsed: grow(10 * KB * KB, 2 * KB) },
      },
    },
  } as unknown as ConvergePoint;
}

describe('growth with N', () => {
  it('is the same per object at every step for figures that grow linearly', () => {
    const rss = growthOf([point(5000), point(1000), point(10_000)]).find(
      (g) => g.figure === 'RSS after converging',
    );
    expect(rss?.steps.map((s) => [s.fromN, s.toN, Math.round(s.perObject * 100) / 100])).toEqual([
      [1000, 5000, 4],
      [5000, 10_000, 4],
    ]);
    expect(rss?.lastOverFirst).toBeCloseTo(1, 5);
  });

  it('says when a figure grows faster than linearly', () => {
    const section = growthSection(
      [point(1000, 1e-6), point(5000, 1e-6), point(10_000, 1e-6)],
      undefined,
    ).join('\n');
    expect(section).toMatch(/\| converge time \|.*faster than linear/);
  });

  it('leaves the CPU-profiled point out, and needs two points', () => {
    expect(growthSection([point(1000), point(5000)], 1000)).toEqual([]);
    const section = growthSection([point(250), point(1000), point(5000)], 250).join('\n');
    expect(section).toContain('1,000 → 5,000');
    expect(section).not.toContain('250 →');
  });
});
