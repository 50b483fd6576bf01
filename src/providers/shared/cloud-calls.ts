import type { Clock } from '../../runtime/clock.js';
import { TokenBucket } from '../../runtime/token-bucket.js';
import { type CloudError, isCloudError } from '../cloud-error.js';

export type Classify = (err: unknown, operation: string) => CloudError;

export interface Rate {
  qps: number;
  burst: number;
}

/**
 * One account's client-side limits: reads and writes have buckets of their own, as the clouds'
 * quotas do, so a burst of reads never holds back a write the cloud would accept.
 */
export class AccountLimiter {
  readonly read: TokenBucket;
  readonly write: TokenBucket;

  constructor(rates: { read: Rate; write: Rate }, clock?: Clock) {
    this.read = new TokenBucket({ ...rates.read, ...(clock ? { clock } : {}) });
    this.write = new TokenBucket({ ...rates.write, ...(clock ? { clock } : {}) });
  }

  /** get*, list*, check*, *.get, *.getIamPolicy, GetRole ... are reads; everything else writes. */
  for(operation: string): TokenBucket {
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
  /** One call: waits for the account's limiter, classifies any failure, pauses everyone on throttling. */
  call<T>(operation: string, send: () => Promise<T>): Promise<T>;
  /** The same, where the cloud's "not found" means absent (undefined), not a failure. */
  optional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined>;
}

/**
 * How every cloud client makes its calls: behind the account's buckets, with each failure
 * classified once by the cloud's own classifier. A throttled answer pauses the bucket (reads or
 * writes) for its retry-after, so every caller of that account slows down, not just the one that
 * was refused.
 */
export function cloudCalls(
  limiter: AccountLimiter,
  classify: Classify,
  isNotFound: (cause: unknown) => boolean,
): CloudCalls {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    const bucket = limiter.for(operation);
    await bucket.acquire();
    try {
      return await send();
    } catch (err) {
      const classified = classify(err, operation);
      if (classified.kind === 'throttled') bucket.pause(classified.retryAfterMs ?? 1000);
      throw classified;
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
