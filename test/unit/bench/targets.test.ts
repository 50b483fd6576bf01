import { describe, expect, it } from 'vitest';
import { checkTargets, TARGETS, type TargetCheck, writesPerPair } from '../../../bench/report/targets.js';
import type { BenchResults, ConvergePoint, ScaleResult } from '../../../bench/results.js';

const MB = 1024 * 1024;

/** A converge point with only the figures the RSS and write checks read. */
function point(n: number, rssMb: number, kubeWritesPerObject = 2.5): ConvergePoint {
  return {
    n,
    objects: 2 * n,
    ratio: 0.9,
    operator: {
      seconds: 10,
      kubeWritesPerObject,
      statusAndFinalizerWritesPerObject: 2,
      apiServerWrites: {},
      memory: { after: { rss: rssMb * MB } },
    },
  } as unknown as ConvergePoint;
}

function results(converge: ConvergePoint[], extra: Partial<BenchResults> = {}): BenchResults {
  return {
    converge,
    restart: undefined,
    throttled: [],
    cpuProfile: undefined,
    ...extra,
  } as BenchResults;
}

const byId = (checks: TargetCheck[], id: TargetCheck['id']): TargetCheck | undefined =>
  checks.find((check) => check.id === id);

describe('the RSS target at 1,000 + 1,000', () => {
  it('is judged against 110 MB at the N = 1,000 point', () => {
    expect(byId(checkTargets(results([point(1000, 110)])), 'rssSmall')).toMatchObject({
      figure: '110 MB',
      met: true,
    });
    expect(byId(checkTargets(results([point(1000, 111)])), 'rssSmall')?.met).toBe(false);
  });

  it('is not judged when that point ran under the CPU profiler, and says so', () => {
    const profiled = results([point(1000, 90), point(5000, 140)], {
      cpuProfile: {} as BenchResults['cpuProfile'],
    });
    expect(byId(checkTargets(profiled), 'rssSmall')).toMatchObject({
      figure: '90 MB (under the CPU profiler, whose samples it holds: not judged)',
      met: undefined,
    });
  });

  it('says when the run has no N = 1,000 point', () => {
    expect(byId(checkTargets(results([point(500, 90)])), 'rssSmall')).toMatchObject({
      figure: 'not measured (no point at N = 1,000)',
      met: undefined,
    });
  });
});

describe('the RSS target at 10,000 + 10,000', () => {
  it('is judged at 10,000; below it only a miss is conclusive', () => {
    expect(byId(checkTargets(results([point(TARGETS.rssAtN, 150)])), 'rss')?.met).toBe(true);
    expect(byId(checkTargets(results([point(TARGETS.rssAtN, 151)])), 'rss')?.met).toBe(false);
    expect(byId(checkTargets(results([point(5000, 120)])), 'rss')).toMatchObject({
      figure: '120 MB at N = 5,000 (quick mode: 10,000 needs --full)',
      met: undefined,
    });
    expect(byId(checkTargets(results([point(5000, 160)])), 'rss')?.met).toBe(false);
  });

  it('is judged on the RSS once idle where the run read it, and shows both', () => {
    const idle = (rssMb: number, idleMb: number) => {
      const p = point(TARGETS.rssAtN, rssMb);
      p.operator.memory.settled = { rss: idleMb * MB } as ConvergePoint['operator']['memory']['after'];
      return p;
    };
    expect(byId(checkTargets(results([idle(190, 140)])), 'rss')).toMatchObject({
      figure: '140 MB once idle (190 MB right after converging) at N = 10,000',
      met: true,
    });
    expect(byId(checkTargets(results([idle(140, 151)])), 'rss')?.met).toBe(false);
  });
});

describe('API-server writes per pair', () => {
  it('counts a pair as two objects, to two decimals', () => {
    expect(writesPerPair(point(1000, 100, 2.5))).toBe(5);
    expect(writesPerPair(point(1000, 100, 2.523))).toBe(5.05);
  });

  it('misses the target above 5 per pair or with any write after a restart', () => {
    const restart = (objectWrites: number) =>
      ({
        objectWrites,
        cloudWrites: 0,
        readsPerReobservation: 1,
        reconciles: 2000,
        steady: undefined,
        resyncSeconds: 300,
        spread: { tenths: [], firstTenthShare: 0.1 },
      }) as unknown as BenchResults['restart'];
    expect(byId(checkTargets(results([point(1000, 100, 2.5)])), 'kubeWrites')?.met).toBe(true);
    expect(byId(checkTargets(results([point(1000, 100, 2.6)])), 'kubeWrites')?.met).toBe(false);
    expect(
      byId(checkTargets(results([point(1000, 100, 2.5)], { restart: restart(0) })), 'kubeWrites')?.met,
    ).toBe(true);
    expect(
      byId(checkTargets(results([point(1000, 100, 2.5)], { restart: restart(1) })), 'kubeWrites')?.met,
    ).toBe(false);
  });
});

describe('the scale target', () => {
  function scale(n: number, overrides: Partial<ScaleResult> = {}): ScaleResult {
    return {
      n,
      objects: 2 * n,
      resyncSeconds: 300,
      syncSeconds: 12.5,
      passSeconds: 290,
      reobserved: 2 * n,
      spread: { tenths: [], firstTenthShare: 0.1 },
      cloudWrites: 0,
      objectWrites: 0,
      memory: { atSync: { rss: 400 * MB }, cloudHeapBytes: 60 * MB },
      ...overrides,
    } as ScaleResult;
  }
  const check = (s: ScaleResult) => byId(checkTargets(results([], { scale: s })), 'scale');

  it('is met at 100,000 when every object is re-observed, spread, with no write', () => {
    expect(check(scale(TARGETS.scaleN))).toMatchObject({
      met: true,
      figure:
        "N = 100,000: informers synced in 12.5 s, 400 MB RSS (60 MB of it the in-memory cloud's), " +
        'all re-observed in 290 s of 300 s, 10% in the first tenth, 0 writes',
    });
  });

  it('is missed by a write, a burst or an unfinished pass', () => {
    expect(check(scale(TARGETS.scaleN, { objectWrites: 1 }))?.met).toBe(false);
    expect(check(scale(TARGETS.scaleN, { cloudWrites: 1 }))?.met).toBe(false);
    expect(check(scale(TARGETS.scaleN, { spread: { tenths: [], firstTenthShare: 0.3 } }))?.met).toBe(false);
    const unfinished = check(scale(TARGETS.scaleN, { passSeconds: undefined, reobserved: 150_000 }));
    expect(unfinished?.met).toBe(false);
    expect(unfinished?.figure).toContain('150,000 of 200,000 re-observed');
  });

  it('is not judged below 100,000', () => {
    expect(check(scale(2000))).toMatchObject({ met: undefined });
    expect(check(scale(2000))?.figure).toContain('(quick mode: 100,000 needs --full)');
  });
});
