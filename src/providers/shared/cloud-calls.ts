import { Reason } from '../../api/reasons.js';
import { AdaptiveBucket } from '../../runtime/adaptive-bucket.js';
import type { Clock } from '../../runtime/clock.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, isClassified } from '../../runtime/errors.js';

export type Classify = (err: unknown, operation: string) => ClassifiedError;

export interface Rate {
  qps: number;
  burst: number;
  /** Start below `qps` and let the cloud's answers raise the rate to it (AdaptiveBucket). */
  startQps?: number;
}

/**
 * How far above a cloud's default rate an account without spec.rateLimits may climb while the
 * cloud does not throttle: the defaults are where it starts, not a limit the cloud set.
 */
export const DEFAULT_RATE_HEADROOM = 20;

/**
 * One account's client-side limits: reads and writes have buckets of their own, as the clouds'
 * quotas do, so a burst of reads never holds back a write the cloud would accept. Each runs at its
 * configured rate until the cloud throttles it, then adapts (AdaptiveBucket).
 */
export class AccountLimiter {
  readonly read: AdaptiveBucket;
  readonly write: AdaptiveBucket;

  /** `onThrottled` hears of every throttled answer, each resend of a call included (for metrics). */
  constructor(
    rates: { read: Rate; write: Rate },
    clock?: Clock,
    private readonly onThrottled?: (operation: string) => void,
  ) {
    this.read = new AdaptiveBucket({ ...bucketRate(rates.read), ...(clock ? { clock } : {}) });
    this.write = new AdaptiveBucket({ ...bucketRate(rates.write), ...(clock ? { clock } : {}) });
  }

  /**
   * get*, list*, check*, *.get, *.getIamPolicy, GetRole, activities.query ... are reads, and so is
   * AWS's GenerateServiceLastAccessedDetails (it starts a report, changing nothing); everything
   * else writes.
   */
  for(operation: string): AdaptiveBucket {
    return /(^|\.)(get|list|check|query|generateservicelastaccessed)/i.test(operation)
      ? this.read
      : this.write;
  }

  /** The cloud refused `operation` for its rate: its bucket slows down (and pauses for a Retry-After). */
  throttled(operation: string, retryAfterMs: number | undefined): void {
    this.for(operation).throttled(retryAfterMs);
    this.onThrottled?.(operation);
  }
}

function probingFrom(rate: Rate): Rate {
  return { qps: rate.qps * DEFAULT_RATE_HEADROOM, burst: rate.burst, startQps: rate.qps };
}

/** A Rate without an undefined startQps (exactOptionalPropertyTypes). */
function bucketRate(rate: Rate): { qps: number; burst: number; startQps?: number } {
  return {
    qps: rate.qps,
    burst: rate.burst,
    ...(rate.startQps !== undefined ? { startQps: rate.startQps } : {}),
  };
}

/**
 * The account's own limits (spec.rateLimits), a ceiling the rate never exceeds, over the cloud's
 * defaults, where the rate starts and from which it climbs (up to DEFAULT_RATE_HEADROOM times)
 * until the cloud throttles.
 */
export function accountLimiter(
  defaults: { read: Rate; write: Rate },
  overrides: { reads?: Rate; writes?: Rate } | undefined,
  onThrottled?: (operation: string) => void,
): AccountLimiter {
  return new AccountLimiter(
    {
      read: overrides?.reads ?? probingFrom(defaults.read),
      write: overrides?.writes ?? probingFrom(defaults.write),
    },
    undefined,
    onThrottled,
  );
}

/** How long one cloud call may take when the account's provider is not told otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 20_000;

/** What a client's call hands the SDK: the signal that stops this one call. */
export type Send<T> = (signal: AbortSignal) => Promise<T>;

export interface CloudCalls {
  /**
   * One call: waits for the account's limiter, gives the SDK a signal that aborts with the
   * reconcile (deadline, shutdown) or after the per-call timeout, classifies any failure, and slows
   * everyone on throttling.
   */
  call<T>(ctx: Context, operation: string, send: Send<T>): Promise<T>;
  /** The same, where the cloud's "not found" means absent (undefined), not a failure. */
  optional<T>(ctx: Context, operation: string, send: Send<T>): Promise<T | undefined>;
}

/**
 * A call throttled without a Retry-After is sent again after the bucket's next token, this many
 * attempts in all (as the AWS SDK's adaptive mode retries): throttling means the cloud did not act
 * on it, and the slowed bucket spaces the attempts. With a Retry-After the object waits instead.
 */
export const THROTTLED_ATTEMPTS = 3;

/**
 * How every cloud client makes its calls: behind the account's buckets, bounded in time, with each
 * failure classified once by the cloud's own classifier. Every answer is reported to the bucket
 * (reads or writes) it was made with: a throttled one cuts that bucket's rate, and pauses it for the
 * cloud's Retry-After when there is one, so every caller of that account slows down, not just the
 * one that was refused. A call stopped by its signal is a retryable `Timeout` (or `ShuttingDown`),
 * whatever the SDK made of the abort.
 */
export function cloudCalls(
  limiter: AccountLimiter,
  classify: Classify,
  isNotFound: (cause: unknown) => boolean,
  callTimeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
): CloudCalls {
  const call = async <T>(ctx: Context, operation: string, send: Send<T>): Promise<T> => {
    const bucket = limiter.for(operation);
    for (let attempt = 1; ; attempt++) {
      try {
        await bucket.acquire(ctx.signal);
      } catch (err) {
        throw stopped(ctx.signal, `${operation} (waiting for the account's rate limit)`, err);
      }
      const timeout = new AbortController();
      const cancelTimer = ctx.clock.setTimeout(
        () => timeout.abort(callTimedOut(operation, callTimeoutMs)),
        callTimeoutMs,
      );
      const signal = AbortSignal.any([ctx.signal, timeout.signal]);
      try {
        const result = await send(signal);
        bucket.answered();
        return result;
      } catch (err) {
        if (signal.aborted) throw stopped(signal, operation, err);
        const classified = classify(err, operation);
        if (classified.kind !== 'throttled') {
          bucket.answered();
          throw classified;
        }
        limiter.throttled(operation, classified.retryAfterMs);
        if (classified.retryAfterMs !== undefined || attempt >= THROTTLED_ATTEMPTS) throw classified;
      } finally {
        cancelTimer();
      }
    }
  };
  return {
    call,
    async optional<T>(ctx: Context, operation: string, send: Send<T>): Promise<T | undefined> {
      try {
        return await call(ctx, operation, send);
      } catch (err) {
        if (isClassified(err) && isNotFound(err.cause)) return undefined;
        throw err;
      }
    },
  };
}

function callTimedOut(operation: string, ms: number): ClassifiedError {
  return new ClassifiedError(`${operation}: no answer within ${ms / 1000}s`, {
    kind: 'retryable',
    reason: Reason.Timeout,
  });
}

/**
 * The failure of a call its signal stopped: the signal's own classification, naming the call (the
 * per-call timeout names it already).
 */
function stopped(signal: AbortSignal, operation: string, err: unknown): ClassifiedError {
  const reason: unknown = signal.reason;
  if (isClassified(reason))
    return new ClassifiedError(
      reason.message.startsWith(operation) ? reason.message : `${operation}: ${reason.message}`,
      {
        kind: reason.kind,
        reason: reason.reason,
        cause: err,
      },
    );
  return new ClassifiedError(`${operation}: aborted`, {
    kind: 'retryable',
    reason: Reason.Timeout,
    cause: err,
  });
}
