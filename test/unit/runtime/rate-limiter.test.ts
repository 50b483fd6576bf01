import { describe, expect, it } from 'vitest';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialBackoffLimiter,
  maxOf,
} from '../../../src/runtime/rate-limiter.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('ExponentialBackoffLimiter', () => {
  it('doubles from 5 ms per failure of a key, independently per key', () => {
    const limiter = new ExponentialBackoffLimiter();
    expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.retries('a')).toBe(5);
    expect(limiter.retries('b')).toBe(1);
  });

  it('caps at 1000 s by default, even after very many failures', () => {
    const limiter = new ExponentialBackoffLimiter();
    let delay = 0;
    for (let i = 0; i < 2000; i++) delay = limiter.when('a');
    expect(delay).toBe(1_000_000);
    // 5 ms * 2^17 = 655 s < 1000 s < 5 ms * 2^18
    const fresh = new ExponentialBackoffLimiter();
    const delays = Array.from({ length: 20 }, () => fresh.when('a'));
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
  });

  it('forget resets the backoff of that key only', () => {
    const limiter = new ExponentialBackoffLimiter({ baseMs: 5 });
    limiter.when('a');
    limiter.when('a');
    limiter.when('b');
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBe(10);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst of 100 through, then spaces attempts at 10 per second', () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter({ clock });
    const burst = Array.from({ length: 100 }, (_, i) => limiter.when(`k${i}`));
    expect(burst.every((delay) => delay === 0)).toBe(true);
    expect(limiter.when('x')).toBe(100);
    expect(limiter.when('y')).toBe(200);
  });

  it('refills over time, up to the burst', () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter({ clock, qps: 10, burst: 3 });
    for (let i = 0; i < 3; i++) limiter.when('k');
    clock.advance(200);
    expect(limiter.when('k')).toBe(0);
    expect(limiter.when('k')).toBe(0);
    expect(limiter.when('k')).toBe(100);
    clock.advance(60_000);
    expect([limiter.when('k'), limiter.when('k'), limiter.when('k'), limiter.when('k')]).toEqual([
      0, 0, 0, 100,
    ]);
  });
});

describe('maxOf', () => {
  it('returns the longest delay and forgets in every limiter', () => {
    const clock = new FakeClock(0);
    const limiter = maxOf(
      new ExponentialBackoffLimiter(),
      new BucketRateLimiter({ clock, qps: 1, burst: 1 }),
    );
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(1000);
    expect(limiter.retries('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
  });

  it('the controller default behaves like per-key backoff while the bucket has tokens', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock(0));
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a')]).toEqual([5, 10, 20]);
  });
});
