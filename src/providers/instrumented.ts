import { isCloudError } from './cloud-error.js';
import type { CloudProvider, ExternalClient, ProviderRegistry } from './provider.js';

export type CallOutcome = 'success' | 'retryable' | 'throttled' | 'terminal';

/** Told about every provider call: which provider, which operation, how it ended. */
export type CloudCallObserver = (provider: string, operation: string, outcome: CallOutcome) => void;

/**
 * Wraps every provider a registry hands out so each contract call (identities.observe,
 * grants.update, accounts.check ...) is counted by outcome. An error that is not a CloudError
 * counts as retryable, as the reconcilers treat it.
 */
export function instrumentRegistry(registry: ProviderRegistry, observe: CloudCallObserver): ProviderRegistry {
  const wrapped = new WeakMap<CloudProvider, CloudProvider>();
  return {
    forAccount(account) {
      const provider = registry.forAccount(account);
      let instrumented = wrapped.get(provider);
      if (!instrumented) {
        instrumented = instrumentProvider(provider, observe);
        wrapped.set(provider, instrumented);
      }
      return instrumented;
    },
  };
}

function instrumentProvider(provider: CloudProvider, observe: CloudCallObserver): CloudProvider {
  const track = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      observe(provider.name, operation, 'success');
      return result;
    } catch (err) {
      observe(provider.name, operation, isCloudError(err) ? err.kind : 'retryable');
      throw err;
    }
  };
  const client = <R, O>(kind: string, inner: ExternalClient<R, O>): ExternalClient<R, O> => ({
    observe: (request) => track(`${kind}.observe`, () => inner.observe(request)),
    create: (request) => track(`${kind}.create`, () => inner.create(request)),
    update: (request, observed) => track(`${kind}.update`, () => inner.update(request, observed)),
    delete: (request) => track(`${kind}.delete`, () => inner.delete(request)),
  });
  return {
    name: provider.name,
    accounts: {
      check: (account, context) => track('accounts.check', () => provider.accounts.check(account, context)),
    },
    identities: client('identities', provider.identities),
    grants: {
      ...client('grants', provider.grants),
      resolve: (grants, account) => provider.grants.resolve(grants, account),
    },
  };
}
