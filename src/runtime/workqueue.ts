import { type Clock, realClock } from './clock.js';
import { DelayHeap } from './delay-heap.js';

/** Node runs a timer longer than this (about 24.8 days) after 1 ms; a longer delay re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  /** Called whenever the number of queued (not in-flight) keys changes. */
  onDepthChange?: (depth: number) => void;
}

/**
 * A work queue with client-go's rate-limiting workqueue semantics:
 * - a key is queued at most once, however often it is added;
 * - a key handed out by `get` is never handed to a second worker before `done(key)`;
 * - a key added while in flight is queued again when `done(key)` is called.
 *
 * After `shutDown`, adds are ignored and `get` resolves `undefined`; keys still queued are dropped
 * (reconciles are level-based, so the next start lists and enqueues everything again).
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly onDepthChange: (depth: number) => void;
  /** FIFO of keys ready to be handed out; always a subset of `dirty`. */
  private readonly queue: string[] = [];
  private queueHead = 0;
  /** Keys waiting to be processed (queued, or added again while in flight). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /**
   * Delayed adds: when each key is due. One timer serves them all, armed for the earliest, so a
   * resync pending for each of 20,000 objects costs a heap entry each, not a Node timer each. The
   * heap may hold stale entries (a key whose time moved earlier); `delayed` is the truth.
   */
  private readonly delayed = new Map<string, number>();
  private readonly delays = new DelayHeap();
  private timer: { at: number; cancel: () => void } | undefined;
  private readonly waitingWorkers: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private addCount = 0;
  private retryCount = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.onDepthChange = options.onDepthChange ?? (() => {});
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.addCount++;
    this.dirty.add(key);
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /** Adds `key` after `ms`. If it is already waiting, the earlier of the two times wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing !== undefined && existing <= at) return;
    this.delayed.set(key, at);
    this.delays.push(at, key);
    // Stale entries go when their time passes; many keys moved earlier at once are compacted here.
    if (this.delays.size > 2 * this.delayed.size + 1024) this.delays.rebuild(this.delayed);
    this.armTimer();
  }

  /**
   * Adds `key` after the rate limiter's delay (recording a failure), or after `atLeastMs` if that is
   * longer (a server's Retry-After). Returns the delay used.
   */
  addRateLimited(key: string, atLeastMs = 0): number {
    if (this.shuttingDown) return 0;
    this.retryCount++;
    const delay = Math.max(this.rateLimiter.when(key), atLeastMs);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` (after a success, or a failure that will not be retried). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures recorded for `key` since it was last forgotten. */
  retries(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /** The next key to process, waiting for one if needed; `undefined` once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.takeNext();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waitingWorkers.push(resolve));
  }

  /** Marks `key` as processed; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
    if (this.processing.size === 0) this.resolveDrainWaiters();
  }

  /** Keys queued and ready (not counting in-flight or delayed keys). */
  len(): number {
    return this.queue.length - this.queueHead;
  }

  inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delayed add. */
  delayedCount(): number {
    return this.delayed.size;
  }

  /** Total keys accepted by `add` (duplicates that were coalesced are not counted). */
  addsTotal(): number {
    return this.addCount;
  }

  /** Total calls of `addRateLimited`. */
  retriesTotal(): number {
    return this.retryCount;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting and handing out keys, and cancels delayed adds. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.delayed.clear();
    this.delays.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    this.dirty.clear();
    this.onDepthChange(0);
    for (const resolve of this.waitingWorkers.splice(0)) resolve(undefined);
  }

  /** Resolves once no key is in flight. */
  drain(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Keeps one timer armed for the earliest delayed add. */
  private armTimer(): void {
    const next = this.delays.peekTime();
    if (next === undefined || (this.timer && this.timer.at <= next)) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimeout(
      () => this.fireDue(),
      Math.min(next - this.clock.now(), MAX_TIMER_MS),
    );
    this.timer = { at: next, cancel };
  }

  private fireDue(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let at = this.delays.peekTime(); at !== undefined && at <= now; at = this.delays.peekTime()) {
      const { key } = this.delays.pop() as { at: number; key: string };
      if (this.delayed.get(key) !== at) continue;
      this.delayed.delete(key);
      this.add(key);
    }
    this.armTimer();
  }

  private enqueue(key: string): void {
    const worker = this.waitingWorkers.shift();
    if (worker) {
      // Hand over synchronously so the key is marked in flight before any other `get` can see it.
      this.dirty.delete(key);
      this.processing.add(key);
      worker(key);
      return;
    }
    this.queue.push(key);
    this.onDepthChange(this.len());
  }

  private takeNext(): string | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const key = this.queue[this.queueHead] as string;
    this.queueHead++;
    // Compact occasionally so dequeue stays O(1) amortised without unbounded growth.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    this.onDepthChange(this.len());
    return key;
  }

  private resolveDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
