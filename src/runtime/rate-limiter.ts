import { exponentialDelay } from './backoff.js';
import type { Clock } from './clock.js';
import { TokenBucket } from './token-bucket.js';

/** Decides how long an item waits before its next attempt (client-go's `RateLimiter`). */
export interface RateLimiter {
  /** Records an attempt for `key` and returns the delay (ms) before it may run. */
  when(key: string): number;
  /** Stops tracking `key`: its next failure starts again from the smallest delay. */
  forget(key: string): void;
  /** Failures recorded for `key` since it was last forgotten. */
  retries(key: string): number;
}

export interface ExponentialBackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/** Per-key exponential backoff: base, 2×base, 4×base … up to max. */
export class ExponentialBackoffLimiter implements RateLimiter {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 5;
    this.maxMs = options.maxMs ?? 1_000_000;
  }

  when(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return exponentialDelay(attempt, this.baseMs, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface BucketLimiterOptions {
  qps?: number;
  burst?: number;
  clock: Clock;
}

/** One token bucket shared by every key: bounds the overall rate of retries. */
export class BucketRateLimiter implements RateLimiter {
  private readonly bucket: TokenBucket;

  constructor(options: BucketLimiterOptions) {
    this.bucket = new TokenBucket({
      qps: options.qps ?? 10,
      burst: options.burst ?? 100,
      clock: options.clock,
    });
  }

  when(_key: string): number {
    return this.bucket.reserve();
  }

  forget(_key: string): void {}

  retries(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters; every limiter records every attempt. */
export function maxOf(...limiters: RateLimiter[]): RateLimiter {
  return {
    when: (key) => limiters.reduce((longest, limiter) => Math.max(longest, limiter.when(key)), 0),
    forget: (key) => {
      for (const limiter of limiters) limiter.forget(key);
    },
    retries: (key) => limiters.reduce((most, limiter) => Math.max(most, limiter.retries(key)), 0),
  };
}

/** controller-runtime's default: per-key backoff 5 ms → 1000 s, and 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock): RateLimiter {
  return maxOf(new ExponentialBackoffLimiter(), new BucketRateLimiter({ clock }));
}
