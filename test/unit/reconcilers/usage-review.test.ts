import { describe, expect, it } from 'vitest';
import { Reason } from '../../../src/api/reasons.js';
import { parseDuration } from '../../../src/policy/duration.js';
import { ClassifiedError } from '../../../src/runtime/errors.js';
import { condition, RESYNC_MS, reconcilerHarness } from '../../support/reconciler-harness.js';

const REVIEW = { interval: '1h', unusedAfter: '2h', action: 'Report' } as const;

/** An identity converged without a review, and the clock at its first review (an interval + 10% on). */
async function reviewed(review: Record<string, string> = REVIEW) {
  const h = reconcilerHarness();
  h.applyAccount('acct', { review } as never);
  await h.reconcile('CloudAccount', 'acct');
  h.applyIdentity();
  await h.reconcile('WorkloadIdentity', 'team/app');
  expect(h.cloud.calls.get('GetUsage')).toBeUndefined();
  h.clock.advance(1.1 * parseDuration(review.interval ?? '24h'));
  return h;
}

describe('the usage review of an identity', () => {
  it('makes no usage call on the first converge, and reviews first an interval after creation', async () => {
    const h = reconcilerHarness();
    h.applyAccount('acct', { review: { interval: '5m', unusedAfter: '2h' } } as never);
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    const first = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cloud.calls.get('GetUsage')).toBeUndefined();
    expect(h.identity()?.status?.usage).toBeUndefined();
    expect(condition(h.identity(), 'Unused')).toMatchObject({
      status: 'Unknown',
      message: 'Not reviewed yet.',
    });
    const untilFirst = first.result?.requeueAfter ?? 0;
    expect(untilFirst).toBeGreaterThanOrEqual(0.9 * 300_000);
    expect(untilFirst).toBeLessThanOrEqual(1.1 * 300_000);

    h.clock.advance(untilFirst - 1000);
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.calls.get('GetUsage')).toBeUndefined();
    h.clock.advance(1000);
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.calls.get('GetUsage')).toBe(1);
    expect(h.identity()?.status?.usage?.source).toBe('MemoryUsage');
  });

  it('reads the cloud once per interval and never between, and requeues for the next review', async () => {
    const h = await reviewed({ interval: '5m', unusedAfter: '2h' });
    const first = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.calls.get('GetUsage')).toBe(1);
    const usage = h.identity()?.status?.usage;
    expect(usage?.source).toBe('MemoryUsage');
    const untilNext = Date.parse(usage?.nextReviewAt ?? '') - h.clock.now();
    expect(untilNext).toBeGreaterThanOrEqual(0.9 * 300_000);
    expect(untilNext).toBeLessThanOrEqual(1.1 * 300_000);
    expect(first.result?.requeueAfter).toBe(Math.min(RESYNC_MS, untilNext));

    for (let i = 0; i < 5; i++) await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.calls.get('GetUsage')).toBe(1);

    h.clock.advance(untilNext);
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(h.cloud.calls.get('GetUsage')).toBe(2);
  });

  it('reports an identity never used for longer than unusedAfter as Unused, once, with an Event', async () => {
    const h = await reviewed();
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Unused')).toMatchObject({ status: 'False', reason: 'Reviewed' });

    h.clock.advance(3 * 3_600_000);
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Unused')).toMatchObject({ status: 'True', reason: 'Unused' });
    expect(condition(h.identity(), 'Unused')?.message).toMatch(/Never used since/);
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cluster.events.filter((e) => e.reason === 'Unused')).toHaveLength(1);

    // Used again: the next review says so.
    h.cloud.use(h.identity()?.status?.externalName ?? '');
    h.clock.advance(2 * 3_600_000);
    await h.reconcile('WorkloadIdentity', 'team/app');
    expect(condition(h.identity(), 'Unused')).toMatchObject({ status: 'False' });
    expect(h.identity()?.status?.usage?.lastUsed).toBeDefined();
  });

  it('keeps the identity Ready when the review is refused, and says so in status.usage.error', async () => {
    const h = await reviewed();
    h.cloud.failNext(
      'GetUsage',
      new ClassifiedError(
        'GenerateServiceLastAccessedDetails: refused (iam:GenerateServiceLastAccessedDetails)',
        {
          kind: 'terminal',
          reason: Reason.UsageReviewForbidden,
        },
      ),
    );
    const outcome = await h.reconcile('WorkloadIdentity', 'team/app');
    expect(outcome.error).toBeUndefined();
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'True' });
    expect(h.identity()?.status?.usage?.error).toMatchObject({ reason: 'UsageReviewForbidden' });
    expect(condition(h.identity(), 'Unused')).toMatchObject({ status: 'Unknown' });

    await h.reconcile('CloudAccount', 'acct');
    expect(condition(h.cluster.account('acct'), 'UsageReviewed')).toMatchObject({
      status: 'False',
      reason: 'UsageReviewForbidden',
    });
    expect(condition(h.cluster.account('acct'), 'UsageReviewed')?.message).toMatch(
      /iam:GenerateServiceLastAccessedDetails/,
    );
  });
});

