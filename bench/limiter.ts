import type { MemoryProviderOptions } from '../src/providers/memory/memory-provider.js';
import { AccountLimiter } from '../src/providers/shared/cloud-calls.js';
import type { LimiterProfile } from './profiles.js';

/**
 * The provider's client-side limiter of a profile, built the way src/ takes it (a bucket for reads
 * and one for writes): the one place to change when src/ changes how limiters are given.
 */
export function limiterOptions(profile: LimiterProfile['rate']): MemoryProviderOptions {
  return profile ? { limiter: new AccountLimiter(profile) } : {};
}
