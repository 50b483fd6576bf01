import type { UsageReader } from '../provider.js';

/**
 * A cloud whose usage record this build does not read: every review says so in status (the
 * identity's use is unknown, so nothing is ever reported Unused or revoked because of it).
 */
export function usageUnread(cloud: string): UsageReader {
  return {
    review: async () => ({
      source: 'none',
      unavailable: `this build of Keyless does not read ${cloud}'s usage record`,
    }),
  };
}
