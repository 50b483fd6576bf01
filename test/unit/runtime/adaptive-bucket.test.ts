import { describe, expect, it } from 'vitest';
import { AdaptiveBucket } from '../../../src/runtime/adaptive-bucket.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

/** Starts `acquire` and records when (fake time) it resolved. */
function track(bucket: AdaptiveBucket, clock: FakeClock, signal?: AbortSignal) {
  const state: { at?: number; error?: unknown } = {};
  const done = bucket.acquire(signal).then(
    () => {
      state.at = clock.now();
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return { state, done };
}

/**
 * Callers that each take a token and report their answer at once, as a saturated account's
 * callers do; returns the times tokens were granted. `throttle(i)` says which calls are throttled.
 */
async function saturate(
  bucket: AdaptiveBucket,
  clock: FakeClock,
  options: { callers: number; forMs: number; throttle: (call: number) => boolean; retryAfterMs?: number },
): Promise<number[]> {
  const grants: number[] = [];
  const end = clock.now() + options.forMs;
  let calls = 0;
  const caller = async () => {
    while (clock.now() < end) {
      await bucket.acquire();
      grants.push(clock.now());
      const call = calls++;
      if (options.throttle(call)) bucket.throttled(options.retryAfterMs);
      else bucket.answered();
    }
  };
  const running = Array.from({ length: options.callers }, caller);
  await clock.advanceAsync(options.forMs + 10_000);
  await Promise.all(running);
  return grants.filter((at) => at < end);
}

const within = (grants: number[], from: number, to: number) =>
  grants.filter((at) => at >= from && at < to).length;

describe('AdaptiveBucket', () => {
  it('grants the burst at once, then one token per 1/qps, in order', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 10, burst: 2, clock });
    const callers = Array.from({ length: 4 }, () => track(bucket, clock));
    await clock.advanceAsync(1000);
    expect(callers.map((c) => c.state.at)).toEqual([0, 0, 100, 200]);
  });

  it('never exceeds its configured rate and burst while nothing is throttled', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 20, burst: 40, clock });
    const grants = await saturate(bucket, clock, { callers: 8, forMs: 10_000, throttle: () => false });
    expect(grants.length).toBeLessThanOrEqual(40 + 20 * 10);
    for (let start = 0; start < 10_000; start += 1000) {
      expect(within(grants, start, start + 1000)).toBeLessThanOrEqual(start === 0 ? 40 + 20 : 20);
    }
    expect(bucket.currentQps()).toBe(20);
  });

  it('slows every caller when calls are throttled, callers already waiting included', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 10, burst: 1, clock });
    const queued = Array.from({ length: 40 }, () => track(bucket, clock));
    // A second of answers at 10/s, then a run of throttled ones.
    for (let t = 0; t < 10; t++) {
      await clock.advanceAsync(100);
      bucket.answered();
    }
    for (let t = 0; t < 20; t++) bucket.throttled();
    const cutAt = clock.now();
    expect(bucket.currentQps()).toBeLessThan(10);
    await clock.advanceAsync(1);
    const waiting = queued.filter((c) => c.state.at === undefined);
    await clock.advanceAsync(60_000);
    const after = waiting.map((c) => c.state.at as number);
    expect(after.length).toBeGreaterThan(20);
    expect(after[0]).toBeGreaterThan(cutAt);
    // The grants that follow come at the cut rate, not 100 ms apart.
    for (let i = 1; i < 5; i++) expect((after[i] as number) - (after[i - 1] as number)).toBeGreaterThan(100);
  });

  it('under steady throttling, falls well below its rate, and climbs back to it once calls get through', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 20, burst: 20, clock });
    // 10 s in which every other call is throttled, then 10 s without throttling.
    const throttled = await saturate(bucket, clock, {
      callers: 4,
      forMs: 10_000,
      throttle: (i) => i % 2 === 0,
    });
    expect(within(throttled, 8000, 10_000)).toBeLessThan(20);
    expect(bucket.currentQps()).toBeLessThan(10);
    const start = clock.now();
    const free = await saturate(bucket, clock, { callers: 4, forMs: 10_000, throttle: () => false });
    expect(bucket.currentQps()).toBe(20);
    // Back at the full rate, and never above what the configured rate and burst allow.
    expect(within(free, start + 8000, start + 9000)).toBe(20);
    for (const at of free) expect(within(free, at, at + 1000)).toBeLessThanOrEqual(20 + 20);
  });

  it('with a Retry-After, hands out no token until it has passed, then one caller after another at the cut rate', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 10, burst: 10, clock });
    await bucket.acquire();
    bucket.throttled(5000);
    const waiting = Array.from({ length: 5 }, () => track(bucket, clock));
    await clock.advanceAsync(4999);
    expect(waiting.map((c) => c.state.at)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    await clock.advanceAsync(10_000);
    const times = waiting.map((c) => c.state.at as number);
    expect(times[0]).toBe(5000);
    // No burst after the pause: each caller a token's time after the one before.
    const cutQps = bucket.currentQps();
    expect(cutQps).toBeLessThan(10);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(
        Math.floor(1000 / cutQps),
      );
    }
  });

  it('a Retry-After that comes while callers wait for their turn delays them too; a shorter one shortens nothing', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 1, burst: 1, clock });
    await bucket.acquire();
    const waiting = track(bucket, clock);
    await clock.advanceAsync(500);
    bucket.throttled(3000);
    bucket.throttled(100);
    await clock.advanceAsync(10_000);
    expect(waiting.state.at).toBe(3500);
  });

  it('a throttled answer without Retry-After pauses nobody', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 10, burst: 5, clock });
    await bucket.acquire();
    bucket.throttled();
    const next = track(bucket, clock);
    await flushPromises();
    expect(next.state.at).toBe(0);
  });

  it('an aborted acquire rejects, takes no token and leaves no timer', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 1, burst: 1, clock });
    await bucket.acquire();
    const abort = new AbortController();
    const aborted = track(bucket, clock, abort.signal);
    abort.abort(new Error('cancelled'));
    await aborted.done;
    expect(aborted.state.error).toEqual(new Error('cancelled'));
    expect(bucket.waiting()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    const next = track(bucket, clock);
    await clock.advanceAsync(2000);
    expect(next.state.at).toBe(1000);
    const already = new AbortController();
    already.abort(new Error('too late'));
    await expect(bucket.acquire(already.signal)).rejects.toThrow('too late');
  });

  it('an aborted caller in the middle of the queue does not hold up the ones behind it', async () => {
    const clock = new FakeClock(0);
    const bucket = new AdaptiveBucket({ qps: 10, burst: 1, clock });
    await bucket.acquire();
    const abort = new AbortController();
    const first = track(bucket, clock);
    const aborted = track(bucket, clock, abort.signal);
    const last = track(bucket, clock);
    abort.abort(new Error('cancelled'));
    await clock.advanceAsync(1000);
    expect([first.state.at, aborted.state.at, last.state.at]).toEqual([100, undefined, 200]);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new AdaptiveBucket({ qps: 0, burst: 1 })).toThrow(/qps/);
    expect(() => new AdaptiveBucket({ qps: 1, burst: 0 })).toThrow(/burst/);
  });
});
