import { describe, expect, it } from 'vitest';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../../src/api/index.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import type { ObjectSnapshot } from '../../../src/observability/object-states.js';

type Sample = { labels: Record<string, string | number>; value: number };

/** The samples of one metric as prom-client renders them for /metrics. */
async function samples(metrics: OperatorMetrics, name: string): Promise<Sample[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return metric.values.map(({ labels, value }) => ({ labels: { ...labels } as Sample['labels'], value }));
}

const account = (name: string): CloudAccount =>
  ({
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name },
    spec: { provider: 'aws', credentials: { source: 'Ambient' } },
  }) as CloudAccount;

const temporaryBinding = (name: string, expiresAt: string): IdentityBinding =>
  ({
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'IdentityBinding',
    metadata: { name, namespace: 'shop' },
    spec: { identityRef: { name: 'a' }, grants: [], expiresAt },
  }) as unknown as IdentityBinding;

const readyIdentity = (name: string): WorkloadIdentity =>
  ({
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace: 'shop' },
    spec: { accountRef: { name: 'aws' }, subjects: [] },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '' },
      ],
    },
  }) as unknown as WorkloadIdentity;

const snapshot = (parts: Partial<ObjectSnapshot>): ObjectSnapshot => ({
  accounts: [],
  identities: [],
  bindings: [],
  ...parts,
});

