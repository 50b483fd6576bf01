import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/index.js';
import { progressConditions } from '../../../src/reconcilers/conditions.js';
import { RECONCILE_REQUEST_ANNOTATION } from '../../../src/reconcilers/requests.js';
import { ClassifiedError } from '../../../src/runtime/errors.js';
import { condition, reconcilerHarness } from '../../support/reconciler-harness.js';

const types = (object: { status?: { conditions?: { type: string }[] } } | undefined) =>
  object?.status?.conditions?.map((c) => c.type);

const at = (type: string, status: Condition['status'], reason: string): Condition => ({
  type,
  status,
  reason,
  message: `${type} ${reason}`,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe("kstatus's Reconciling and Stalled conditions", () => {
  it('come from Ready and Synced: Stalled for a reason only a change elsewhere fixes, else Reconciling', () => {
    expect(
      progressConditions([at('Ready', 'True', 'Available'), at('Synced', 'True', 'ReconcileSuccess')]),
    ).toBe(undefined);
    expect(
      progressConditions([
        at('Ready', 'False', 'GuardrailViolation'),
        at('Synced', 'False', 'GuardrailViolation'),
      ]),
    ).toMatchObject({ type: 'Stalled', status: 'True', reason: 'GuardrailViolation' });
    expect(
      progressConditions([at('Ready', 'True', 'CredentialsValid'), at('Synced', 'False', 'Throttled')]),
    ).toMatchObject({ type: 'Reconciling', reason: 'Throttled', message: 'Synced Throttled' });
    expect(
      progressConditions([
        at('Ready', 'False', 'ServiceAccountNotFound'),
        at('Synced', 'True', 'ReconcileSuccess'),
      ]),
    ).toMatchObject({ type: 'Reconciling', reason: 'ServiceAccountNotFound' });
    expect(
      progressConditions([at('Ready', 'False', 'Expired'), at('Synced', 'True', 'ReconcileSuccess')]),
    ).toMatchObject({ type: 'Stalled', reason: 'Expired' });
  });

  it('mark a guardrail refusal Stalled at the generation it judged, and clear once it is lifted', async () => {
    const h = reconcilerHarness();
    h.applyAccount('acct', { guardrails: { maxAccess: 'read' } });
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.applyBinding('app-read', { grants: [{ resource: 'arn:aws:s3:::bucket', access: 'write' }] });

    await h.reconcile('IdentityBinding', 'team/app-read');

    expect(condition(h.binding(), 'Stalled')).toMatchObject({ status: 'True', reason: 'GuardrailViolation' });
    expect(types(h.binding())).not.toContain('Reconciling');
    expect(h.binding()?.status?.observedGeneration).toBe(h.binding()?.metadata.generation);

    h.applyAccount('acct', { guardrails: { maxAccess: 'write' } });
    await h.reconcile('CloudAccount', 'acct');
    await h.reconcile('IdentityBinding', 'team/app-read');

    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'True' });
    // No Unused: the identity's first usage review is an interval away.
    expect(types(h.binding())).toEqual(['Ready', 'Synced', 'Drifted']);
  });

  it('mark a retried failure Reconciling, with the generation it was seen at', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    h.cloud.failNext(
      'GetGrants',
      new ClassifiedError('the cloud answered 503', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );

    const outcome = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(outcome.error).toMatchObject({ kind: 'retryable' });
    expect(condition(h.binding(), 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'CloudUnavailable',
    });
    expect(h.binding()?.status?.observedGeneration).toBe(1);
    await h.reconcile('IdentityBinding', 'team/app-read');
    // No Unused: the identity's first usage review is an interval away.
    expect(types(h.binding())).toEqual(['Ready', 'Synced', 'Drifted']);
  });

  it('mark an identity whose CloudAccount does not exist Stalled, and clear once it exists', async () => {
    const h = reconcilerHarness();
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Stalled')).toMatchObject({ reason: 'AccountNotFound' });
    expect(h.identity()?.status?.observedGeneration).toBe(1);

    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
    expect(types(h.identity())).not.toContain('Stalled');
  });

  it('leave a binding whose identity was never reconciled without status, as before', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.binding()?.status).toBeUndefined();
  });

  it('do not let a retried failure of a changed spec turn it into reported drift', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity({ driftPolicy: 'Report' });
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    h.applyBinding('app-read', { grants: [{ resource: 'arn:aws:s3:::bucket', access: 'write' }] });
    h.cloud.failNext(
      'PutGrants',
      new ClassifiedError('the cloud answered 503', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );

    expect((await h.reconcile('IdentityBinding', 'team/app-read')).error).toMatchObject({
      kind: 'retryable',
    });
    expect(h.binding()?.status?.observedGeneration).toBe(2);
    await h.reconcile('IdentityBinding', 'team/app-read');

    expect([...h.cloud.grantSets.values()][0]?.permissions).toEqual({
      'arn:aws:s3:::bucket': ['read', 'write'],
    });
    expect(condition(h.binding(), 'Drifted')).toMatchObject({ status: 'False', reason: 'NoDrift' });
  });
});

describe('the reconcile request annotation', () => {
  it('is answered in status.lastHandledReconcileAt by the reconcile that saw it', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyIdentity('app', {}, { [RECONCILE_REQUEST_ANNOTATION]: '2026-01-01T00:05:00Z' });
    h.cloud.resetCounts();

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.count('read')).toBeGreaterThan(0);
    expect(h.identity()?.status?.lastHandledReconcileAt).toBe('2026-01-01T00:05:00Z');
  });
});
