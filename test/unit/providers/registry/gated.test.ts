import { describe, expect, it } from 'vitest';
import { MemoryCloud } from '../../../../src/providers/memory/memory-cloud.js';
import type { IdentityObservation, ProviderRegistry } from '../../../../src/providers/provider.js';
import { gateRegistry } from '../../../../src/providers/registry/gated.js';
import { memoryRegistry } from '../../../../src/providers/registry/registry.js';
import { Gate } from '../../../../src/runtime/gate.js';
import { AWS_ACCOUNT_SPEC } from '../../../support/account-specs.js';
import { testContext } from '../../../support/context.js';
import { flushPromises } from '../../../support/fake-clock.js';

const ACCOUNT = { name: 'a', spec: AWS_ACCOUNT_SPEC };

/** A registry whose identities.observe calls wait until the test ends them, counting those in flight. */
function heldObserves() {
  const inner = memoryRegistry(new MemoryCloud()).forAccount(ACCOUNT);
  const ends: Array<() => void> = [];
  const counts = { inFlight: 0, most: 0 };
  const provider = {
    ...inner,
    identities: {
      ...inner.identities,
      observe: async () => {
        counts.inFlight++;
        counts.most = Math.max(counts.most, counts.inFlight);
        await new Promise<void>((resolve) => ends.push(resolve));
        counts.inFlight--;
        return { exists: false } as IdentityObservation;
      },
    },
  };
  const registry: ProviderRegistry = { forAccount: () => provider };
  return { registry, ends, counts };
}

describe('gateRegistry', () => {
  it("makes each contract call wait for a turn at its context's gate", async () => {
    const { registry, ends, counts } = heldObserves();
    const gated = gateRegistry(registry).forAccount(ACCOUNT);
    const context = { ...testContext(), cloudCalls: new Gate(2) };
    const calls = Array.from({ length: 5 }, () => gated.identities.observe(context, {} as never));
    await flushPromises();
    expect(counts.inFlight).toBe(2);
    while (ends.length > 0) {
      ends.shift()?.();
      await flushPromises();
    }
    await Promise.all(calls);
    expect(counts.most).toBe(2);
    expect(context.cloudCalls.inFlight).toBe(0);
  });

  it('lets every call go at once when the context carries no gate', async () => {
    const { registry, ends, counts } = heldObserves();
    const gated = gateRegistry(registry).forAccount(ACCOUNT);
    const calls = Array.from({ length: 5 }, () => gated.identities.observe(testContext(), {} as never));
    await flushPromises();
    expect(counts.inFlight).toBe(5);
    for (const end of ends) end();
    await Promise.all(calls);
  });

  it('hands out one wrapper per provider, with its pure parts unwrapped', () => {
    const { registry } = heldObserves();
    const gated = gateRegistry(registry);
    const provider = gated.forAccount(ACCOUNT);
    expect(gated.forAccount(ACCOUNT)).toBe(provider);
    expect(provider.identities.validate).toBe(registry.forAccount(ACCOUNT).identities.validate);
  });
});
