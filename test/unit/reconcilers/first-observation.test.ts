import { describe, expect, it } from 'vitest';
import { firstObservationDelay, type Observable } from '../../../src/reconcilers/first-observation.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const READY = [
  { type: 'Ready', status: 'True' as const, reason: 'Available', message: '', lastTransitionTime: '' },
];
const object = (status?: Observable['status'], extra: Partial<Observable['metadata']> = {}): Observable => ({
  metadata: { name: 'x', namespace: 'n', generation: 2, ...extra },
  ...(status ? { status } : {}),
});

describe('firstObservationDelay', () => {
  it.each<[string, Observable, number]>([
    ['a new object', object(), 0],
    ['a changed spec', object({ observedGeneration: 1, conditions: READY }), 0],
    [
      'a failing object',
      object({ observedGeneration: 2, conditions: [{ ...READY[0], status: 'False' } as never] }),
      0,
    ],
    [
      'an object being deleted',
      object({ observedGeneration: 2, conditions: READY }, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      0,
    ],
    ['a converged object', object({ observedGeneration: 2, conditions: READY }), 300_000],
    [
      'a temporary grant ending in a minute',
      object({ observedGeneration: 2, conditions: READY, expiresAt: '2026-01-01T00:01:00Z' }),
      60_000,
    ],
    [
      'a temporary grant already over',
      object({ observedGeneration: 2, conditions: READY, expiresAt: '2025-12-31T00:00:00Z' }),
      0,
    ],
  ])('%s', (_name, subject, expected) => {
    expect(firstObservationDelay(subject, 600_000, NOW, () => 0.5)).toBe(expected);
  });
});
