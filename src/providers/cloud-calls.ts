import type { TokenBucket } from '../runtime/token-bucket.js';
import { type CloudError, isCloudError } from './cloud-error.js';

export type Classify = (err: unknown, operation: string) => CloudError;

export interface CloudCalls {
  /** One call: waits for the account's limiter, classifies any failure, pauses everyone on throttling. */
  call<T>(operation: string, send: () => Promise<T>): Promise<T>;
  /** The same, where the cloud's "not found" means absent (undefined), not a failure. */
  optional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined>;
}

/**
 * How every cloud client makes its calls: behind the account's shared token bucket, with each
 * failure classified once by the cloud's own classifier. A throttled answer pauses the bucket for
 * its retry-after, so every caller of that account slows down, not just the one that was refused.
 */
export function cloudCalls(
  limiter: TokenBucket,
  classify: Classify,
  isNotFound: (cause: unknown) => boolean,
): CloudCalls {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    await limiter.acquire();
    try {
      return await send();
    } catch (err) {
      const classified = classify(err, operation);
      if (classified.kind === 'throttled') limiter.pause(classified.retryAfterMs ?? 1000);
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
