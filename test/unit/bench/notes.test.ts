import { describe, expect, it } from 'vitest';
import { notesFor } from '../../../bench/report/notes.js';
import type { BenchResults, ConvergePoint } from '../../../bench/results.js';

/** A point whose converge ratio misses its target, with what the ratio note reads. */
function missedPoint(operator: Partial<ConvergePoint['operator']>): ConvergePoint {
  return {
    n: 300,
    objects: 600,
    ratio: 0.77,
    baseline: { seconds: 4.6 },
    operator: {
      seconds: 5.95,
      kubeWritesPerObject: 2.5,
      statusAndFinalizerWritesPerObject: 2,
      apiServerWrites: {},
      memory: { after: { rss: 100 * 1024 * 1024 } },
      cpuSeconds: { operator: 1.95, controlPlane: { 'kube-apiserver': 4.39, etcd: 0.95 } },
      ...operator,
    },
  } as unknown as ConvergePoint;
}

function results(point: ConvergePoint): BenchResults {
  return {
    converge: [point],
    restart: undefined,
    throttled: [],
    cpuProfile: undefined,
    machine: { cores: 2 },
    settings: { convergeLatencyMs: 30 },
  } as unknown as BenchResults;
}

const ratioNote = (r: BenchResults) => notesFor(r).find((note) => note.startsWith('**Converge ratio'));

describe('the converge ratio note', () => {
  it('reads the mean of the reconciles that converged an identity, not of those that only waited', () => {
    const note = ratioNote(
      results(
        missedPoint({
          reconcileMeanMs: { WorkloadIdentity: 38 },
          reconcileMeanMsByResult: { 'WorkloadIdentity requeue': 76, 'WorkloadIdentity success': 0.4 },
        }),
      ),
    );
    expect(note).toContain('A WorkloadIdentity reconcile that converged its identity took 76 ms on average');
    expect(note).toContain('The other 16.0 ms');
  });

  it('falls back to the mean of every identity reconcile in runs that have no per-result means', () => {
    const note = ratioNote(results(missedPoint({ reconcileMeanMs: { WorkloadIdentity: 80 } })));
    expect(note).toContain('A WorkloadIdentity reconcile took 80 ms on average');
  });

  it('reads how busy the cloud turns were when the operator runs more reconciles than cloud calls', () => {
    const run = results(missedPoint({ seconds: 16, firstReconcileSeconds: 0.12 }));
    run.settings = { ...run.settings, workers: 4, reconcilers: 8 };
    const note = ratioNote({ ...run, converge: [{ ...(run.converge[0] as ConvergePoint), n: 1000 }] });
    expect(note).toContain('Keyless runs 8 reconciles per kind, 4 of them in the cloud at once');
    expect(note).toContain(
      'Its 4 cloud turns per kind were busy 94% of the converge (1,000 × 60 ms over 4 turns in 16 s)',
    );
    expect(note).not.toContain('pipeline');
  });

  it('reads how long the cloud waits lasted in each process, and the ratio their lateness allows', () => {
    const run = results(missedPoint({ seconds: 16, cloudWaitedMs: 32.4 }));
    run.settings = { ...run.settings, workers: 4, reconcilers: 8 };
    const point = run.converge[0] as ConvergePoint;
    const note = ratioNote({
      ...run,
      converge: [{ ...point, n: 1000, baseline: { ...point.baseline, cloudWaitedMs: 30.6 } }],
    });
    expect(note).toContain(
      "Each call's 30 ms wait lasted 32.4 ms on average in the operator's process, 30.6 ms in the baseline's",
    );
    expect(note).toContain('That lateness alone allows at most 0.94×.');
  });

  it('says whether the reconciles or the cloud turns set the pace, from the reconcile time and the waits', () => {
    const run = results(
      missedPoint({
        seconds: 168.75,
        cloudWaitedMs: 30.71,
        reconcileMeanMsByResult: { 'WorkloadIdentity requeue': 133.9 },
      }),
    );
    run.settings = { ...run.settings, workers: 4, reconcilers: 8 };
    const point = run.converge[0] as ConvergePoint;
    const paced = (reconcileMs: number) =>
      ratioNote({
        ...run,
        converge: [
          {
            ...point,
            n: 10_000,
            operator: {
              ...point.operator,
              reconcileMeanMsByResult: { 'WorkloadIdentity requeue': reconcileMs },
            },
          },
        ],
      });
    expect(paced(133.9)).toContain(
      '8 at a time finish at most 59.7 per second, against the 65.1 the 4 turns carry at 30.71 ms per call, so the reconciles, not the turns, set the pace',
    );
    expect(paced(110)).toContain(
      '72.7 per second, against the 65.1 the 4 turns carry at 30.71 ms per call, so the turns set the pace.',
    );
  });

  it('says nothing of the waits in runs that did not measure them', () => {
    const run = results(missedPoint({ seconds: 16 }));
    run.settings = { ...run.settings, workers: 4, reconcilers: 8 };
    expect(ratioNote(run)).not.toContain('wait lasted');
  });
});
