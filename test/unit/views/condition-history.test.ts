import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/conditions.js';
import { ConditionHistory } from '../../../src/views/condition-history.js';
import { heapHolding } from '../../support/heap.js';
import { condition, T0 } from './fixtures.js';

const T1 = '2026-03-01T10:05:00.000Z';
const T2 = '2026-03-01T10:09:00.000Z';
const shown = (history: ConditionHistory, uid: string) =>
  history.of(uid).map((t) => `${t.type} ${t.status}/${t.reason} "${t.message}" @${t.time}`);

describe('ConditionHistory', () => {
  it("shows an object's first conditions, then each change after them, with their times", () => {
    const history = new ConditionHistory();
    const first = [
      condition('Ready', 'False', 'Creating', 'creating', T0),
      condition('Synced', 'True', 'ReconcileSuccess'),
    ];
    history.record('x', undefined, first, T0);
    expect(shown(history, 'x')).toEqual([
      'Ready False/Creating "creating" @2026-03-01T10:00:00.000Z',
      'Synced True/ReconcileSuccess "Synced ReconcileSuccess" @2026-03-01T10:00:00.000Z',
    ]);
    const ready = [condition('Ready', 'True', 'Available', 'ready', T1), first[1] as Condition];
    history.record('x', first, ready, T1);
    history.record(
      'x',
      ready,
      [condition('Ready', 'False', 'CloudUnavailable', 'down', T2), first[1] as Condition],
      T2,
    );
    expect(shown(history, 'x')).toEqual([
      'Ready False/Creating "creating" @2026-03-01T10:00:00.000Z',
      'Synced True/ReconcileSuccess "Synced ReconcileSuccess" @2026-03-01T10:00:00.000Z',
      'Ready True/Available "ready" @2026-03-01T10:05:00.000Z',
      'Ready False/CloudUnavailable "down" @2026-03-01T10:09:00.000Z',
    ]);
  });

  it('shows first conditions with their latest message, and keeps a type the object no longer has', () => {
    const history = new ConditionHistory();
    const first = [
      condition('Ready', 'True', 'Available', 'old message'),
      condition('Unused', 'Unknown', 'NotReviewed'),
    ];
    history.record('x', undefined, first, T0);
    const reworded = [condition('Ready', 'True', 'Available', 'new message'), first[1] as Condition];
    history.record('x', first, reworded, T1);
    expect(shown(history, 'x')[0]).toBe('Ready True/Available "new message" @2026-03-01T10:00:00.000Z');
    history.record('x', reworded, [reworded[0] as Condition], T2);
    expect(history.of('x').map((t) => t.type)).toEqual(['Ready', 'Unused']);
  });

  it('records nothing for an object listed with conditions until they change', () => {
    const history = new ConditionHistory();
    const listed = [condition('Ready', 'True', 'Available')];
    history.record('x', listed, listed, T1);
    expect(history.of('x')).toEqual([]);
    history.record('x', listed, [condition('Ready', 'False', 'Drifted', 'drifted', T2)], T2);
    expect(shown(history, 'x')).toEqual(['Ready False/Drifted "drifted" @2026-03-01T10:09:00.000Z']);
  });

  it("holds no copy of a converged object's conditions: the cached object's own are shown", () => {
    const n = 20_000;
    const cached = Array.from({ length: n }, (_, i) => [
      condition(
        'Ready',
        'True',
        'Available',
        `identity-${i} is ready to use.`,
        `2026-03-01T10:00:${String(i % 60).padStart(2, '0')}.${i % 1000}Z`,
      ),
      condition('Synced', 'True', 'ReconcileSuccess', 'The last reconcile succeeded.'),
      condition('Drifted', 'False', 'NoDrift', 'The cloud matches spec.'),
    ]);
    const base = heapHolding(() => cached);
    const history = new ConditionHistory(20, n);
    const withHistory = heapHolding(() => {
      for (const [i, conditions] of cached.entries()) history.record(`uid-${i}`, undefined, conditions, T0);
      return history;
    });
    // The uid's Map entry and a small wrapper; copies of three transitions would be some 500 bytes.
    expect((withHistory - base) / n).toBeLessThan(150);
    expect(history.of('uid-7')).toHaveLength(3);
  });
});
