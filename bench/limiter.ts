import type { MemoryProviderOptions } from '../src/providers/memory/memory-provider.js';
import { TokenBucket } from '../src/runtime/token-bucket.js';
import type { LimiterProfile } from './profiles.js';

/**
 * The provider's client-side limiter of a profile, built the way src/ takes it (one TokenBucket
 * shared by reads and writes): the one place to change when src/ changes how limiters are given.
 */
export function limiterOptions(profile: LimiterProfile['rate']): MemoryProviderOptions {
  return profile ? { limiter: new TokenBucket(profile) } : {};
}
