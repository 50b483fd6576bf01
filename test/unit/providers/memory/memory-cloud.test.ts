import { describe, expect, it } from 'vitest';
import { MemoryCloud } from '../../../../src/providers/memory/memory-cloud.js';
import { MemoryProvider } from '../../../../src/providers/memory/memory-provider.js';
import { AccountLimiter } from '../../../../src/providers/shared/cloud-calls.js';
import { testContext } from '../../../support/context.js';
import { FakeClock } from '../../../support/fake-clock.js';

const ACCOUNT = { name: 'a', spec: { provider: 'aws' as const } };

describe('the in-memory cloud', () => {
  it('refuses calls over its quota with a throttling error and the wait, as a cloud API does', async () => {
    const clock = new FakeClock();
    const cloud = new MemoryCloud({ clock, rateLimits: { read: { qps: 2, burst: 2 } } });
    const check = () => cloud.call('CheckAccount', 'a', () => 'ok');
    await check();
    await check();
    await expect(check()).rejects.toMatchObject({ kind: 'throttled', retryAfterMs: 500 });
    clock.advance(500);
    await expect(check()).resolves.toBe('ok');
    expect(cloud.throttled.get('CheckAccount')).toBe(1);
    expect(cloud.calls.get('CheckAccount')).toBe(4);
  });

  it('with a client-side limiter, pauses every caller after a throttle instead of hammering', async () => {
    const clock = new FakeClock();
    const cloud = new MemoryCloud({ clock, rateLimits: { read: { qps: 1, burst: 1 } } });
    const rate = { qps: 100, burst: 100 };
    const provider = new MemoryProvider(cloud, {
      limiter: new AccountLimiter({ read: rate, write: rate }, clock),
    });
    const context = { principals: [] };
    const ctx = testContext(clock);
    await provider.accounts.check(ctx, ACCOUNT, context);
    await expect(provider.accounts.check(ctx, ACCOUNT, context)).rejects.toMatchObject({ kind: 'throttled' });
    const next = provider.accounts.check(ctx, ACCOUNT, context);
    await clock.advanceAsync(999);
    expect(cloud.calls.get('CheckAccount')).toBe(2);
    await clock.advanceAsync(1);
    await expect(next).resolves.toEqual({ callerIdentity: 'memory:operator' });
    expect(cloud.throttled.get('CheckAccount')).toBe(1);
  });

  it('counts each latency wait as it ran, a late one with its lateness, until the counts are reset', async () => {
    const clock = new FakeClock();
    const cloud = new MemoryCloud({ clock, latencyMs: 30 });
    const check = () => cloud.call('CheckAccount', 'a', () => 'ok');

    const onTime = check();
    await clock.advanceAsync(30);
    await expect(onTime).resolves.toBe('ok');
    expect(cloud.waited).toEqual({ count: 1, ms: 30 });

    // The timer is due at 30 ms, but the clock reads 45 ms before the call can go on.
    const late = check();
    clock.advance(45);
    await expect(late).resolves.toBe('ok');
    expect(cloud.waited).toEqual({ count: 2, ms: 75 });
    expect(cloud.meanWaitMs()).toBe(37.5);

    cloud.resetCounts();
    expect(cloud.waited).toEqual({ count: 0, ms: 0 });
    expect(cloud.meanWaitMs()).toBeUndefined();
  });

  it('counts no wait without a latency', async () => {
    const cloud = new MemoryCloud({ clock: new FakeClock() });
    await cloud.call('CheckAccount', 'a', () => 'ok');
    expect(cloud.waited).toEqual({ count: 0, ms: 0 });
  });
});

describe('AccountLimiter', () => {
  it('gives reads and writes buckets of their own', () => {
    const limiter = new AccountLimiter(
      { read: { qps: 1, burst: 1 }, write: { qps: 1, burst: 1 } },
      new FakeClock(),
    );
    for (const read of [
      'GetRole',
      'ListRolePolicies',
      'serviceAccounts.get',
      'projects.getIamPolicy',
      'federatedCredentials.list',
      'CheckAccount',
    ]) {
      expect(limiter.for(read)).toBe(limiter.read);
    }
    for (const write of [
      'CreateRole',
      'PutRolePolicy',
      'projects.setIamPolicy',
      'identities.put',
      'roleAssignments.delete',
      'TagRole',
    ]) {
      expect(limiter.for(write)).toBe(limiter.write);
    }
    expect(limiter.read.available()).toBe(1);
    expect(limiter.write.available()).toBe(1);
  });
});
