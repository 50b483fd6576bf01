import { describe, expect, it } from 'vitest';
import type { MemorySample } from '../../../bench/host/protocol.js';
import { perRole } from '../../../bench/moto.js';
import { beyondBaseline, motoNote, motoSection } from '../../../bench/report/moto-summary.js';
import { MOTO_TARGETS, motoChecks } from '../../../bench/report/targets.js';
import type { MotoFigures, Settings } from '../../../bench/results.js';

const MB = 1024 * 1024;
const sample = (rssMb: number): MemorySample => ({
  rss: rssMb * MB,
  heapUsed: 20 * MB,
  heapTotal: 40 * MB,
  external: 0,
  arrayBuffers: 0,
});

function figures(ratio: number, idleRssMb: number): MotoFigures {
  return {
    n: 300,
    objects: 600,
    seed: { objects: 600, seconds: 1 },
    operator: {
      seconds: 14,
      objectsPerSecond: 42.9,
      syncSeconds: 0.1,
      calls: { GetRole: 600, CreateRole: 300, GetCallerIdentity: 1 },
      callsPerRole: { GetRole: 2, CreateRole: 1 },
      accountCalls: { GetCallerIdentity: 1 },
      idleCalls: { GetCallerIdentity: 1, CreateOpenIDConnectProvider: 1 },
      kubeRequests: { PATCH: 1500, POST: 300 },
      kubeWritesPerPair: 6,
      apiServerWrites: { 'PATCH workloadidentities/status': 300 },
      reconciles: {},
      cpuSeconds: { operator: 9, perPair: 0.03, moto: 10, controlPlane: { 'kube-apiserver': 5, etcd: 1 } },
      memory: { before: sample(90), idle: sample(idleRssMb), after: sample(130) },
    },
    baseline: {
      seconds: 5,
      objectsPerSecond: 120,
      calls: { GetRole: 300, CreateRole: 300 },
      callsPerRole: { GetRole: 1, CreateRole: 1 },
      cpuSeconds: { client: 2, perPair: 0.0067, moto: 4.5 },
    },
    ratio,
  };
}

describe('motoChecks', () => {
  it('meets the ratio at the target and misses it below', () => {
    const [atTarget] = motoChecks(figures(MOTO_TARGETS.ratio, 70));
    const [below] = motoChecks(figures(0.5, 70));
    expect(atTarget?.met).toBe(true);
    expect(below?.met).toBe(false);
    expect(below?.figure).toBe('0.50× at N = 300 (42.9 against 120 objects/s)');
  });

  it('judges the idle RSS with the AWS SDK loaded against 80 MB', () => {
    expect(motoChecks(figures(1, 80))[1]?.met).toBe(true);
    expect(motoChecks(figures(1, 81))[1]?.met).toBe(false);
  });

  it('judges the delete against the same converge, and says when it was not measured', () => {
    const converged = figures(1, 70);
    expect(motoChecks(converged)[2]).toMatchObject({
      id: 'motoDelete',
      figure: 'not measured',
      met: undefined,
    });
    const deleted = (seconds: number) => ({
      ...converged,
      delete: { seconds, ratioToConverge: seconds / converged.operator.seconds } as NonNullable<
        MotoFigures['delete']
      >,
    });
    expect(motoChecks(deleted(14))[2]?.met).toBe(true);
    expect(motoChecks(deleted(15))[2]).toMatchObject({
      met: false,
      figure: '15 s to delete against 14 s to converge (1.07×) at N = 300',
    });
  });

  it('judges the idle CPU per 120 s against the peer level, and says when a run has none', () => {
    const idle = (cpuSeconds: number): NonNullable<MotoFigures['idle']> => ({
      settleSeconds: 30,
      seconds: 120.1,
      cpuSeconds,
      cpuSecondsPer120s: Math.round(((cpuSeconds * 120) / 120.1) * 1000) / 1000,
      kubeRequests: {},
      cloudCalls: {},
      reconciles: {},
    });
    const check = (cpuSeconds?: number) =>
      motoChecks({ ...figures(1, 70), ...(cpuSeconds === undefined ? {} : { idle: idle(cpuSeconds) }) }).find(
        (c) => c.id === 'motoIdleCpu',
      );
    expect(check(0.1)).toMatchObject({
      met: true,
      figure: '0.1 CPU s per 120 s at N = 300 (0.1 s in 120.1 s, 30 s after converging)',
    });
    expect(check(0.11)?.met).toBe(false);
    expect(check()).toMatchObject({ figure: 'not measured', met: undefined });
  });

  it('names what the idle operator asked of Kubernetes and the cloud when it misses', () => {
    const moto: MotoFigures = {
      ...figures(1, 70),
      idle: {
        settleSeconds: 30,
        seconds: 120,
        cpuSeconds: 0.9,
        cpuSecondsPer120s: 0.9,
        kubeRequests: { GET: 12 },
        cloudCalls: {},
        reconciles: { 'WorkloadIdentity success': 3 },
      },
    };
    const note = motoNote(moto, 'motoIdleCpu', 2);
    expect(note).toContain('**Idle CPU 0.9 CPU s per 120 s** (target ≤ 0.1');
    expect(note).toContain(
      'Kubernetes requests: GET 12; IAM calls: none; reconciles: WorkloadIdentity success 3.',
    );
    expect(motoSection(moto, { workers: 4, reconcilers: 8 } as Settings).join('\n')).toContain(
      '| idle, converged: operator CPU s per 120 s (0.9 s in 120 s, from 30 s after converging) | **0.9** |',
    );
    expect(motoNote(figures(1, 70), 'motoIdleCpu', 2)).toBeUndefined();
  });

  it('measures nothing when the scenario was skipped or did not run', () => {
    for (const moto of [{ skipped: 'moto is not installed' }, undefined]) {
      for (const check of motoChecks(moto)) expect(check.met).toBeUndefined();
    }
    expect(motoChecks({ skipped: 'x' })[0]?.figure).toBe('skipped: moto is not installed');
  });
});

