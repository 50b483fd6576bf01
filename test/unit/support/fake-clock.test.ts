import { describe, expect, it } from 'vitest';
import { realClock } from '../../../src/runtime/clock.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('FakeClock', () => {
  it('fires due timers in time order, ties in creation order, and no others', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    clock.setTimeout(() => fired.push('d@30'), 30);
    clock.advance(20);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('sets now() to each timer time while it fires, and fires timers scheduled during advance', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
    }, 10);
    clock.advance(100);
    expect(seen).toEqual([10, 15]);
    expect(clock.now()).toBe(100);
  });

  it('cancelled timers never fire', () => {
    const clock = new FakeClock(0);
    let fired = false;
    const cancel = clock.setTimeout(() => {
      fired = true;
    }, 10);
    cancel();
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('advanceAsync lets code that awaits between timers run', async () => {
    const clock = new FakeClock(0);
    const wokeAt: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        await Promise.resolve();
        wokeAt.push(clock.now());
      }
    };
    const done = loop();
    await clock.advanceAsync(30);
    await done;
    expect(wokeAt).toEqual([10, 20, 30]);
  });

  it('sleep rejects with the abort reason and removes its timer', async () => {
    const clock = new FakeClock(0);
    const abort = new AbortController();
    const sleeping = clock.sleep(1000, abort.signal);
    abort.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('realClock', () => {
  it('sleep rejects at once for an already-aborted signal', async () => {
    await expect(realClock.sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('setTimeout can be cancelled', async () => {
    let fired = false;
    const cancel = realClock.setTimeout(() => {
      fired = true;
    }, 0);
    cancel();
    await realClock.sleep(1);
    expect(fired).toBe(false);
  });
});
