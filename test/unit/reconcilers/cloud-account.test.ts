import { describe, expect, it } from 'vitest';
import type { AccountContext } from '../../../src/providers/provider.js';
import { checkKeepsPrincipals } from '../../../src/reconcilers/cloud-account.js';
import { ClassifiedError } from '../../../src/runtime/errors.js';
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

  it('gives the check the principals its identities have so far, from the cache', async () => {
    const h = reconcilerHarness();
    const contexts: AccountContext[] = [];
    const check = h.provider.accounts.check.bind(h.provider.accounts);
    h.provider.accounts.check = (ctx, account, context) => {
      contexts.push(context);
      return check(ctx, account, context);
    };
    const converged = await h.readyIdentity();
    h.applyIdentity('new');
    contexts.length = 0;

    await h.reconcile('CloudAccount', 'acct');

    expect(converged.status?.principal).toBeDefined();
    expect(contexts).toEqual([{ principals: [converged.status?.principal] }]);
    expect(h.cluster.account('acct')?.status?.identityCount).toBe(2);
  });

  it('says which accounts keep something made of their identities’ principals: Google Cloud’s', () => {
    const h = reconcilerHarness();
    const provider = (name: 'aws' | 'gcp' | 'azure') => h.applyAccount(name, { provider: name });
    expect(checkKeepsPrincipals(provider('gcp'))).toBe(true);
    expect(checkKeepsPrincipals(provider('aws'))).toBe(false);
    expect(checkKeepsPrincipals(provider('azure'))).toBe(false);
  });

  it('reports refused credentials and checks again only after the resync interval', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    h.cloud.failNext(
      'CheckAccount',
      new ClassifiedError('access denied', { kind: 'terminal', reason: 'AccessDenied' }),
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
      new ClassifiedError('503', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );

    const outcome = await h.reconcile('CloudAccount', 'acct');

    expect(outcome.error?.message).toContain('503');
    expect(condition(h.cluster.account('acct'), 'Ready')).toMatchObject({ status: 'False' });
  });

  it('keeps Ready through a transient failure once its credentials have worked, and says so in Synced', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cloud.failNext(
      'CheckAccount',
      new ClassifiedError('slow down', { kind: 'throttled', reason: 'Throttled' }),
    );

    const outcome = await h.reconcile('CloudAccount', 'acct');

    expect(outcome.error).toMatchObject({ kind: 'throttled' });
    expect(condition(h.cluster.account('acct'), 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(h.cluster.account('acct'), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'Throttled',
    });
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
  });
});

describe('deleting a CloudAccount', () => {
  it('waits for its WorkloadIdentities, so they can still clean up the cloud', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cluster.delete('CloudAccount', undefined, 'acct');

    const cloudCalls = h.cloud.count();
    // The last identity to go wakes it; meanwhile its message is kept current at the resync pace.
    expect(await h.reconcile('CloudAccount', 'acct')).toEqual({ result: { requeueAfter: RESYNC_MS } });
    expect(h.cloud.count()).toBe(cloudCalls);
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
