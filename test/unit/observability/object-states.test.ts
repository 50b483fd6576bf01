import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/conditions.js';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../../src/api/index.js';
import {
  bindingExpiries,
  conditionCounts,
  driftedCounts,
  type ObjectSnapshot,
} from '../../../src/observability/object-states.js';

const condition = (type: string, status: Condition['status'], reason: string): Condition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

function account(name: string, conditions?: Condition[]): CloudAccount {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name },
    spec: { provider: 'aws', credentials: { source: 'Ambient' } },
    ...(conditions ? { status: { conditions } } : {}),
  } as CloudAccount;
}

function identity(
  name: string,
  conditions?: Condition[],
  spec: Partial<WorkloadIdentity['spec']> = {},
): WorkloadIdentity {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace: 'shop' },
    spec: { accountRef: { name: 'aws' }, subjects: [{ serviceAccount: { name } }], ...spec },
    ...(conditions ? { status: { conditions } } : {}),
  } as WorkloadIdentity;
}

function binding(
  name: string,
  identityName: string,
  options: { conditions?: Condition[]; spec?: Partial<IdentityBinding['spec']>; createdAt?: string } = {},
): IdentityBinding {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'IdentityBinding',
    metadata: {
      name,
      namespace: 'shop',
      ...(options.createdAt ? { creationTimestamp: options.createdAt } : {}),
    },
    spec: {
      identityRef: { name: identityName },
      grants: [{ resource: 'arn:aws:s3:::b', access: 'read' }],
      ...options.spec,
    },
    ...(options.conditions ? { status: { conditions: options.conditions } } : {}),
  } as IdentityBinding;
}

const snapshot = (parts: Partial<ObjectSnapshot>): ObjectSnapshot => ({
  accounts: [],
  identities: [],
  bindings: [],
  ...parts,
});

const READY = [
  condition('Ready', 'True', 'Available'),
  condition('Synced', 'True', 'ReconcileSuccess'),
  condition('Drifted', 'False', 'NoDrift'),
];

describe('conditionCounts', () => {
  it('counts objects by kind, condition, status and reason; a missing condition is Unknown', () => {
    const counts = conditionCounts(
      snapshot({
        accounts: [account('aws', [condition('Ready', 'True', 'CredentialsValid')])],
        identities: [identity('a', READY), identity('b', READY), identity('new')],
        bindings: [
          binding('read', 'a', {
            conditions: [
              condition('Ready', 'False', 'GuardrailViolation'),
              condition('Synced', 'False', 'GuardrailViolation'),
            ],
          }),
        ],
      }),
    );
    const sorted = [...counts].sort((x, y) =>
      `${x.kind}${x.condition}${x.status}`.localeCompare(`${y.kind}${y.condition}${y.status}`),
    );
    expect(sorted).toEqual([
      { kind: 'CloudAccount', condition: 'Ready', status: 'True', reason: 'CredentialsValid', count: 1 },
      { kind: 'CloudAccount', condition: 'Synced', status: 'Unknown', reason: '', count: 1 },
      { kind: 'IdentityBinding', condition: 'Drifted', status: 'Unknown', reason: '', count: 1 },
      {
        kind: 'IdentityBinding',
        condition: 'Ready',
        status: 'False',
        reason: 'GuardrailViolation',
        count: 1,
      },
      {
        kind: 'IdentityBinding',
        condition: 'Synced',
        status: 'False',
        reason: 'GuardrailViolation',
        count: 1,
      },
      { kind: 'WorkloadIdentity', condition: 'Drifted', status: 'False', reason: 'NoDrift', count: 2 },
      { kind: 'WorkloadIdentity', condition: 'Drifted', status: 'Unknown', reason: '', count: 1 },
      { kind: 'WorkloadIdentity', condition: 'Ready', status: 'True', reason: 'Available', count: 2 },
      { kind: 'WorkloadIdentity', condition: 'Ready', status: 'Unknown', reason: '', count: 1 },
      { kind: 'WorkloadIdentity', condition: 'Synced', status: 'True', reason: 'ReconcileSuccess', count: 2 },
      { kind: 'WorkloadIdentity', condition: 'Synced', status: 'Unknown', reason: '', count: 1 },
    ]);
  });

  it('counts nothing for no objects', () => {
    expect(conditionCounts(snapshot({}))).toEqual([]);
  });
});

describe('driftedCounts', () => {
  const drifted = [condition('Drifted', 'True', 'DriftDetected')];

  it("counts Drifted=True objects by the policy that leaves the drift: a binding's comes from its identity", () => {
    const counts = driftedCounts(
      snapshot({
        identities: [
          identity('reported', drifted, { driftPolicy: 'Report' }),
          identity('observed', drifted, { managementPolicy: 'ObserveOnly', driftPolicy: 'Correct' }),
          identity('corrected', [condition('Drifted', 'False', 'DriftCorrected')]),
          identity('switched', drifted),
        ],
        bindings: [
          binding('r1', 'reported', { conditions: drifted }),
          binding('r2', 'reported', { conditions: drifted }),
          binding('o', 'observed', { conditions: drifted }),
          binding('clean', 'reported', { conditions: [condition('Drifted', 'False', 'NoDrift')] }),
          binding('orphan', 'gone', { conditions: drifted }),
        ],
      }),
    );
    expect(counts).toEqual(
      expect.arrayContaining([
        { kind: 'WorkloadIdentity', policy: 'Report', count: 1 },
        { kind: 'WorkloadIdentity', policy: 'ObserveOnly', count: 1 },
        { kind: 'WorkloadIdentity', policy: 'Correct', count: 1 },
        { kind: 'IdentityBinding', policy: 'Report', count: 2 },
        { kind: 'IdentityBinding', policy: 'ObserveOnly', count: 1 },
        { kind: 'IdentityBinding', policy: 'Unknown', count: 1 },
      ]),
    );
    expect(counts).toHaveLength(6);
  });
});

describe('bindingExpiries', () => {
  it('gives each temporary binding the time its grants end: expiresAt, or duration after creation', () => {
    const expiries = bindingExpiries(
      snapshot({
        bindings: [
          binding('until', 'a', { spec: { expiresAt: '2026-03-01T12:00:00Z' } }),
          binding('for-2h', 'a', { spec: { duration: '2h' }, createdAt: '2026-03-01T08:00:00Z' }),
          binding('ended', 'a', { spec: { expiresAt: '2020-01-01T00:00:00Z' } }),
          binding('forever', 'a'),
        ],
      }),
    );
    expect(expiries).toEqual([
      { namespace: 'shop', name: 'until', endsAtSeconds: Date.parse('2026-03-01T12:00:00Z') / 1000 },
      { namespace: 'shop', name: 'for-2h', endsAtSeconds: Date.parse('2026-03-01T10:00:00Z') / 1000 },
      { namespace: 'shop', name: 'ended', endsAtSeconds: Date.parse('2020-01-01T00:00:00Z') / 1000 },
    ]);
  });

  it('leaves out a binding whose end cannot be read, instead of failing the scrape', () => {
    const expiries = bindingExpiries(
      snapshot({
        bindings: [
          binding('bad-duration', 'a', { spec: { duration: 'soon' }, createdAt: '2026-03-01T08:00:00Z' }),
          binding('bad-date', 'a', { spec: { expiresAt: 'tomorrow' } }),
          binding('good', 'a', { spec: { expiresAt: '2026-03-01T12:00:00Z' } }),
        ],
      }),
    );
    expect(expiries.map((e) => e.name)).toEqual(['good']);
  });
});
