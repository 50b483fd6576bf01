import { describe, expect, it } from 'vitest';
import { CallTracker } from '../../../bench/host/tracking.js';
import { MemoryCloud } from '../../../src/providers/memory/memory-cloud.js';
import { memoryRegistry } from '../../../src/providers/registry/registry.js';
import { AWS_ACCOUNT_SPEC } from '../../support/account-specs.js';
import { testContext } from '../../support/context.js';

const ACCOUNT = { name: 'a', spec: AWS_ACCOUNT_SPEC };

const OWNER = { namespace: 'team', name: 'app' };

describe('CallTracker', () => {
  it('wraps each provider once, so wrappers outside it see the same provider on every call', () => {
    const tracked = new CallTracker().wrap(memoryRegistry(new MemoryCloud()));
    expect(tracked.forAccount(ACCOUNT)).toBe(tracked.forAccount(ACCOUNT));
  });

  it('counts the calls of each owning object while enabled, and none before', async () => {
    const tracker = new CallTracker();
    const provider = tracker.wrap(memoryRegistry(new MemoryCloud())).forAccount(ACCOUNT);
    const request = { owner: OWNER } as never;
    await provider.identities.observe(testContext(), request).catch(() => undefined);
    expect(tracker.objects.size).toBe(0);
    tracker.enabled = true;
    await provider.identities.observe(testContext(), request).catch(() => undefined);
    await provider.identities.observe(testContext(), request).catch(() => undefined);
    expect(tracker.objects.get('WorkloadIdentity team/app')).toMatchObject({ reads: 2, writes: 0 });
  });
});
