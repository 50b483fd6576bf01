import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/runtime/token-bucket.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

/** Starts `acquire` and records when (fake time) it resolved. */
function track(bucket: TokenBucket, clock: FakeClock, signal?: AbortSignal) {
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

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/qps, in order', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 2, clock });
    const callers = Array.from({ length: 4 }, () => track(bucket, clock));
    await clock.advanceAsync(1000);
    expect(callers.map((c) => c.state.at)).toEqual([0, 0, 100, 200]);
  });

  it('pause stops every caller until it ends, then tokens flow at qps without a burst', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 100, clock });
    const first = track(bucket, clock);
    await flushPromises();
    expect(first.state.at).toBe(0);

    bucket.pause(5000);
    const later = Array.from({ length: 3 }, () => track(bucket, clock));
    await clock.advanceAsync(4999);
    expect(later.map((c) => c.state.at)).toEqual([undefined, undefined, undefined]);
    await clock.advanceAsync(1000);
    expect(later.map((c) => c.state.at)).toEqual([5000, 5100, 5200]);
  });

  it('a pause that starts while a caller waits for its turn delays that caller too', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 1, burst: 1, clock });
    await bucket.acquire();
    const waiting = track(bucket, clock);
    await clock.advanceAsync(500);
    bucket.pause(3000);
    await clock.advanceAsync(10_000);
    expect(waiting.state.at).toBe(3500);
  });

  it('a shorter pause does not shorten a longer one', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 10, burst: 10, clock });
    bucket.pause(2000);
    bucket.pause(500);
    const caller = track(bucket, clock);
    await clock.advanceAsync(5000);
    expect(caller.state.at).toBe(2000);
  });

  it('an aborted acquire rejects and gives its token back', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ qps: 1, burst: 1, clock });
    await bucket.acquire();
    const abort = new AbortController();
    const aborted = track(bucket, clock, abort.signal);
    abort.abort(new Error('cancelled'));
    await aborted.done;
    expect(aborted.state.error).toEqual(new Error('cancelled'));
    expect(clock.pendingTimers()).toBe(0);
    const next = track(bucket, clock);
    await clock.advanceAsync(2000);
    expect(next.state.at).toBe(1000);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps/);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(/burst/);
  });
});
