import { describe, expect, it } from 'vitest';
import { identityName } from '../../../src/providers/memory/memory-provider.js';
import { FINALIZER } from '../../../src/reconcilers/requests.js';
import { BINDINGS_WAIT_REPORTED_AFTER_MS } from '../../../src/reconcilers/workload-identity.js';
import { ClassifiedError } from '../../../src/runtime/errors.js';
import { condition, RESYNC_MS, reconcilerHarness, slowFinalizers } from '../../support/reconciler-harness.js';

const OWNER = { cluster: 'test-cluster', namespace: 'team', name: 'app', uid: '' };
const EXTERNAL = identityName({ owner: OWNER });

describe('WorkloadIdentity reconciler', () => {
  it('creates the cloud identity, annotates the ServiceAccount and reports Ready', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { maxSessionDuration: '2h', tags: { team: 'shop' } });

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome).toEqual({ result: { requeueAfter: RESYNC_MS } });
    const stored = h.cloud.identities.get(EXTERNAL);
    expect(stored).toMatchObject({
      trust: ['serviceAccount:team/app'],
      maxSessionSeconds: 7200,
      tags: { team: 'shop', 'keyless.dev/cluster': 'test-cluster', 'keyless.dev/namespace': 'team' },
    });
    const wi = h.identity();
    expect(wi?.metadata.finalizers).toEqual([FINALIZER]);
    expect(wi?.status?.externalName).toBe(EXTERNAL);
    expect(wi?.status?.principal?.id).toBe(`memory://acct/identities/${EXTERNAL}`);
    expect(wi?.status?.observedGeneration).toBe(1);
    expect(condition(wi, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition(wi, 'Synced')).toMatchObject({ status: 'True' });
    expect(condition(wi, 'Drifted')).toMatchObject({ status: 'False', reason: 'NoDrift' });
    expect(h.cluster.serviceAccountAnnotations.get('team/app')).toEqual({
      'eks.amazonaws.com/role-arn': `memory://acct/identities/${EXTERNAL}`,
    });
    // A first creation is told by Ready, not by an Event (one API write less per object).
    expect(h.cluster.events.map((e) => e.reason)).not.toContain('Created');
  });

  it('sends Created when the cloud identity of a Ready object vanished and is created again', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app');
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.cloud.identities.delete(EXTERNAL);

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.has(EXTERNAL)).toBe(true);
    expect(h.cluster.events.filter((e) => e.reason === 'Created').map((e) => e.message)).toEqual([
      expect.stringContaining('again: it no longer existed in the cloud'),
    ]);
  });

  it('adds its finalizer once the cloud was read and nothing refuses it, and creates only after that', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    const log = slowFinalizers(h, 20);
    let finalizersAtCreate: string[] | undefined;
    h.cloud.injectFault((operation) => {
      if (operation === 'CreateIdentity') finalizersAtCreate = h.identity()?.metadata.finalizers;
      return undefined;
    });

    expect((await h.reconcile('WorkloadIdentity', 'team/app')).error).toBeUndefined();

    // And no usage review: the first is an interval after the identity was created.
    expect(log).toEqual(['GetIdentity', 'finalizer started', 'finalizer written', 'CreateIdentity']);
    expect(finalizersAtCreate).toEqual([FINALIZER]);
  });

  it('creates nothing in the cloud when its finalizer cannot be written', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.cluster.addFinalizer = async () => {
      throw new Error('the API server refused the patch');
    };

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error?.message).toBe('adding the finalizer: the API server refused the patch');
    expect(h.cloud.count('write')).toBe(0);
    expect(h.cloud.identities.size).toBe(0);
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'KubernetesError' });
    expect(h.cluster.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'KubernetesError']]);
  });

  it("reports one failure, the cloud's, when the cloud and the ServiceAccount reads both fail", async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.cloud.failNext(
      'GetIdentity',
      new ClassifiedError('IAM is down', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );
    h.cluster.get = async () => {
      throw new Error('the API server is down too');
    };

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error?.message).toBe('observing the cloud identity: IAM is down');
    expect(h.cluster.events.map((e) => e.reason)).toEqual(['CloudUnavailable']);
    expect(condition(h.identity(), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'CloudUnavailable',
    });
  });

  it('sends its Events even when the status write fails, and retries for the status', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.cluster.writeStatus = async () => {
      throw new Error('conflict writing status');
    };

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({
      message: 'writing status: conflict writing status',
      kind: 'retryable',
      reason: 'KubernetesError',
    });
    expect(h.cluster.events.map((e) => e.reason)).toEqual([]);
  });

  it('makes zero cloud writes and zero Kubernetes writes in steady state', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cloud.resetCounts();
    const writesBefore = h.cluster.totalWrites();

    for (let i = 0; i < 3; i++)
      expect((await h.reconcile('WorkloadIdentity', 'team/app')).error).toBeUndefined();

    expect(h.cloud.count('write')).toBe(0);
    expect(h.cloud.count('read')).toBe(3);
    expect(h.cluster.totalWrites()).toBe(writesBefore);
  });

  it('applies a spec change to the cloud', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyIdentity('app', { maxSessionDuration: '4h' });

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.get(EXTERNAL)?.maxSessionSeconds).toBe(14_400);
    expect(h.identity()?.status?.observedGeneration).toBe(2);
    expect(h.cluster.events.map((e) => e.reason)).toContain('Updated');
  });

  it('corrects an out-of-band edit under driftPolicy Correct', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    const stored = h.cloud.identities.get(EXTERNAL);
    if (!stored) throw new Error('identity missing');
    stored.trust = ['serviceAccount:team/intruder'];

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.get(EXTERNAL)?.trust).toEqual(['serviceAccount:team/app']);
    expect(condition(h.identity(), 'Drifted')).toMatchObject({ status: 'False', reason: 'DriftCorrected' });
    const event = h.cluster.events.find((e) => e.reason === 'DriftCorrected');
    expect(event?.message).toContain(
      'trust (found ["serviceAccount:team/intruder"], wanted ["serviceAccount:team/app"])',
    );
  });

  it('reports an out-of-band edit field by field under driftPolicy Report and leaves the cloud alone', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity({ driftPolicy: 'Report', tags: { team: 'shop' } });
    const stored = h.cloud.identities.get(EXTERNAL);
    if (!stored) throw new Error('identity missing');
    stored.maxSessionSeconds = 43_200;
    stored.tags.team = 'someone-else';
    h.cloud.resetCounts();

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.count('write')).toBe(0);
    const wi = h.identity();
    expect(condition(wi, 'Drifted')).toMatchObject({ status: 'True', reason: 'DriftDetected' });
    expect(wi?.status?.drift).toEqual([
      { field: 'maxSessionSeconds', wanted: '3600', found: '43200' },
      { field: 'tags[team]', wanted: 'shop', found: 'someone-else' },
    ]);
  });

  it('never writes under managementPolicy ObserveOnly', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { managementPolicy: 'ObserveOnly' });
    h.cloud.resetCounts();
    const before = { ...h.cluster.writes };

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.count('write')).toBe(0);
    expect(h.cluster.writes.finalizers).toBe(before.finalizers);
    expect(h.cluster.writes.serviceAccounts).toBe(before.serviceAccounts);
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'NotFoundInCloud' });
  });

  it('deletes the cloud identity and releases the ServiceAccount annotation on delete', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cluster.serviceAccountAnnotations.set('team/app', {
      ...h.cluster.serviceAccountAnnotations.get('team/app'),
      'example.com/owner': 'platform',
    });
    h.cluster.delete('WorkloadIdentity', 'team', 'app');

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.has(EXTERNAL)).toBe(false);
    expect(h.identity()).toBeUndefined();
    expect(h.cluster.serviceAccountAnnotations.get('team/app')).toEqual({ 'example.com/owner': 'platform' });
  });

  it('checks a delete refused by the cloud again at the account resync, as the permission may be granted', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    h.cloud.failNext(
      'DeleteIdentity',
      new ClassifiedError('access denied', { kind: 'terminal', reason: 'AccessDenied' }),
    );

    const refused = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(refused.error).toMatchObject({ kind: 'terminal', recheckAfterMs: RESYNC_MS });
    expect(h.identity()?.metadata.finalizers).toEqual([FINALIZER]);

    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.identities.has(EXTERNAL)).toBe(false);
    expect(h.identity()).toBeUndefined();
  });

  it('releases the ServiceAccount while the cloud identity is deleted, so a failed delete is retried with one step left', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    h.cloud.failNext(
      'DeleteIdentity',
      new ClassifiedError('unavailable', { kind: 'retryable', reason: 'CloudUnavailable' }),
    );

    const failed = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(failed.error?.message).toBe('deleting the cloud identity: unavailable');
    expect(h.cluster.serviceAccountAnnotations.get('team/app')).toEqual({});
    expect(h.identity()?.metadata.finalizers).toEqual([FINALIZER]);
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'CloudUnavailable' });
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.identities.has(EXTERNAL)).toBe(false);
    expect(h.identity()).toBeUndefined();
  });

  it('leaves the cloud identity under deletionPolicy Retain', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity({ deletionPolicy: 'Retain' });
    h.cluster.delete('WorkloadIdentity', 'team', 'app');

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.has(EXTERNAL)).toBe(true);
    expect(h.identity()).toBeUndefined();
  });

  it('waits for its IdentityBindings before deleting, and says so once they have had time to follow it', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    const statusWrites = h.cluster.writes.status;

    // A binding deleted right after its identity (kubectl delete -f) is not waited for in status.
    const first = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(first).toEqual({ result: { requeueAfter: BINDINGS_WAIT_REPORTED_AFTER_MS } });
    expect(h.cluster.writes.status).toBe(statusWrites);
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });

    h.clock.advance(BINDINGS_WAIT_REPORTED_AFTER_MS);
    const later = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(later).toEqual({ result: {} });
    expect(h.cloud.identities.has(EXTERNAL)).toBe(true);
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'WaitingForBindings' });
    expect(h.cluster.writes.status).toBe(statusWrites + 1);
  });

  it('waits without a status write for bindings that are already going, and deletes once they are gone', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    h.cluster.delete('IdentityBinding', 'team', 'app-read');
    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    h.clock.advance(BINDINGS_WAIT_REPORTED_AFTER_MS);
    const writes = h.cluster.totalWrites();

    // Woken by the binding's going (wake-ups.ts), not by a timer.
    expect(await h.reconcile('WorkloadIdentity', 'team/app')).toEqual({ result: {} });
    expect(h.cluster.totalWrites()).toBe(writes);
    expect(h.cloud.identities.has(EXTERNAL)).toBe(true);

    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.binding()).toBeUndefined();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.identity()).toBeUndefined();
    expect(h.cloud.identities.has(EXTERNAL)).toBe(false);
    // The objects' going (and the audit stream) tell of it: no Event of their own.
    expect(h.cluster.events).toEqual([]);
  });

  it('says it waits for a binding being deleted that another finalizer still holds', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyBinding();
    await h.reconcile('IdentityBinding', 'team/app-read');
    h.binding()?.metadata.finalizers?.push('example.com/hold');
    h.cluster.delete('IdentityBinding', 'team', 'app-read');
    h.cluster.delete('WorkloadIdentity', 'team', 'app');
    h.clock.advance(BINDINGS_WAIT_REPORTED_AFTER_MS);

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'WaitingForBindings' });
  });

  it('checks the spec before any cloud call and before the finalizer, and says it is the spec', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { maxSessionDuration: '24h' });
    h.cloud.resetCounts();

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'terminal', reason: 'InvalidSpec' });
    expect((outcome.error as ClassifiedError).recheckAfterMs).toBeUndefined();
    expect(h.cloud.count()).toBe(0);
    expect(h.identity()?.metadata.finalizers).toBeUndefined();
    const ready = condition(h.identity(), 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready?.message).toMatch(/^checking the spec: maxSessionDuration 24h is outside/);
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });

  it('adds no finalizer to an identity it refuses as NotOwned, and checks again at the resync interval', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.cloud.identities.set(EXTERNAL, {
      name: EXTERNAL,
      accountName: 'acct',
      tags: { owner: 'another-team' },
      trust: [],
      maxSessionSeconds: 3600,
      principalId: 'p-1',
    });
    h.applyIdentity();

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'terminal', reason: 'NotOwned', recheckAfterMs: RESYNC_MS });
    expect(h.identity()?.metadata.finalizers).toBeUndefined();
  });

  it('reports NotOwned and never changes an identity that belongs to someone else', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    const foreign = {
      name: EXTERNAL,
      accountName: 'acct',
      tags: { owner: 'another-team' },
      trust: ['serviceAccount:other/thing'],
      maxSessionSeconds: 3600,
      principalId: 'p-1',
    };
    h.cloud.identities.set(EXTERNAL, structuredClone(foreign));
    h.applyIdentity();

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'terminal' });
    expect(h.cloud.identities.get(EXTERNAL)).toEqual(foreign);
    expect(h.cloud.count('write')).toBe(0);
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'NotOwned' });
    expect(condition(h.identity(), 'Synced')?.message).toContain('keyless.dev/adopt');
  });

  it('adopts an unowned identity when the object carries keyless.dev/adopt: "true"', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.cloud.identities.set(EXTERNAL, {
      name: EXTERNAL,
      accountName: 'acct',
      tags: {},
      trust: [],
      maxSessionSeconds: 3600,
      principalId: 'p-1',
    });
    h.applyIdentity('app', {}, { 'keyless.dev/adopt': 'true' });

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(h.cloud.identities.get(EXTERNAL)?.tags['keyless.dev/name']).toBe('app');
    expect(h.cloud.identities.get(EXTERNAL)?.trust).toEqual(['serviceAccount:team/app']);
    expect(h.cluster.events.map((e) => e.reason)).toContain('Adopted');
    expect(condition(h.identity(), 'Ready')?.status).toBe('True');
  });

  it('waits for an account that is missing or not Ready', async () => {
    const h = reconcilerHarness();
    h.applyIdentity();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'AccountNotFound' });

    h.applyAccount();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'AccountNotReady' });
    expect(h.cloud.count()).toBe(0);
  });

  it('waits silently for an account that has not been reconciled yet, then converges', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    h.applyIdentity();
    const writes = h.cluster.writes.status;

    expect(await h.reconcile('WorkloadIdentity', 'team/app')).toEqual({ result: {} });
    expect(h.identity()?.status).toBeUndefined();
    expect(h.identity()?.metadata.finalizers).toBeUndefined();
    expect(h.cluster.writes.status).toBe(writes);
    expect(h.cloud.count()).toBe(0);

    await h.reconcile('CloudAccount', 'acct');
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
  });

  it('reports AccountNotReady on a new identity once the account has said it is not Ready', async () => {
    const h = reconcilerHarness();
    await h.unreadyAccount();
    h.applyIdentity();

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'AccountNotReady' });
    expect(h.cloud.identities.size).toBe(0);
  });

  it('refuses a namespace the account does not allow', async () => {
    const h = reconcilerHarness();
    h.applyAccount('acct', {
      guardrails: { allowedNamespaces: ['prod-*'] },
    });
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'terminal' });
    expect(condition(h.identity(), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'NamespaceNotAllowed',
    });
    expect(h.cloud.identities.size).toBe(0);
  });

  it('reports a missing ServiceAccount it may not create, and checks again within a minute', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { subjects: [{ serviceAccount: { name: 'app' } }] });

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.result?.requeueAfter).toBeLessThanOrEqual(60_000);
    expect(condition(h.identity(), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ServiceAccountNotFound',
    });
    expect(h.cluster.serviceAccountAnnotations.has('team/app')).toBe(false);

    h.cluster.addServiceAccount('team', 'app', { 'example.com/keep': 'yes' });
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')?.status).toBe('True');
    expect(h.cluster.serviceAccountAnnotations.get('team/app')).toMatchObject({ 'example.com/keep': 'yes' });
  });

  it('annotates a ServiceAccount created while the cloud was being read, in the same reconcile', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity('app', { subjects: [{ serviceAccount: { name: 'app' } }] });
    h.cloud.injectFault((operation) => {
      if (operation === 'CreateIdentity') h.cluster.addServiceAccount('team', 'app', {});
      return undefined;
    });

    await h.reconcile('WorkloadIdentity', 'team/app');

    expect(condition(h.identity(), 'Ready')?.status).toBe('True');
    expect(h.cluster.serviceAccountAnnotations.get('team/app')).toEqual({
      'eks.amazonaws.com/role-arn': `memory://acct/identities/${EXTERNAL}`,
    });
  });

  it('keeps the annotations of identities in other clouds that share the ServiceAccount', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.applyAccount('gcp', {
      provider: 'gcp',
      aws: undefined,
      gcp: { projectId: 'proj-123456', projectNumber: '1', workloadIdentityPool: 'proj-123456.svc.id.goog' },
    });
    await h.reconcile('CloudAccount', 'gcp');
    h.applyIdentity('app-gcp', {
      accountRef: { name: 'gcp' },
      subjects: [{ serviceAccount: { name: 'app' } }],
    });

    await h.reconcile('WorkloadIdentity', 'team/app-gcp');

    expect(Object.keys(h.cluster.serviceAccountAnnotations.get('team/app') ?? {}).sort()).toEqual([
      'eks.amazonaws.com/role-arn',
      'iam.gke.io/gcp-service-account',
    ]);
  });

  it('turns a terminal cloud error into Synced=False with the cloud reason', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.cloud.failNext(
      'CreateIdentity',
      new ClassifiedError('role limit reached', { kind: 'terminal', reason: 'LimitExceeded' }),
    );
    h.applyIdentity();

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'terminal' });
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'LimitExceeded' });
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'False', reason: 'LimitExceeded' });
    expect(h.cluster.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'LimitExceeded' });
  });

  it('passes a throttled cloud error on with its retry-after', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cloud.failNext(
      'GetIdentity',
      new ClassifiedError('slow down', { kind: 'throttled', reason: 'Throttled', retryAfterMs: 7000 }),
    );

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ retryAfterMs: 7000 });
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'Throttled' });
  });

  it('asks for no wait of its own when the throttled cloud sent no Retry-After (the backoff applies)', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cloud.failNext(
      'GetIdentity',
      new ClassifiedError('slow down', { kind: 'throttled', reason: 'Throttled' }),
    );

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({ kind: 'throttled', retryAfterMs: undefined });
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'Throttled' });
  });

  it('keeps the retry-after of a throttled cloud when the status write fails too', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.cloud.failNext(
      'GetIdentity',
      new ClassifiedError('slow down', { kind: 'throttled', reason: 'Throttled', retryAfterMs: 7000 }),
    );
    h.cluster.writeStatus = async () => {
      throw new Error('conflict writing status');
    };

    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');

    expect(outcome.error).toMatchObject({
      retryAfterMs: 7000,
      message: 'writing status: conflict writing status',
    });
    expect(h.cluster.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'Throttled' });
  });
});

describe('two identities of one cloud on one ServiceAccount', () => {
  it('annotates it for the older one and tells the newer one why it is not Ready', async () => {
    const h = reconcilerHarness();
    await h.readyIdentity();
    h.clock.advance(1000);
    h.applyIdentity('second', { subjects: [{ serviceAccount: { name: 'app' } }] });

    await h.reconcile('WorkloadIdentity', 'team/second');

    expect(h.cluster.serviceAccountAnnotations.get('team/app')?.['eks.amazonaws.com/role-arn']).toBe(
      h.identity()?.status?.principal?.id,
    );
    const ready = condition(h.identity('second'), 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ServiceAccountClaimed' });
    expect(ready?.message).toContain('app (by app)');
  });
});
