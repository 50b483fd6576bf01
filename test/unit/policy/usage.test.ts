import { describe, expect, it } from 'vitest';
import type { GrantUsage, IdentityUsage } from '../../../src/api/index.js';
import {
  accountReviewVerdict,
  firstReviewAt,
  type GrantPermissions,
  grantLastUsed,
  grantServices,
  identityVerdict,
  joinGrantUsage,
  nextReviewAt,
  REVIEW_RETRY_MS,
  reviewDue,
  reviewSettings,
  spreadOf,
  unusedGrants,
} from '../../../src/policy/usage.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const usage = (fields: Partial<IdentityUsage> = {}): IdentityUsage => ({
  reviewedAt: NOW.toISOString(),
  nextReviewAt: NOW.toISOString(),
  source: 'RoleLastUsed',
  trackedSince: ago(400),
  ...fields,
});
const role: GrantPermissions = { resource: 'r', permissions: ['roles/viewer'], permissionKind: 'role' };
const actions = (...permissions: string[]): GrantPermissions => ({
  resource: 'arn:aws:s3:::b',
  permissions,
  permissionKind: 'action',
});

describe('review settings', () => {
  it('default to a daily Report with 90 days of grace', () => {
    expect(reviewSettings(undefined)).toEqual({
      intervalMs: DAY,
      unusedAfterMs: 90 * DAY,
      unusedAfter: '2160h',
      action: 'Report',
    });
    expect(reviewSettings({ interval: '2s', unusedAfter: '5s', action: 'Revoke' })).toEqual({
      intervalMs: 2000,
      unusedAfterMs: 5000,
      unusedAfter: '5s',
      action: 'Revoke',
    });
  });
});

describe('when a review is due', () => {
  it.each([
    ['never reviewed, before its first review', undefined, ago(-0.1), false],
    ['never reviewed, at its first review', undefined, NOW, true],
    ['before nextReviewAt', usage({ reviewedAt: ago(0.5), nextReviewAt: ago(-0.5) }), NOW, false],
    ['at nextReviewAt', usage({ reviewedAt: ago(1), nextReviewAt: NOW.toISOString() }), NOW, true],
    // The account's interval was shortened from 30 days to 1: the plan made with 30 no longer holds.
    ['interval shortened since', usage({ reviewedAt: ago(2), nextReviewAt: ago(-28) }), NOW, true],
  ])('%s', (_, previous, firstAt, due) => {
    expect(reviewDue(previous, NOW, DAY, typeof firstAt === 'string' ? new Date(firstAt) : firstAt)).toBe(
      due,
    );
  });

  it('plans the first one an interval after creation, spread ±10% by the identity, the same each time', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    expect(firstReviewAt(created, DAY, 0).getTime() - created.getTime()).toBe(0.9 * DAY);
    expect(firstReviewAt(created, DAY, 1).getTime() - created.getTime()).toBe(Math.round(1.1 * DAY));
    const spreads = Array.from({ length: 1000 }, (_, i) =>
      spreadOf(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    );
    expect(Math.min(...spreads)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...spreads)).toBeLessThanOrEqual(1);
    // Identities created together are spread over the window, not bunched at one end of it.
    const tenths = new Set(spreads.map((s) => Math.min(9, Math.floor(s * 10))));
    expect(tenths.size).toBe(10);
    expect(spreadOf('a-uid')).toBe(spreadOf('a-uid'));
  });

  it('plans the next one ±10% of the interval away, or within the hour after a failure', () => {
    expect(nextReviewAt(NOW, DAY, false, () => 0).getTime() - NOW.getTime()).toBe(0.9 * DAY);
    expect(nextReviewAt(NOW, DAY, false, () => 1).getTime() - NOW.getTime()).toBe(Math.round(1.1 * DAY));
    expect(nextReviewAt(NOW, DAY, true, () => 0.5).getTime() - NOW.getTime()).toBe(REVIEW_RETRY_MS);
    expect(nextReviewAt(NOW, 2000, true, () => 0.5).getTime() - NOW.getTime()).toBe(2000);
  });
});

