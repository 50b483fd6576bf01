import type { MemoryProviderOptions } from '../src/providers/memory/memory-provider.js';
import { accountLimiter } from '../src/providers/shared/cloud-calls.js';
import type { LimiterProfile } from './profiles.js';

/**
 * The provider's client-side limiter of a profile, built the way src/ takes it (a bucket for reads
 * and one for writes, as for an account without spec.rateLimits: starting at the profile's rates and
 * free to climb while the cloud does not throttle): the one place to change when src/ changes how
 * limiters are given.
 */
export function limiterOptions(profile: LimiterProfile['rate']): MemoryProviderOptions {
  return profile ? { limiter: accountLimiter(profile, undefined) } : {};
}
