import { type Clock, realClock } from './clock.js';
import { CubicRate } from './cubic-rate.js';

export interface AdaptiveBucketOptions {
  /** The configured rate (tokens per second): the ceiling the adaptive rate never exceeds. */
  qps: number;
  /**
   * The rate to start at, below `qps`: answers that are not throttled raise it towards `qps`
   * (see CubicRate). Default `qps`.
   */
  startQps?: number;
  /** Largest burst at the configured rate. */
  burst: number;
  /** The lowest rate throttling can bring it to. Default 0.5 per second, or `qps` if lower. */
  floorQps?: number;
  clock?: Clock;
}

interface Waiter {
  grant(): void;
}

/**
 * A token bucket whose rate adapts to a server's throttling (see CubicRate): every caller reports
 * how its call was answered, a throttled answer slows the rate for everyone, answers that are not
 * throttled bring it back up to `qps`. A server's Retry-After stops every caller until it has passed.
 *
 * Callers wait in order, and each token is handed out at the rate of the moment it is due, so a
 * cut slows callers already waiting too. While the rate is reduced, the bucket holds at most one
 * second's worth of tokens, and when a pause ends it holds one: waiting callers resume one token
 * after another, never all at once.
 */
export class AdaptiveBucket {
  private readonly burst: number;
  private readonly clock: Clock;
  private readonly rate: CubicRate;
  private tokens: number;
  /** Time up to which tokens have been refilled; in the future while paused. */
  private refilledUntil: number;
  private pausedUntil = 0;
  private readonly waiters: Waiter[] = [];
  private cancelTimer: (() => void) | undefined;

  constructor(options: AdaptiveBucketOptions) {
    if (!(options.qps > 0) || !(options.burst >= 1)) {
      throw new Error(
        `token bucket needs qps > 0 and burst >= 1, got qps=${options.qps} burst=${options.burst}`,
      );
    }
    this.burst = options.burst;
    this.clock = options.clock ?? realClock;
    this.rate = new CubicRate({
      ceiling: options.qps,
      ...(options.startQps !== undefined ? { start: options.startQps } : {}),
      ...(options.floorQps !== undefined ? { floor: options.floorQps } : {}),
    });
    this.tokens = options.burst;
    this.refilledUntil = this.clock.now();
  }

  /** Waits for a token, in order of arrival. If the signal aborts first, no token is taken. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiters.length === 0 && this.take()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        if (this.waiters.length === 0) this.disarm();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      if (this.waiters.length === 1) this.serve();
    });
  }

  /** A call made with a token was answered without throttling (successfully or not). */
  answered(): void {
    this.record(false);
  }

  /**
   * A call was throttled: the rate is cut, and with a Retry-After (`retryAfterMs`) no token is
   * handed out until it has passed.
   */
  throttled(retryAfterMs?: number): void {
    this.record(true);
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.pause(retryAfterMs);
  }

  /** Tokens per second now. */
  currentQps(): number {
    return this.rate.current();
  }

  /** Tokens available now, not counting callers already waiting. */
  available(): number {
    this.refill(this.clock.now());
    return this.tokens;
  }

  /** Callers waiting for a token. */
  waiting(): number {
    return this.waiters.length;
  }

  private record(throttled: boolean): void {
    const now = this.clock.now();
    // Tokens up to now accrued at the old rate.
    this.refill(now);
    this.rate.record(now, throttled);
    this.tokens = Math.min(this.tokens, this.capacity());
    if (this.waiters.length > 0) {
      this.disarm();
      this.serve();
    }
  }

  private pause(ms: number): void {
    const now = this.clock.now();
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    // One caller may go when the pause ends; the others follow at the rate, not all at once.
    this.tokens = 1;
    this.refilledUntil = until;
    if (this.waiters.length > 0) {
      this.disarm();
      this.serve();
    }
  }

  /** Hands tokens to waiting callers, in order, and arms the timer for the next one. */
  private serve(): void {
    this.cancelTimer = undefined;
    while (this.waiters.length > 0 && this.take()) this.waiters.shift()?.grant();
    if (this.waiters.length === 0) return;
    const now = this.clock.now();
    const refillWait = this.pausedUntil > now ? this.pausedUntil - now : 0;
    const tokenWait = ((1 - this.tokens) * 1000) / this.rate.current();
    const wait = Math.max(1, Math.ceil(refillWait + Math.max(0, tokenWait)));
    this.cancelTimer = this.clock.setTimeout(() => this.serve(), wait);
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private take(): boolean {
    const now = this.clock.now();
    if (now < this.pausedUntil) return false;
    this.refill(now);
    // Refills computed from whole milliseconds may fall short of a token by rounding only.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens -= 1;
    return true;
  }

  private capacity(): number {
    return this.rate.isReduced() ? Math.max(1, Math.min(this.burst, this.rate.current())) : this.burst;
  }

  private refill(now: number): void {
    if (now <= this.refilledUntil) return;
    const added = ((now - this.refilledUntil) * this.rate.current()) / 1000;
    this.tokens = Math.min(this.capacity(), this.tokens + added);
    this.refilledUntil = now;
  }
}