describe('the moto report', () => {
  it('counts calls per role without the account check', () => {
    expect(
      perRole({ GetRole: 600, CreateRole: 300, GetCallerIdentity: 2, GetOpenIDConnectProvider: 2 }, 300),
    ).toEqual({
      GetRole: 2,
      CreateRole: 1,
    });
  });

  it('lists the calls per role Keyless made beyond the baseline', () => {
    expect(
      beyondBaseline(
        { GetRole: 2, CreateRole: 1, GetServiceLastAccessedDetails: 1 },
        { GetRole: 1, CreateRole: 1 },
      ),
    ).toBe('GetRole +1, GetServiceLastAccessedDetails +1');
    expect(beyondBaseline({ GetRole: 1 }, { GetRole: 1 })).toBe('');
  });

  it('says why the scenario was skipped', () => {
    expect(
      motoSection({ skipped: 'moto is not installed' }, { workers: 4, reconcilers: 8 } as Settings),
    ).toContain('Skipped: moto is not installed');
  });

  it('puts the idle RSS beside what was there before the provider loaded', () => {
    expect(motoNote(figures(1, 105), 'motoIdleRss', 2)).toContain('105 MB** (target ≤ 80): 90 MB before');
    expect(motoNote({ skipped: 'x' }, 'motoRatio', 2)).toBeUndefined();
  });

  it('says what ratio the cores allow: all CPU seconds of the converge spread over them, against the baseline', () => {
    // 9 + 10 + 5 + 1 = 25 CPU s on 2 cores: 12.5 s at best, against the baseline's 5 s.
    const note = motoNote(figures(0.36, 80), 'motoRatio', 2);
    expect(note).toContain(
      'The converge used 25.0 CPU s (operator 9.00, moto 10.00, kube-apiserver 5.00, etcd 1.00)',
    );
    expect(note).toContain(
      "on 2 cores that alone takes 12.5 s, against the baseline's 5.0 s: at this CPU cost the ratio could not exceed 0.40×",
    );
    expect(motoNote(figures(0.36, 80), 'motoRatio', 4)).toContain('exceed 0.80×');
    // Moto 4.5 CPU s in the baseline's 5 s: busy 90%, so the one-thread remark is made.
    expect(note).toContain('Moto answers on one thread');
  });

  it('says what the ratio could be with no operator CPU at all: moto and the control plane alone', () => {
    // 10 + 5 + 1 = 16 CPU s on 2 cores: 8 s, against the baseline's 5 s.
    expect(motoNote(figures(0.36, 80), 'motoRatio', 2)).toContain(
      "Even an operator using no CPU at all would leave moto's and the control plane's 16.0 CPU s, 8.0 s on 2 cores: a ratio of at most 0.63× here.",
    );
  });

  it('sets the converge with the limiter out of the way beside the one with the defaults', () => {
    const limited = {
      ...figures(0.36, 80),
      withoutLimiter: { qps: 10_000, seconds: 13.5, objectsPerSecond: 44.4, ratio: 0.37 },
    };
    const note = motoNote(limited, 'motoRatio', 2);
    expect(note).toContain(
      'Run again with spec.rateLimits at 10,000/s, which no call waits for, the same converge took 13.5 s (ratio 0.37): the defaults gave 0.97× that throughput, so they are not what holds the ratio back.',
    );
    expect(motoSection(limited, { workers: 4, reconcilers: 8 } as Settings)).toContain(
      '| again, spec.rateLimits at 10,000/s (no limiter in effect): converge s, ratio | 13.5, 0.37 | |',
    );
    const slower = { ...limited, withoutLimiter: { ...limited.withoutLimiter, objectsPerSecond: 60 } };
    expect(motoNote(slower, 'motoRatio', 2)).toContain('the defaults gave 0.71× that throughput. ');
    expect(motoNote(figures(0.36, 80), 'motoRatio', 2)).not.toContain('Run again');
  });

  it('sets the profiled third converge, the code warm, beside the one without the limiter, and shows its profile', () => {
    const cpuProfile = {
      file: 'bench/results/2026-12-08T00-00-00-moto.cpuprofile',
      scenario: 'moto converge with the defaults, N = 300 + 300, code warm',
      totalSeconds: 12.2,
      byCategory: [
        { name: 'operator-host.js', share: 0.31 },
        { name: 'garbage collector', share: 0.12 },
      ],
      topFunctions: [{ name: 'request', where: 'operator-host.js:5587', share: 0.042 }],
    };
    const warm = {
      ...figures(0.36, 80),
      withoutLimiter: { qps: 10_000, seconds: 13.5, objectsPerSecond: 44.4, ratio: 0.37 },
      profiled: { seconds: 16.2, objectsPerSecond: 37, ratio: 0.31, cpuProfile },
    };
    // 37 ÷ 44.4 objects/s.
    expect(motoNote(warm, 'motoRatio', 2)).toContain(
      "A third time, with the defaults again and the operator's code as warm as in the second, under the profiler, it took 16.2 s (ratio 0.31): 0.83× the throughput without the limiter, the profiler's cost included.",
    );
    const section = motoSection(warm, { workers: 4, reconcilers: 8 } as Settings);
    expect(section).toContain(
      '| a third time, the defaults again, the code warm, under the CPU profiler: converge s, ratio | 16.2, 0.31 | |',
    );
    expect(section).toContain(
      '### CPU profile of the operator on moto (moto converge with the defaults, N = 300 + 300, code warm, 12.2 s)',
    );
    expect(section).toContain(
      'Self time by where the code lives: operator-host.js 31%, garbage collector 12%.',
    );
    expect(section).toContain('| request | operator-host.js:5587 | 4.2% |');
    expect(section.join('\n')).toContain(
      'Profile: `bench/results/2026-12-08T00-00-00-moto.cpuprofile` (not committed; open it in Chrome DevTools or speedscope). The figures above',
    );

    const unprofiled = { ...figures(0.36, 80), withoutLimiter: warm.withoutLimiter };
    expect(motoNote(unprofiled, 'motoRatio', 2)).not.toContain('A third time');
    expect(motoSection(unprofiled, { workers: 4, reconcilers: 8 } as Settings).join('\n')).not.toContain(
      'CPU profile',
    );
  });
});
