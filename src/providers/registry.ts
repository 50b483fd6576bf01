import { CloudError } from './cloud-error.js';
import type { MemoryCloud } from './memory/memory-cloud.js';
import { MemoryProvider, type MemoryProviderOptions } from './memory/memory-provider.js';
import type { AccountRequest, CloudProvider, ProviderRegistry } from './provider.js';

/** Every account is served by one in-memory cloud: for the demo, tests and benchmarks. */
export function memoryRegistry(cloud: MemoryCloud, options: MemoryProviderOptions = {}): ProviderRegistry {
  const provider = new MemoryProvider(cloud, options);
  return { forAccount: () => provider };
}

export type ProviderFactory = (account: AccountRequest) => CloudProvider;

/**
 * The real clouds, one provider instance per account (its own credentials, endpoint and rate
 * limiter), rebuilt when the account's spec changes. A cloud without a factory in this build fails
 * every call with a terminal ProviderUnavailable, which the CloudAccount shows in its Ready condition.
 */
export function cloudRegistry(
  factories: Partial<Record<AccountRequest['spec']['provider'], ProviderFactory>>,
): ProviderRegistry {
  const cache = new Map<string, { spec: string; provider: CloudProvider }>();
  return {
    forAccount(account) {
      const spec = JSON.stringify(account.spec);
      const cached = cache.get(account.name);
      if (cached && cached.spec === spec) return cached.provider;
      const factory = factories[account.spec.provider];
      const provider = factory ? factory(account) : unavailable(account.spec.provider);
      cache.set(account.name, { spec, provider });
      return provider;
    },
  };
}

function unavailable(name: AccountRequest['spec']['provider']): CloudProvider {
  const fail = (): never => {
    throw new CloudError(`the ${name} provider is not available in this build of Keyless`, {
      kind: 'terminal',
      reason: 'ProviderUnavailable',
    });
  };
  const client = { observe: fail, create: fail, update: fail, delete: fail };
  return {
    name,
    accounts: { check: async () => fail() },
    identities: { ...client, observe: async () => fail() },
    grants: { ...client, observe: async () => fail(), resolve: fail },
  };
}
