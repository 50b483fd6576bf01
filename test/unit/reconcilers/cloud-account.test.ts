import { describe, expect, it } from 'vitest';
import { CloudError } from '../../../src/providers/cloud-error.js';
import { condition, RESYNC_MS, reconcilerHarness } from '../../support/reconciler-harness.js';

describe('CloudAccount reconciler', () => {
  it('is Ready when the credentials check passes, and counts its identities', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    h.applyIdentity('one');
    h.applyIdentity('two');

    const outcome = await h.reconcile('CloudAccount', 'acct');

    expect(outcome).toEqual({ result: { requeueAfter: RESYNC_MS } });
    const account = h.cluster.account('acct');
    expect(condition(account, 'Ready')).toMatchObject({ status: 'True', reason: 'CredentialsValid' });
    expect(account?.status).toMatchObject({
      identityCount: 2,
      callerIdentity: 'memory:operator',
      observedGeneration: 1,
    });
  });

  it('reports refused credentials and checks again only after the resync interval', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    h.cloud.failNext(
      'CheckAccount',
      new CloudError('access denied', { kind: 'terminal', reason: 'AccessDenied' }),
    );

    const outcome = await h.reconcile('CloudAccount', 'acct');

    expect(outcome).toEqual({ result: { requeueAfter: RESYNC_MS } });
    expect(condition(h.cluster.account('acct'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'AccessDenied',
    });
  });

  it('retries a transient failure with backoff', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    h.cloud.failNext(
      'CheckAccount',
      new CloudError('503', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );

    const outcome = await h.reconcile('CloudAccount', 'acct');

    expect(outcome.error?.message).toContain('503');
    expect(condition(h.cluster.account('acct'), 'Ready')).toMatchObject({ status: 'False' });
  });
});

describe('deleting a CloudAccount', () => {
  it('waits for its WorkloadIdentities, so they can still clean up the cloud', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cluster.delete('CloudAccount', undefined, 'acct');

    await h.reconcile('CloudAccount', 'acct');
    expect(condition(h.cluster.account('acct'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'WaitingForIdentities',
    });
    expect(condition(h.cluster.account('acct'), 'Ready')?.message).toContain('team/app');

    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.identities.size).toBe(0);
    await h.reconcile('CloudAccount', 'acct');
    expect(h.cluster.account('acct')).toBeUndefined();
  });
});
