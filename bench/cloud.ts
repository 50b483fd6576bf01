import { MemoryCloud, type MemoryOperation } from '../src/providers/memory/memory-cloud.js';
import type { CloudProfile } from './profiles.js';

/** The simulated cloud of one profile: latency on every call, quotas that refuse with throttling errors. */
export function newCloud(profile: CloudProfile): MemoryCloud {
  return new MemoryCloud({ latencyMs: profile.latencyMs, rateLimits: profile.rateLimits });
}

/** Empties the cloud's quota buckets (the cloud "at its limit"), then zeroes its call counts. */
export async function drainQuotas(cloud: MemoryCloud, profile: CloudProfile): Promise<void> {
  const drain = async (operation: MemoryOperation, burst: number) => {
    const calls = Array.from({ length: burst + 5 }, () =>
      cloud.call(operation, '(drain)', () => undefined).catch(() => undefined),
    );
    await Promise.all(calls);
  };
  await Promise.all([
    drain('GetIdentity', profile.rateLimits.read.burst),
    drain('UpdateIdentity', profile.rateLimits.write.burst),
  ]);
  cloud.resetCounts();
}

/** Calls by operation, as a plain object. */
export function countsOf(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}
