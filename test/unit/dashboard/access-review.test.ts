import { describe, expect, it } from 'vitest';
import {
  AccessReviewer,
  bearerToken,
  type ListedResource,
  type ReviewedUser,
  type Reviews,
} from '../../../src/dashboard/access-review.js';
import { TokenBucket } from '../../../src/runtime/token-bucket.js';
import { FakeClock } from '../../support/fake-clock.js';

/** Reviews answered from a table: token → user, and user → the resource/namespace pairs they may list. */
function tableReviews(users: Record<string, string>, grants: Record<string, string[]>) {
  const sent: string[] = [];
  const reviews: Reviews = {
    authenticate: async (token) => {
      sent.push(`token ${token}`);
      if (token === 'broken') throw new Error('API server unavailable');
      const username = users[token];
      return username ? { username } : undefined;
    },
    mayList: async (user: ReviewedUser, resource: ListedResource, namespace) => {
      sent.push(`list ${user.username} ${resource} ${namespace ?? '*'}`);
      return (grants[user.username] ?? []).includes(`${resource}/${namespace ?? '*'}`);
    },
  };
  return { reviews, sent };
}

const NAMESPACES = () => ({ WorkloadIdentity: ['shop', 'payments'], IdentityBinding: ['shop', 'payments'] });

function reviewer(reviews: Reviews, clock = new FakeClock(0), burst = 100) {
  return new AccessReviewer({
    reviews,
    clock,
    cacheMs: 30_000,
    budget: new TokenBucket({ qps: 1, burst, clock }),
  });
}

describe('AccessReviewer', () => {
  const { reviews } = tableReviews(
    { a: 'admin', s: 'shop-viewer', n: 'nobody' },
    {
      admin: ['cloudaccounts/*', 'workloadidentities/*', 'identitybindings/*'],
      'shop-viewer': ['workloadidentities/shop', 'identitybindings/shop'],
    },
  );

  it.each([
    ['no header', undefined, { kind: 'unauthenticated' }],
    ['another scheme', 'Basic dXNlcjpwYXNz', { kind: 'unauthenticated' }],
    [
      'a token the API server does not accept',
      'Bearer x',
      { kind: 'unauthenticated', message: 'the API server did not accept this token' },
    ],
    ['a user who may list nothing', 'Bearer n', { kind: 'forbidden', user: 'nobody' }],
  ])('refuses %s', async (_name, header, want) => {
    expect(await reviewer(reviews).review(header, NAMESPACES)).toMatchObject(want);
  });

  it('grants everything to a user who may list every kind everywhere', async () => {
    expect(await reviewer(reviews).review('Bearer a', NAMESPACES)).toEqual({
      kind: 'granted',
      user: 'admin',
      access: { accounts: true, namespaces: { WorkloadIdentity: 'all', IdentityBinding: 'all' } },
    });
  });

  it('grants a namespaced user the namespaces where they may list each kind', async () => {
    expect(await reviewer(reviews).review('Bearer s', NAMESPACES)).toEqual({
      kind: 'granted',
      user: 'shop-viewer',
      access: {
        accounts: false,
        namespaces: { WorkloadIdentity: new Set(['shop']), IdentityBinding: new Set(['shop']) },
      },
    });
  });

  it('reuses a token’s answers within the cache time and asks again after it', async () => {
    const { reviews: counted, sent } = tableReviews(
      { s: 'shop-viewer' },
      { 'shop-viewer': ['workloadidentities/shop'] },
    );
    const clock = new FakeClock(0);
    const r = reviewer(counted, clock);
    await r.review('Bearer s', NAMESPACES);
    const first = sent.length;
    expect(first).toBe(1 + 1 + 3 + 3);
    await r.review('Bearer s', NAMESPACES);
    expect(sent.length).toBe(first);
    // A namespace that appears later is reviewed on its own.
    await r.review('Bearer s', () => ({
      ...NAMESPACES(),
      WorkloadIdentity: ['shop', 'payments', 'billing'],
    }));
    expect(sent.slice(first)).toEqual(['list shop-viewer workloadidentities billing']);
    clock.advance(30_000);
    await r.review('Bearer s', NAMESPACES);
    expect(sent.length).toBe(first + 1 + first);
  });

  it('answers 429 once the review budget is spent, and recovers as it refills', async () => {
    const clock = new FakeClock(0);
    const r = reviewer(reviews, clock, 4);
    expect(await r.review('Bearer a', NAMESPACES)).toMatchObject({ kind: 'granted' });
    expect(await r.review('Bearer other', NAMESPACES)).toEqual({ kind: 'throttled', retryAfterSeconds: 1 });
    clock.advance(1000);
    expect(await r.review('Bearer other', NAMESPACES)).toMatchObject({ kind: 'unauthenticated' });
  });

  it('does not keep a failed review: the next request asks again', async () => {
    const { reviews: failing, sent } = tableReviews({}, {});
    const r = reviewer(failing);
    await expect(r.review('Bearer broken', NAMESPACES)).rejects.toThrow('API server unavailable');
    await expect(r.review('Bearer broken', NAMESPACES)).rejects.toThrow('API server unavailable');
    expect(sent).toEqual(['token broken', 'token broken']);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc ', 'abc'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, want) => {
    expect(bearerToken(header)).toBe(want);
  });
});
