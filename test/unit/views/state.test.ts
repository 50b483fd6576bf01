import { describe, expect, it } from 'vitest';
import { type StatefulObject, stateOf } from '../../../src/views/state.js';
import { condition, ready } from './fixtures.js';

const object = (conditions?: StatefulObject['status'], generation = 1): StatefulObject => ({
  metadata: { generation },
  ...(conditions ? { status: conditions } : {}),
});

describe('stateOf', () => {
  const cases: [string, StatefulObject, string, string][] = [
    ['no status yet', object(), 'Reconciling', 'NotReconciled'],
    ['ready, synced, no drift', object({ conditions: ready, observedGeneration: 1 }), 'Ready', 'Available'],
    [
      'drifted under driftPolicy Report',
      object({
        conditions: [...ready.slice(0, 2), condition('Drifted', 'True', 'DriftDetected')],
        observedGeneration: 1,
      }),
      'Drifted',
      'DriftDetected',
    ],
    [
      'a guardrail refused it (terminal, without a Stalled condition)',
      object({
        conditions: [
          condition('Ready', 'False', 'GuardrailViolation'),
          condition('Synced', 'False', 'GuardrailViolation', 'grant 0 breaks deniedActions iam:*'),
        ],
      }),
      'Stalled',
      'GuardrailViolation',
    ],
    [
      'kstatus Stalled written by the operator',
      object({
        conditions: [
          condition('Ready', 'False', 'AccountNotFound'),
          condition('Stalled', 'True', 'AccountNotFound'),
        ],
      }),
      'Stalled',
      'AccountNotFound',
    ],
    [
      'a retried cloud failure, Synced read before Ready',
      object({
        conditions: [
          condition('Ready', 'False', 'IdentityNotReady'),
          condition('Synced', 'False', 'Throttled'),
        ],
      }),
      'Failing',
      'Throttled',
    ],
    [
      'a retried failure beside kstatus Reconciling',
      object({
        conditions: [
          condition('Ready', 'False', 'CloudUnavailable'),
          condition('Synced', 'False', 'CloudUnavailable'),
          condition('Reconciling', 'True', 'CloudUnavailable'),
        ],
      }),
      'Failing',
      'CloudUnavailable',
    ],
    [
      'a reason Keyless does not write counts as failing',
      object({ conditions: [condition('Ready', 'False', 'SomethingNew')] }),
      'Failing',
      'SomethingNew',
    ],
    [
      'waiting for its identity',
      object({
        conditions: [
          condition('Ready', 'False', 'IdentityNotReady'),
          condition('Synced', 'False', 'IdentityNotReady'),
        ],
      }),
      'Reconciling',
      'IdentityNotReady',
    ],
    [
      'kstatus Reconciling while Ready is still True',
      object({ conditions: [...ready, condition('Reconciling', 'True', 'Updated')], observedGeneration: 1 }),
      'Reconciling',
      'Updated',
    ],
    [
      'a newer generation than the conditions are for',
      object({ conditions: ready, observedGeneration: 1 }, 2),
      'Reconciling',
      'NewerGeneration',
    ],
    [
      'an ended temporary grant',
      object({
        conditions: [condition('Ready', 'False', 'Expired'), condition('Synced', 'True', 'ReconcileSuccess')],
      }),
      'Ended',
      'Expired',
    ],
    [
      'ObserveOnly and missing in the cloud',
      object({ conditions: [condition('Ready', 'False', 'NotFoundInCloud')] }),
      'Stalled',
      'NotFoundInCloud',
    ],
    [
      'Ready Unknown',
      object({ conditions: [condition('Ready', 'Unknown', 'Pending')] }),
      'Reconciling',
      'Pending',
    ],
  ];
  it.each(cases)('%s', (_name, input, state, reason) => {
    expect(stateOf(input)).toMatchObject({ state, reason });
  });

  it('takes message and since from the deciding condition', () => {
    const view = stateOf(
      object({
        conditions: [
          condition('Ready', 'False', 'EscalationRefused', 'ready msg', '2026-01-01T00:00:00Z'),
          condition(
            'Synced',
            'False',
            'EscalationRefused',
            'grant 0 asks iam:PassRole',
            '2026-01-02T00:00:00Z',
          ),
        ],
      }),
    );
    expect(view).toEqual({
      state: 'Stalled',
      reason: 'EscalationRefused',
      message: 'grant 0 asks iam:PassRole',
      since: '2026-01-02T00:00:00Z',
    });
  });
});