describe("an identity's verdict", () => {
  const created = new Date(ago(200));
  it.each([
    ['used yesterday', usage({ lastUsed: ago(1), lastUsedWhere: 'eu-west-1' }), false, /in eu-west-1/],
    ['last used 100 days ago', usage({ lastUsed: ago(100) }), true, /more than 90 days ago/],
    ['never used, created 200 days ago', usage(), true, /Never used since/],
    [
      'cannot tell (Direct mode)',
      usage({ unavailable: 'no per-principal record' }),
      undefined,
      /cannot tell/,
    ],
    [
      'only failed reviews',
      usage({ source: 'none', error: { reason: 'X', message: 'm' } }),
      undefined,
      /failed/,
    ],
    [
      // The evidence of the last good review only ages while reviews fail: it is not judged.
      'last used 100 days ago, and the latest review failed',
      usage({ lastUsed: ago(100), error: { reason: 'UsageReviewForbidden', message: 'm' } }),
      undefined,
      /failed/,
    ],
  ])('%s', (_, u, unused, message) => {
    const verdict = identityVerdict(u, created, NOW, 90 * DAY);
    expect(verdict.unused).toBe(unused);
    expect(verdict.message).toMatch(message);
  });

  it('is never Unused within unusedAfter of its creation', () => {
    expect(identityVerdict(usage(), new Date(ago(10)), NOW, 90 * DAY).unused).toBe(false);
  });
});

describe("a grant's services and last use", () => {
  it.each([
    [actions('s3:GetObject', 'S3:ListBucket'), ['s3']],
    [actions('s3:GetObject', 'sqs:SendMessage'), ['s3', 'sqs']],
    [actions('*'), ['*']],
    [role, []],
    [actions('read'), []],
  ])('%j → %j', (grant, services) => {
    expect(grantServices(grant)).toEqual(services);
  });

  const evidence = usage({
    lastUsed: ago(1),
    services: [
      {
        service: 's3',
        lastUsed: ago(3),
        actions: [{ action: 's3:PutObject', lastUsed: ago(3) }, { action: 's3:DeleteObject' }],
      },
      { service: 'sqs', lastUsed: ago(5) },
    ],
  });
  it.each([
    ['a service without tracked actions: the service', actions('sqs:SendMessage'), ago(5)],
    ['a tracked action used', actions('s3:PutObject'), ago(3)],
    ['a tracked action never used', actions('s3:DeleteObject'), undefined],
    ['an action the report does not track: the service', actions('s3:GetObject'), ago(3)],
    ['a wildcard action', actions('s3:*'), ago(3)],
    ['a service never used', actions('dynamodb:GetItem'), undefined],
    ['*: the identity', actions('*'), ago(1)],
    ['a role (identity-level evidence)', role, ago(1)],
  ])('%s', (_, grant, lastUsed) => {
    expect(grantLastUsed(grant, evidence)).toBe(lastUsed);
  });
});

describe('joining grants with the evidence', () => {
  it('keeps when each grant was first seen, and says since when an unused one is unused', () => {
    const grants = [actions('s3:PutObject'), { ...actions('dynamodb:GetItem'), resource: 'arn:table' }];
    const evidence = usage({ trackedSince: ago(400), services: [{ service: 's3', lastUsed: ago(2) }] });
    const first = joinGrantUsage(grants, evidence, undefined, new Date(ago(30)));
    expect(first).toEqual([
      { resource: 'arn:aws:s3:::b', services: ['s3'], lastUsed: ago(2), since: ago(30) },
      { resource: 'arn:table', services: ['dynamodb'], unusedSince: ago(30), since: ago(30) },
    ]);
    const later = joinGrantUsage(grants, evidence, first, NOW);
    expect(later.map((g) => g.since)).toEqual([ago(30), ago(30)]);
  });

  it('finds unused only the grants older than unusedAfter with no use within it', () => {
    const g = (fields: Partial<GrantUsage>): GrantUsage => ({
      resource: 'r',
      services: [],
      since: ago(200),
      ...fields,
    });
    const grants = [
      g({ resource: 'used', lastUsed: ago(10) }),
      g({ resource: 'stale', lastUsed: ago(100) }),
      g({ resource: 'never', unusedSince: ago(200) }),
      g({ resource: 'young', since: ago(10), unusedSince: ago(10) }),
    ];
    expect(unusedGrants(grants, NOW, 90 * DAY).map((x) => x.resource)).toEqual(['stale', 'never']);
  });
});

describe("the account's UsageReviewed", () => {
  it('is unset before any review, True when reviews work, False naming the failure and how many', () => {
    expect(accountReviewVerdict([undefined])).toBeUndefined();
    expect(accountReviewVerdict([usage(), undefined])).toMatchObject({ ok: true, reason: 'Reviewed' });
    const forbidden = usage({
      error: { reason: 'UsageReviewForbidden', message: 'iam:GenerateServiceLastAccessedDetails' },
    });
    expect(accountReviewVerdict([usage(), forbidden, forbidden])).toEqual({
      ok: false,
      reason: 'UsageReviewForbidden',
      message: '2 of 3 identities could not be reviewed: iam:GenerateServiceLastAccessedDetails',
    });
    // A passing failure (throttled) is the identity's to retry, not the account's to fix.
    expect(accountReviewVerdict([usage({ error: { reason: 'Throttled', message: 'm' } })])).toMatchObject({
      ok: true,
    });
  });
});
