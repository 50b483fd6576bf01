import { type Clock, sleepOn } from '../../src/runtime/clock.js';

interface FakeTimer {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
}

/** Lets queued promise callbacks run (the whole microtask queue drains before a macrotask). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A manually driven clock for tests. Timers fire in due order (ties in creation order) and only
 * when `advance`/`advanceAsync` moves time past them.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextOrder = 0;
  /** Sorted by (at, order). */
  private timers: FakeTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: FakeTimer = { at: this.current + Math.max(0, ms), order: this.nextOrder++, fn };
    const index = this.timers.findIndex((t) => t.at > timer.at);
    this.timers.splice(index === -1 ? this.timers.length : index, 0, timer);
    return () => {
      const position = this.timers.indexOf(timer);
      if (position !== -1) this.timers.splice(position, 1);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn((fn, delay) => this.setTimeout(fn, delay), ms, signal);
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward synchronously, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) {
      this.current = timer.at;
      timer.fn();
    }
    this.current = target;
  }

  /**
   * Moves time forward, letting pending promise callbacks run before and after each timer, so code
   * that awaits between timers behaves as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushPromises();
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) {
      this.current = timer.at;
      timer.fn();
      await flushPromises();
    }
    this.current = target;
    await flushPromises();
  }

  private takeDue(target: number): FakeTimer | undefined {
    const first = this.timers[0];
    if (!first || first.at > target) return undefined;
    this.timers.shift();
    return first;
  }
}
