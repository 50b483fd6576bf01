import { AdaptiveBucket } from '../../runtime/adaptive-bucket.js';
import type { Clock } from '../../runtime/clock.js';
import { type CloudError, isCloudError } from '../cloud-error.js';

export type Classify = (err: unknown, operation: string) => CloudError;

export interface Rate {
  qps: number;
  burst: number;
}

/**
 * One account's client-side limits: reads and writes have buckets of their own, as the clouds'
 * quotas do, so a burst of reads never holds back a write the cloud would accept. Each runs at its
 * configured rate until the cloud throttles it, then adapts (AdaptiveBucket).
 */
export class AccountLimiter {
  readonly read: AdaptiveBucket;
  readonly write: AdaptiveBucket;

  constructor(rates: { read: Rate; write: Rate }, clock?: Clock) {
    this.read = new AdaptiveBucket({ ...rates.read, ...(clock ? { clock } : {}) });
    this.write = new AdaptiveBucket({ ...rates.write, ...(clock ? { clock } : {}) });
  }

  /** get*, list*, check*, *.get, *.getIamPolicy, GetRole ... are reads; everything else writes. */
  for(operation: string): AdaptiveBucket {
    return /(^|\.)(get|list|check)/i.test(operation) ? this.read : this.write;
  }
}

/** The account's own limits (spec.rateLimits) over the cloud's defaults. */
export function accountLimiter(
  defaults: { read: Rate; write: Rate },
  overrides: { reads?: Rate; writes?: Rate } | undefined,
): AccountLimiter {
  return new AccountLimiter({
    read: overrides?.reads ?? defaults.read,
    write: overrides?.writes ?? defaults.write,
  });
}

export interface CloudCalls {
  /** One call: waits for the account's limiter, classifies any failure, slows everyone on throttling. */
  call<T>(operation: string, send: () => Promise<T>): Promise<T>;
  /** The same, where the cloud's "not found" means absent (undefined), not a failure. */
  optional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined>;
}

/**
 * A call throttled without a Retry-After is sent again after the bucket's next token, this many
 * attempts in all (as the AWS SDK's adaptive mode retries): throttling means the cloud did not act
 * on it, and the slowed bucket spaces the attempts. With a Retry-After the object waits instead.
 */
export const THROTTLED_ATTEMPTS = 3;

/**
 * How every cloud client makes its calls: behind the account's buckets, with each failure
 * classified once by the cloud's own classifier. Every answer is reported to the bucket (reads or
 * writes) it was made with: a throttled one cuts that bucket's rate, and pauses it for the cloud's
 * Retry-After when there is one, so every caller of that account slows down, not just the one that
 * was refused.
 */
export function cloudCalls(
  limiter: AccountLimiter,
  classify: Classify,
  isNotFound: (cause: unknown) => boolean,
): CloudCalls {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    const bucket = limiter.for(operation);
    for (let attempt = 1; ; attempt++) {
      await bucket.acquire();
      try {
        const result = await send();
        bucket.answered();
        return result;
      } catch (err) {
        const classified = classify(err, operation);
        if (classified.kind !== 'throttled') {
          bucket.answered();
          throw classified;
        }
        bucket.throttled(classified.retryAfterMs);
        if (classified.retryAfterMs !== undefined || attempt >= THROTTLED_ATTEMPTS) throw classified;
      }
    }
  };
  return {
    call,
    async optional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
      try {
        return await call(operation, send);
      } catch (err) {
        if (isCloudError(err) && isNotFound(err.cause)) return undefined;
        throw err;
      }
    },
  };
}