describe('the usage of grants', () => {
  const grants = [
    { resource: 'arn:aws:s3:::used', actions: ['s3:GetObject'] },
    { resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/idle', actions: ['dynamodb:GetItem'] },
  ];

  async function boundAndAged(action: 'Report' | 'Revoke') {
    const h = await reviewed({ ...REVIEW, action });
    await h.reconcile('WorkloadIdentity', 'team/app');
    h.applyBinding('app-read', { grants });
    await h.reconcile('IdentityBinding', 'team/app-read');
    // Three hours on, the role used S3 and never DynamoDB.
    h.clock.advance(3 * 3_600_000);
    h.cloud.use(h.identity()?.status?.externalName ?? '', { service: 's3' });
    await h.reconcile('WorkloadIdentity', 'team/app');
    await h.reconcile('IdentityBinding', 'team/app-read');
    return h;
  }

  it('Report: names the unused grant and its evidence in Unused, and changes nothing', async () => {
    const h = await boundAndAged('Report');
    const usage = h.binding()?.status?.usage;
    expect(usage?.grants.map((g) => [g.resource, g.services, g.lastUsed !== undefined])).toEqual([
      ['arn:aws:s3:::used', ['s3'], true],
      ['arn:aws:dynamodb:us-east-1:123456789012:table/idle', ['dynamodb'], false],
    ]);
    expect(condition(h.binding(), 'Unused')).toMatchObject({ status: 'True', reason: 'Unused' });
    expect(condition(h.binding(), 'Unused')?.message).toMatch(/table\/idle \(dynamodb\): never used since/);
    expect(condition(h.binding(), 'Unused')?.message).not.toMatch(/s3:::used/);
    expect([...h.cloud.grantSets.values()][0]?.permissions).toHaveProperty([
      'arn:aws:dynamodb:us-east-1:123456789012:table/idle',
    ]);
  });

  it('Revoke: removes only the unused grant, Synced False RevokedUnused until the binding is edited', async () => {
    const h = await boundAndAged('Revoke');
    expect(Object.keys([...h.cloud.grantSets.values()][0]?.permissions ?? {})).toEqual(['arn:aws:s3:::used']);
    expect(h.binding()?.status?.usage?.revoked).toMatchObject([
      { resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/idle', generation: 1 },
    ]);
    expect(condition(h.binding(), 'Synced')).toMatchObject({ status: 'False', reason: 'RevokedUnused' });
    expect(condition(h.binding(), 'Stalled')).toMatchObject({ status: 'True', reason: 'RevokedUnused' });
    expect(condition(h.binding(), 'Ready')).toMatchObject({ status: 'True' });
    expect(h.cluster.events.filter((e) => e.reason === 'RevokedUnused')).toHaveLength(1);
    expect(h.cluster.events.find((e) => e.reason === 'RevokedUnused')?.message).toMatch(
      /^Revoked grants unused for longer than 2h: .*table\/idle/,
    );

    // A resync changes nothing more.
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(h.cluster.events.filter((e) => e.reason === 'RevokedUnused')).toHaveLength(1);

    // The user edits the binding: the grants come back, and are young again.
    h.applyBinding('app-read', {
      grants: [...grants, { resource: 'arn:aws:s3:::more', actions: ['s3:GetObject'] }],
    });
    await h.reconcile('IdentityBinding', 'team/app-read');
    expect(Object.keys([...h.cloud.grantSets.values()][0]?.permissions ?? {}).sort()).toEqual([
      'arn:aws:dynamodb:us-east-1:123456789012:table/idle',
      'arn:aws:s3:::more',
      'arn:aws:s3:::used',
    ]);
    expect(condition(h.binding(), 'Synced')).toMatchObject({ status: 'True' });
  });
});
