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
  /** Time up to which tokens have been refilled; in the future while paused. */
  private refilledUntil: number;
  private pausedUntil = 0;

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
    return Math.max(0, this.refilledUntil - now) + debtMs;
  }

  /** Waits for a token. If the signal aborts first, the reserved token is given back. */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const wait = this.reserve();
    try {
      if (wait > 0) await this.clock.sleep(wait, signal);
      // A pause may have started while this caller was waiting for its turn.
      for (let now = this.clock.now(); this.pausedUntil > now; now = this.clock.now()) {
        await this.clock.sleep(this.pausedUntil - now, signal);
      }
    } catch (err) {
      this.tokens = Math.min(this.burst, this.tokens + 1);
      throw err;
    }
  }

  /**
   * Hands out no token for `ms` (a server's Retry-After). Afterwards tokens flow at `qps` again,
   * without the burst that accumulated meanwhile, so the server is not hit by every caller at once.
   */
  pause(ms: number): void {
    const now = this.clock.now();
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.refill(now);
    this.pausedUntil = until;
    this.tokens = Math.min(this.tokens, 1);
    this.refilledUntil = Math.max(this.refilledUntil, until);
  }

  /** Tokens available now (negative when callers are queued). */
  available(): number {
    this.refill(this.clock.now());
    return this.tokens;
  }

  private refill(now: number): void {
    if (now <= this.refilledUntil) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledUntil) * this.qps) / 1000);
    this.refilledUntil = now;
  }
}
