import { type Clock, realClock } from './clock.js';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Largest number of tokens held, i.e. the largest burst. */
  burst: number;
  clock?: Clock;
}

/**
 * A token bucket in which tokens may be reserved ahead of time (the balance goes negative), so that
 * each caller learns its own wait at once and callers are served in order, like Go's `rate.Limiter`.
 */
export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  /** Time up to which tokens have been refilled. */
  private refilledUntil: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.qps > 0) || !(options.burst >= 1)) {
      throw new Error(
        `token bucket needs qps > 0 and burst >= 1, got qps=${options.qps} burst=${options.burst}`,
      );
    }
    this.qps = options.qps;
    this.burst = options.burst;
    this.clock = options.clock ?? realClock;
    this.tokens = options.burst;
    this.refilledUntil = this.clock.now();
  }

  /** Takes a token now and returns how long (ms) the caller must wait before using it. */
  reserve(): number {
    const now = this.clock.now();
    this.refill(now);
    this.tokens -= 1;
    const debtMs = this.tokens < 0 ? (-this.tokens * 1000) / this.qps : 0;
    return debtMs;
  }

  /** Takes a token if one is there now, without going into debt; false when none is. */
  tryTake(): boolean {
    this.refill(this.clock.now());
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(now: number): void {
    if (now <= this.refilledUntil) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledUntil) * this.qps) / 1000);
    this.refilledUntil = now;
  }
}
