import { Reason } from '../../api/reasons.js';
import { asError } from '../../runtime/errors.js';
import { CloudError } from '../cloud-error.js';
import type { MemoryCloud } from '../memory/memory-cloud.js';
import { MemoryProvider, type MemoryProviderOptions } from '../memory/memory-provider.js';
import type {
  AccountRequest,
  CloudProvider,
  ExternalClient,
  GrantResolver,
  ProviderRegistry,
} from '../provider.js';

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
export interface DeferredCloud {
  name: AccountRequest['spec']['provider'];
  /** Imports the provider module; called at most once, however many accounts use the cloud. */
  load: () => Promise<ProviderFactory>;
  /**
   * The cloud's grant translation, from its SDK-free mapping module: `resolve` is synchronous and
   * the binding reconciler calls it before any cloud call, so it cannot wait for `load`.
   */
  resolve: GrantResolver['resolve'];
}

/**
 * A factory whose providers import the cloud's module on their first call and then delegate to the
 * provider it builds. An import that fails leaves the cloud unusable until the operator restarts:
 * every call answers a terminal ProviderUnavailable wrapping the import's error.
 */
export function deferredFactory(cloud: DeferredCloud): ProviderFactory {
  let loading: Promise<ProviderFactory> | undefined;
  const loaded = (): Promise<ProviderFactory> => {
    loading ??= cloud.load().catch((err: unknown) => {
      throw new CloudError(`could not load the ${cloud.name} provider: ${asError(err).message}`, {
        kind: 'terminal',
        reason: Reason.ProviderUnavailable,
        cause: err,
      });
    });
    return loading;
  };
  return (account) => {
    let provider: CloudProvider | undefined;
    return delegating(cloud.name, cloud.resolve, async () => {
      const create = await loaded();
      // Checked after the await, so concurrent first calls build one provider (one rate limiter).
      provider ??= create(account);
      return provider;
    });
  };
}

function delegating(
  name: CloudProvider['name'],
  resolve: GrantResolver['resolve'],
  current: () => Promise<CloudProvider>,
): CloudProvider {
  const client = <Request, Observation>(
    pick: (provider: CloudProvider) => ExternalClient<Request, Observation>,
  ): ExternalClient<Request, Observation> => ({
    observe: async (request) => pick(await current()).observe(request),
    create: async (request) => pick(await current()).create(request),
    update: async (request, observed) => pick(await current()).update(request, observed),
    delete: async (request) => pick(await current()).delete(request),
  });
  return {
    name,
    accounts: { check: async (account, context) => (await current()).accounts.check(account, context) },
    identities: client((provider) => provider.identities),
    grants: { ...client((provider) => provider.grants), resolve },
  };
}

function unavailable(name: AccountRequest['spec']['provider']): CloudProvider {
  const fail = (): never => {
    throw new CloudError(`the ${name} provider is not available in this build of Keyless`, {
      kind: 'terminal',
      reason: Reason.ProviderUnavailable,
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
