import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/reconcilers/requests.js';
import { condition, RESYNC_MS, reconcilerHarness, slowFinalizers } from '../../support/reconciler-harness.js';

function grantKeys(h: ReturnType<typeof reconcilerHarness>) {
  return [...h.cloud.grantSets.values()].map((g) => g.permissions);
}

describe('IdentityBinding reconciler', () => {
  it('waits silently for an identity that has not been reconciled yet, then grants', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.applyBinding();
    const writes = h.cluster.writes.status;

    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.binding()?.status).toBeUndefined();
    expect(h.cluster.writes.status).toBe(writes);
    expect(h.cloud.grantSets.size).toBe(0);

    await h.reconcile('WorkloadIdentity', 'team/app');
    const outcome = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(outcome).toEqual({ result: { requeueAfter: RESYNC_MS } });
    expect(grantKeys(h)).toEqual([{ 'arn:aws:s3:::bucket': ['read'] }]);
    expect(h.binding()?.status?.grants).toEqual([{ resource: 'arn:aws:s3:::bucket', summary: 'read' }]);
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
  });

  it('adds its finalizer once the grants were read and nothing refuses them, and grants only after that', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    const log = slowFinalizers(h, 20);
    let finalizersAtPut: string[] | undefined;
    h.cloud.injectFault((operation) => {
      if (operation === 'PutGrants') finalizersAtPut = h.binding()?.metadata.finalizers;
      return undefined;
    });

    expect((await h.reconcile('IdentityBinding', 'team/app-read')).error).toBeUndefined();

    expect(log).toEqual(['GetGrants', 'finalizer started', 'finalizer written', 'PutGrants']);
    expect(finalizersAtPut).toEqual([FINALIZER]);
  });

  it('says IdentityNotReady when its identity was reconciled and is not Ready', async () => {
    const h = reconcilerHarness();
    await h.unreadyAccount();
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'AccountNotReady' });
    h.applyBinding();

    await h.reconcile('IdentityBinding', 'team/app-read');

    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'IdentityNotReady' });
    expect(h.cloud.grantSets.size).toBe(0);
  });

  it('waits for an identity that does not exist', async () => {
    const h = reconcilerHarness();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'IdentityNotFound' });
  });

  it('refuses an identity in another namespace', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding('app-read', { identityRef: { name: 'app', namespace: 'elsewhere' } });

    const outcome = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(outcome.error).toMatchObject({ kind: 'terminal' });
    expect(condition(h.binding(), 'Synced')).toMatchObject({ reason: 'CrossNamespaceReference' });
  });

  it('applies a changed spec and makes no writes in steady state', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    h.applyBinding('app-read', { grants: [{ resource: 'arn:aws:s3:::bucket', access: 'write' }] });
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(grantKeys(h)).toEqual([{ 'arn:aws:s3:::bucket': ['read', 'write'] }]);

    h.cloud.resetCounts();
    const writes = h.cluster.totalWrites();
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.cloud.count('write')).toBe(0);
    expect(h.cluster.totalWrites()).toBe(writes);
  });

  it('corrects or reports out-of-band grant changes by the identity drift policy', async () => {
    for (const driftPolicy of ['Correct', 'Report'] as const) {
      const h = reconcilerHarness();
      await h.readyIdentity({ driftPolicy });
      h.applyBinding();
      await h.reconcile('IdentityBinding', 'team/app-read');
      const set = [...h.cloud.grantSets.values()][0];
      if (!set) throw new Error('no grants');
      set.permissions = { 'arn:aws:s3:::bucket': ['admin'] };

      await h.reconcile('IdentityBinding', 'team/app-read');

      if (driftPolicy === 'Correct') {
        expect(grantKeys(h)).toEqual([{ 'arn:aws:s3:::bucket': ['read'] }]);
        expect(condition(h.binding(), 'Drifted')).toMatchObject({
          status: 'False',
          reason: 'DriftCorrected',
        });
      } else {
        expect(grantKeys(h)).toEqual([{ 'arn:aws:s3:::bucket': ['admin'] }]);
        expect(condition(h.binding(), 'Drifted')).toMatchObject({ status: 'True' });
        expect(h.binding()?.status?.drift).toEqual([
          {
            field: 'permissions',
            wanted: '{"arn:aws:s3:::bucket":["read"]}',
            found: '{"arn:aws:s3:::bucket":["admin"]}',
          },
        ]);
      }
    }
  });

  it('refuses grants that break the account guardrails, naming the grant, before any cloud call', async () => {
    const h = reconcilerHarness();
    h.applyAccount('acct', {
      guardrails: { maxAccess: 'read', deniedActions: ['iam:*'] },
    });
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.applyBinding('app-read', {
      grants: [
        { resource: 'arn:aws:s3:::bucket', access: 'write' },
        { resource: '*', actions: ['iam:PassRole'] },
      ],
    });
    h.cloud.resetCounts();

    const outcome = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(outcome.error).toMatchObject({ kind: 'terminal', recheckAfterMs: RESYNC_MS });
    expect(h.cloud.count()).toBe(0);
    expect(h.binding()?.metadata.finalizers).toBeUndefined();
    const synced = condition(h.binding(), 'Synced');
    expect(synced?.reason).toBe('GuardrailViolation');
    expect(synced?.message).toContain('grant 0 (arn:aws:s3:::bucket): access write exceeds');
    expect(synced?.message).toContain(
      "grant 1 (*): action iam:PassRole is denied by the account's deniedActions entry iam:*",
    );
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'GuardrailViolation' });
  });

  it('refuses escalation by default, with no guardrails, before any cloud call and before the finalizer', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding('app-read', { grants: [{ resource: '*', actions: ['iam:Pass*'] }] });
    h.cloud.resetCounts();

    const outcome = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(outcome.error).toMatchObject({ kind: 'terminal' });
    expect(h.cloud.count()).toBe(0);
    expect(h.binding()?.metadata.finalizers ?? []).toEqual([]);
    const synced = condition(h.binding(), 'Synced');
    expect(synced).toMatchObject({ status: 'False', reason: 'EscalationRefused' });
    expect(synced?.message).toContain('grant 0 (*): action iam:Pass* could allow iam:PassRole');
    expect(synced?.message).toContain('guardrails.allowEscalation: ["iam:PassRole"]');

    h.applyAccount('acct', { guardrails: { allowEscalation: ['iam:PassRole'] } });
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'True' });
  });

  it("refuses, whatever the provider checked, a resource the cloud would read otherwise, and Contributor on the identity's own resource group", async () => {
    const h = reconcilerHarness();
    const subscription = '/subscriptions/00000000-0000-0000-0000-000000000001';
    h.applyAccount('acct', {
      provider: 'azure',
      azure: {
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        tenantId: '00000000-0000-0000-0000-0000000000aa',
        resourceGroup: 'identities',
        location: 'westeurope',
        issuerUrl: 'https://issuer',
      },
    });
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { azure: { resourceGroup: 'team-identities' } });
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.applyBinding('climbs', {
      grants: [{ resource: `${subscription}/resourceGroups/shop/..`, role: 'Contributor' }],
    });
    h.applyBinding('own-group', {
      grants: [{ resource: `${subscription}/resourceGroups/team-identities`, role: 'Contributor' }],
    });
    h.cloud.resetCounts();

    await h.reconcile('IdentityBinding', 'team/climbs');
    await h.reconcile('IdentityBinding', 'team/own-group');

    expect(h.cloud.count()).toBe(0);
    expect(condition(h.binding('climbs'), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'InvalidGrant',
    });
    expect(condition(h.binding('climbs'), 'Synced')?.message).toContain(
      `grant 0 (${subscription}/resourceGroups/shop/..): the resource is not a canonical Azure resource ID: segment 5 is ".."`,
    );
    expect(condition(h.binding('climbs'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidGrant',
    });
    expect(condition(h.binding('own-group'), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'EscalationRefused',
    });
    expect(condition(h.binding('own-group'), 'Synced')?.message).toContain(
      'guardrails.allowEscalation: ["Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"]',
    );
  });

  it('requires temporary grants when the account sets maxGrantDuration', async () => {
    const h = reconcilerHarness();
    h.applyAccount('acct', { guardrails: { maxGrantDuration: '8h' } });
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');

    h.applyBinding('forever');
    await h.reconcile('IdentityBinding', 'team/forever');
    expect(condition(h.binding('forever'), 'Synced')?.message).toContain('grants must be temporary');

    h.applyBinding('too-long', { duration: '9h' });
    await h.reconcile('IdentityBinding', 'team/too-long');
    expect(condition(h.binding('too-long'), 'Synced')?.message).toContain('longer than');

    h.applyBinding('fine', { duration: '8h' });
    await h.reconcile('IdentityBinding', 'team/fine');
    expect(condition(h.binding('fine'), 'Ready')?.status).toBe('True');
  });

  it('removes temporary grants when they end, and wakes up in time for it', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding('app-read', { duration: '5m' });

    const first = await h.reconcile('IdentityBinding', 'team/app-read');
    expect(first.result?.requeueAfter).toBe(300_000);
    expect(h.binding()?.status?.expiresAt).toBe('2026-01-01T00:05:00.000Z');
    expect(h.cloud.grantSets.size).toBe(1);

    h.clock.advance(300_000);
    const second = await h.reconcile('IdentityBinding', 'team/app-read');

    expect(second.result).toEqual({});
    expect(h.cloud.grantSets.size).toBe(0);
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'Expired' });
    expect(h.cluster.events.map((e) => e.reason)).toContain('Expired');
  });

  it('says granted grants remain when tightened guardrails refuse them, and still removes them when they end', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding('app-read', {
      duration: '5m',
      grants: [{ resource: 'arn:aws:s3:::bucket', access: 'write' }],
    });
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.cloud.grantSets.size).toBe(1);

    h.applyAccount('acct', { guardrails: { maxAccess: 'read' } });
    const refused = await h.reconcile('IdentityBinding', 'team/app-read');
    expect(refused.error).toMatchObject({ kind: 'terminal' });
    expect(condition(h.binding(), 'Synced')?.message).toContain(
      'The grants applied before remain in the cloud until the binding passes the guardrails or is deleted.',
    );
    expect(h.cloud.grantSets.size).toBe(1);

    h.clock.advance(300_000);
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.cloud.grantSets.size).toBe(0);
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'Expired' });
  });

  it('removes the grants on delete, and keeps them when the identity retains', async () => {
    for (const deletionPolicy of ['Delete', 'Retain'] as const) {
      const h = reconcilerHarness();
      await h.readyIdentity({ deletionPolicy });
      h.applyBinding();
      await h.reconcile('IdentityBinding', 'team/app-read');
      h.cluster.delete('IdentityBinding', 'team', 'app-read');

      await h.reconcile('IdentityBinding', 'team/app-read');

      expect(h.binding()).toBeUndefined();
      expect(h.cloud.grantSets.size).toBe(deletionPolicy === 'Delete' ? 0 : 1);
    }
  });

  it('observes only when its identity is ObserveOnly', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { managementPolicy: 'ObserveOnly' });
    // An observed identity that exists in the cloud.
    const { identityName } = await import('../../../src/providers/memory/memory-provider.js');
    const name = identityName({
      owner: { cluster: 'test-cluster', namespace: 'team', name: 'app', uid: '' },
    });
    h.cloud.identities.set(name, {
      name,
      accountName: 'acct',
      tags: {},
      trust: [],
      maxSessionSeconds: 3600,
      principalId: 'p',
    });
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.applyBinding();
    h.cloud.resetCounts();

    await h.reconcile('IdentityBinding', 'team/app-read');

    expect(h.cloud.count('write')).toBe(0);
    expect(h.binding()?.metadata.finalizers).toBeUndefined();
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'False', reason: 'NotFoundInCloud' });
  });
});
