import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/runtime/token-bucket.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/qps, in order', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 2, clock });
    expect(Array.from({ length: 4 }, () => bucket.reserve())).toEqual([0, 0, 100, 200]);
  });

  it('refills while time passes, up to the burst and no more', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 2, clock });
    bucket.reserve();
    bucket.reserve();
    clock.advance(10_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });

  it('takes a token only when one is there, never going into debt', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 2, clock });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    clock.advance(100);
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps/);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(/burst/);
  });
});
