import { describe, expect, it } from 'vitest';
import { ExponentialBackoffLimiter } from '../../../src/runtime/rate-limiter.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

function newQueue(clock = new FakeClock(0)) {
  const depths: number[] = [];
  const queue = new WorkQueue({
    clock,
    rateLimiter: new ExponentialBackoffLimiter(),
    onDepthChange: (depth) => depths.push(depth),
  });
  return { queue, clock, depths };
}

/** Takes every queued key without waiting. */
async function takeAll(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('dedupes: a key is queued at most once, in first-add order', async () => {
    const { queue } = newQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b', 'a']) queue.add(key);
    expect(queue.len()).toBe(3);
    expect(queue.addsTotal()).toBe(3);
    expect(await takeAll(queue)).toEqual(['a', 'b', 'c']);
  });

  it('never hands an in-flight key out again before done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('b');
    expect(await takeAll(queue)).toEqual(['b']);
    expect(queue.inFlight()).toBe(2);
  });

  it('a key added while in flight is handed out exactly once more after done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    queue.done('a');
    expect(await takeAll(queue)).toEqual(['a']);
    queue.done('a');
    expect(queue.len()).toBe(0);
    expect(queue.inFlight()).toBe(0);
  });

  it('a worker waiting in get receives the next added key', async () => {
    const { queue } = newQueue();
    const waiting = queue.get();
    queue.add('a');
    expect(await waiting).toBe('a');
    expect(queue.inFlight()).toBe(1);
  });

  it('two waiting workers never receive the same key', async () => {
    const { queue } = newQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
  });

  it('addAfter adds the key when its delay has passed', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('a', 100);
    clock.advance(99);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(await takeAll(queue)).toEqual(['a']);
    expect(queue.delayedCount()).toBe(0);
  });

  it('addAfter: the earlier of two delays for one key wins', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('late-then-early', 1000);
    queue.addAfter('late-then-early', 100);
    queue.addAfter('early-then-late', 100);
    queue.addAfter('early-then-late', 1000);
    expect(queue.delayedCount()).toBe(2);
    clock.advance(100);
    expect(await takeAll(queue)).toEqual(['late-then-early', 'early-then-late']);
    queue.done('late-then-early');
    queue.done('early-then-late');
    const adds = queue.addsTotal();
    clock.advance(10_000);
    expect(queue.len()).toBe(0);
    expect(queue.addsTotal()).toBe(adds);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('waits out a delay longer than a Node timer can hold, without spinning', async () => {
    const { queue, clock } = newQueue();
    const requested: number[] = [];
    const setTimer = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      requested.push(ms);
      return setTimer(fn, ms);
    };
    const thirtyDays = 30 * 24 * 3_600_000;
    queue.addAfter('monthly', thirtyDays);
    expect(requested).toEqual([2 ** 31 - 1]);
    clock.advance(2 ** 31 - 1);
    expect(queue.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(thirtyDays - (2 ** 31 - 1));
    expect(await takeAll(queue)).toEqual(['monthly']);
    expect(requested).toEqual([2 ** 31 - 1, thirtyDays - (2 ** 31 - 1)]);
  });

  it('compacts the stale entries of keys moved earlier many times', async () => {
    const { queue, clock } = newQueue();
    for (let round = 0; round < 10; round++)
      for (let i = 0; i < 500; i++) queue.addAfter(`k${i}`, 100_000 - round * 1000);
    expect(queue.delayedCount()).toBe(500);
    clock.advance(91_000);
    expect((await takeAll(queue)).length).toBe(500);
    clock.advance(10_000);
    expect(queue.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('serves every delayed add with one timer, firing each key at its own time', async () => {
    const { queue, clock } = newQueue();
    for (let i = 0; i < 1000; i++) queue.addAfter(`k${i}`, 1000 + ((i * 7919) % 1000));
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(1000);
    expect(await takeAll(queue)).toEqual(['k0']);
    queue.done('k0');
    clock.advance(999);
    expect(queue.len()).toBe(999);
    expect(queue.delayedCount()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('re-arms its timer when a key is due earlier than any other', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('late', 1000);
    queue.addAfter('early', 10);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(10);
    expect(await takeAll(queue)).toEqual(['early']);
    clock.advance(989);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(await takeAll(queue)).toEqual(['late']);
  });

  it('addAfter with no delay adds at once', () => {
    const { queue } = newQueue();
    queue.addAfter('a', 0);
    expect(queue.len()).toBe(1);
  });

  it('addRateLimited delays by the growing backoff, and forget resets it', () => {
    const { queue, clock } = newQueue();
    expect([queue.addRateLimited('a'), queue.addRateLimited('a'), queue.addRateLimited('a')]).toEqual([
      5, 10, 20,
    ]);
    // Each call counted a failure; the key waits once, for the earliest of the three delays.
    expect(queue.retries('a')).toBe(3);
    expect(queue.delayedCount()).toBe(1);
    expect(queue.addRateLimited('a')).toBe(40);
    queue.forget('a');
    expect(queue.retries('a')).toBe(0);
    expect(queue.addRateLimited('a')).toBe(5);
    expect(queue.retriesTotal()).toBe(5);
    clock.advance(5);
    expect(queue.len()).toBe(1);
  });

  it('addRateLimited honours a longer minimum delay', () => {
    const { queue, clock } = newQueue();
    expect(queue.addRateLimited('a', 3000)).toBe(3000);
    clock.advance(2999);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
  });

  it('reports depth changes', async () => {
    const { queue, depths } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    expect(depths).toEqual([1, 2, 1]);
  });

  it('shutDown resolves waiting and later gets with undefined, ignores adds and cancels delayed adds', async () => {
    const { queue, clock } = newQueue();
    const waiting = queue.get();
    queue.addAfter('later', 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    queue.addAfter('b', 10);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('drain resolves only once every in-flight key is done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    queue.shutDown();
    let drained = false;
    const draining = queue.drain().then(() => {
      drained = true;
    });
    queue.done('a');
    await flushPromises();
    expect(drained).toBe(false);
    queue.done('b');
    await draining;
    expect(drained).toBe(true);
  });
});
