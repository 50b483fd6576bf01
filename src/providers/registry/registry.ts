import { Reason } from '../../api/reasons.js';
import { asError, terminal } from '../../runtime/errors.js';
import type { MemoryCloud } from '../memory/memory-cloud.js';
import { MemoryProvider, type MemoryProviderOptions } from '../memory/memory-provider.js';
import type { AccountRequest, CloudProvider, ProviderRegistry } from '../provider.js';
import { type PureParts, wrapProvider } from './wrap.js';

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

/** A cloud whose provider module, and so its SDK, is imported only when an account first calls it. */
export interface DeferredCloud extends PureParts {
  name: AccountRequest['spec']['provider'];
  /** Imports the provider module; called at most once, however many accounts use the cloud. */
  load: () => Promise<ProviderFactory>;
}

/**
 * A factory whose providers import the cloud's module on their first call and then delegate to the
 * provider it builds. The spec checks and grant translation come from the cloud's SDK-free mapping
 * module: the reconcilers run them before any call, so they cannot wait for the import. An import
 * that fails leaves the cloud unusable until the operator restarts: every call answers a terminal
 * ProviderUnavailable wrapping the import's error.
 */
export function deferredFactory(cloud: DeferredCloud): ProviderFactory {
  let loading: Promise<ProviderFactory> | undefined;
  const loaded = (): Promise<ProviderFactory> => {
    loading ??= cloud.load().catch((err: unknown) => {
      throw terminal(
        Reason.ProviderUnavailable,
        `could not load the ${cloud.name} provider: ${asError(err).message}`,
        err,
      );
    });
    return loading;
  };
  return (account) => {
    let provider: CloudProvider | undefined;
    return wrapProvider(cloud.name, cloud, async () => {
      const create = await loaded();
      // Checked after the await, so concurrent first calls build one provider (one rate limiter).
      provider ??= create(account);
      return provider;
    });
  };
}

function unavailable(name: AccountRequest['spec']['provider']): CloudProvider {
  const fail = (): never => {
    throw terminal(
      Reason.ProviderUnavailable,
      `the ${name} provider is not available in this build of Keyless`,
    );
  };
  return wrapProvider(name, { validate: fail, resolve: fail }, fail);
}