describe('OperatorMetrics', () => {
  it('counts failed reconciles by controller and reason, and no others', async () => {
    const metrics = new OperatorMetrics();
    metrics.reconcileDone('IdentityBinding', 'success', 0.01);
    metrics.reconcileDone('IdentityBinding', 'requeue', 0.01);
    metrics.reconcileDone('IdentityBinding', 'terminal', 0.01, 'GuardrailViolation');
    metrics.reconcileDone('IdentityBinding', 'terminal', 0.01, 'GuardrailViolation');
    metrics.reconcileDone('WorkloadIdentity', 'error', 0.01, 'Throttled');
    expect(await samples(metrics, 'keyless_reconcile_errors_total')).toEqual([
      { labels: { controller: 'IdentityBinding', reason: 'GuardrailViolation' }, value: 2 },
      { labels: { controller: 'WorkloadIdentity', reason: 'Throttled' }, value: 1 },
    ]);
    const total = await samples(metrics, 'keyless_reconcile_total');
    expect(total.reduce((sum, s) => sum + s.value, 0)).toBe(5);
  });

  it('keeps the latest count of cloud calls waiting for a turn, by controller', async () => {
    const metrics = new OperatorMetrics();
    metrics.cloudCallsWaiting('WorkloadIdentity', 3);
    metrics.cloudCallsWaiting('IdentityBinding', 1);
    metrics.cloudCallsWaiting('WorkloadIdentity', 0);
    expect(await samples(metrics, 'keyless_cloud_calls_waiting')).toEqual([
      { labels: { controller: 'WorkloadIdentity' }, value: 0 },
      { labels: { controller: 'IdentityBinding' }, value: 1 },
    ]);
  });

  it('counts throttled answers by provider and account', async () => {
    const metrics = new OperatorMetrics();
    metrics.throttled('aws', 'prod');
    metrics.throttled('aws', 'prod');
    metrics.throttled('gcp', 'data');
    expect(await samples(metrics, 'keyless_cloud_throttled_total')).toEqual([
      { labels: { provider: 'aws', account: 'prod' }, value: 2 },
      { labels: { provider: 'gcp', account: 'data' }, value: 1 },
    ]);
  });

  it("keeps each account's last check and last successful check, for accounts that still exist", async () => {
    const metrics = new OperatorMetrics();
    metrics.accountChecked('aws', 'prod', 'success', 1_000_000);
    metrics.accountChecked('aws', 'prod', 'terminal', 1_060_000);
    metrics.accountChecked('gcp', 'never-worked', 'retryable', 1_030_000);
    metrics.accountChecked('azure', 'deleted', 'success', 1_000_000);
    metrics.observeObjects(snapshot({ accounts: [account('prod'), account('never-worked')] }));
    expect(await samples(metrics, 'keyless_cloud_account_last_check_timestamp_seconds')).toEqual([
      { labels: { account: 'prod', provider: 'aws' }, value: 1060 },
      { labels: { account: 'never-worked', provider: 'gcp' }, value: 1030 },
    ]);
    expect(await samples(metrics, 'keyless_cloud_account_last_check_success_timestamp_seconds')).toEqual([
      { labels: { account: 'prod', provider: 'aws' }, value: 1000 },
    ]);

    metrics.accountChecked('gcp', 'never-worked', 'success', 1_090_000);
    metrics.observeObjects(snapshot({ accounts: [account('never-worked')] }));
    expect(await samples(metrics, 'keyless_cloud_account_last_check_success_timestamp_seconds')).toEqual([
      { labels: { account: 'never-worked', provider: 'gcp' }, value: 1090 },
    ]);
  });

  it("replaces the objects' gauges with each snapshot, so a deleted object leaves no series", async () => {
    const metrics = new OperatorMetrics();
    metrics.observeObjects(
      snapshot({
        identities: [readyIdentity('a')],
        bindings: [temporaryBinding('until-noon', '2026-03-01T12:00:00Z')],
      }),
    );
    expect(await samples(metrics, 'keyless_binding_expiry_timestamp_seconds')).toEqual([
      { labels: { namespace: 'shop', name: 'until-noon' }, value: Date.parse('2026-03-01T12:00:00Z') / 1000 },
    ]);
    expect(await samples(metrics, 'keyless_objects')).toContainEqual({
      labels: { kind: 'WorkloadIdentity', condition: 'Ready', status: 'True', reason: 'Available' },
      value: 1,
    });
    expect(await samples(metrics, 'keyless_managed_identities')).toEqual([
      { labels: { state: 'Ready' }, value: 1 },
      { labels: { state: 'NotReady' }, value: 0 },
    ]);

    metrics.observeObjects(snapshot({}));
    expect(await samples(metrics, 'keyless_binding_expiry_timestamp_seconds')).toEqual([]);
    expect(await samples(metrics, 'keyless_objects')).toEqual([]);
  });

  it("reads the usage review's last use and unused grants from the objects at scrape time", async () => {
    const metrics = new OperatorMetrics();
    const identity = readyIdentity('a');
    identity.status = {
      ...identity.status,
      usage: {
        reviewedAt: '2026-06-01T00:00:00Z',
        nextReviewAt: '2026-06-02T00:00:00Z',
        source: 'RoleLastUsed',
        lastUsed: '2026-05-01T00:00:00Z',
      },
    };
    const binding = temporaryBinding('grants', '2030-01-01T00:00:00Z');
    binding.status = {
      usage: {
        reviewedAt: '2026-06-01T00:00:00Z',
        grants: [
          {
            resource: 'used',
            services: ['s3'],
            lastUsed: '2026-05-31T00:00:00Z',
            since: '2025-01-01T00:00:00Z',
          },
          {
            resource: 'idle',
            services: ['sqs'],
            unusedSince: '2025-01-01T00:00:00Z',
            since: '2025-01-01T00:00:00Z',
          },
          {
            resource: 'gone',
            services: ['sns'],
            unusedSince: '2025-01-01T00:00:00Z',
            since: '2025-01-01T00:00:00Z',
          },
        ],
        revoked: [{ resource: 'gone', revokedAt: '2026-05-01T00:00:00Z', generation: 1 }],
      },
    };
    metrics.observeObjects(
      snapshot({ accounts: [account('aws')], identities: [identity], bindings: [binding] }),
      new Date('2026-06-01T00:00:00Z'),
    );
    expect(await samples(metrics, 'keyless_identity_last_used_timestamp_seconds')).toEqual([
      {
        labels: { namespace: 'shop', name: 'a', account: 'aws' },
        value: Date.parse('2026-05-01T00:00:00Z') / 1000,
      },
    ]);
    // With the default unusedAfter (90 days): idle only (gone is revoked, used was used yesterday).
    expect(await samples(metrics, 'keyless_grants_unused')).toEqual([
      { labels: { namespace: 'shop', name: 'grants', account: 'aws' }, value: 1 },
    ]);
  });

  it('says whether this replica leads: 0 until told otherwise', async () => {
    const metrics = new OperatorMetrics();
    expect(await samples(metrics, 'keyless_leader')).toEqual([{ labels: {}, value: 0 }]);
    metrics.leading(true);
    expect(await samples(metrics, 'keyless_leader')).toEqual([{ labels: {}, value: 1 }]);
    metrics.leading(false);
    expect(await samples(metrics, 'keyless_leader')).toEqual([{ labels: {}, value: 0 }]);
  });
});
