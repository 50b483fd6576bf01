import { isCloudError } from '../cloud-error.js';
import type { CloudProvider, ExternalClient, Owner, ProviderRegistry } from '../provider.js';

export type CallOutcome = 'success' | 'retryable' | 'throttled' | 'terminal';

/** Told about every provider call: which provider, which operation, how it ended. */
export type CloudCallObserver = (provider: string, operation: string, outcome: CallOutcome) => void;

/** One change Keyless made (or tried to make) in a cloud, for the audit stream. */
export interface AuditEntry {
  provider: string;
  account: string;
  /** identities.create, grants.update, identities.delete ... */
  operation: string;
  /** The Kubernetes object on whose behalf the change was made. */
  owner: Pick<Owner, 'cluster' | 'namespace' | 'name' | 'uid'>;
  outcome: CallOutcome;
  error?: string;
}

export interface Instrumentation {
  observe: CloudCallObserver;
  audit: (entry: AuditEntry) => void;
}

interface Described {
  owner: Owner;
  account: { name: string };
}

/**
 * Wraps every provider a registry hands out so each contract call (identities.observe,
 * grants.update, accounts.check ...) is counted by outcome, and each change (create, update,
 * delete) also goes to the audit stream. An error that is not a CloudError counts as retryable,
 * as the reconcilers treat it.
 */
export function instrumentRegistry(
  registry: ProviderRegistry,
  instrumentation: Instrumentation,
): ProviderRegistry {
  const wrapped = new WeakMap<CloudProvider, CloudProvider>();
  return {
    forAccount(account) {
      const provider = registry.forAccount(account);
      let instrumented = wrapped.get(provider);
      if (!instrumented) {
        instrumented = instrumentProvider(provider, instrumentation);
        wrapped.set(provider, instrumented);
      }
      return instrumented;
    },
  };
}

function instrumentProvider(provider: CloudProvider, { observe, audit }: Instrumentation): CloudProvider {
  const track = async <T>(operation: string, call: () => Promise<T>, change?: Described): Promise<T> => {
    try {
      const result = await call();
      observe(provider.name, operation, 'success');
      if (change) audit(entry(provider.name, operation, change, 'success'));
      return result;
    } catch (err) {
      const outcome = isCloudError(err) ? err.kind : 'retryable';
      observe(provider.name, operation, outcome);
      if (change)
        audit({ ...entry(provider.name, operation, change, outcome), error: (err as Error).message });
      throw err;
    }
  };
  const client = <R extends Described, O>(
    kind: string,
    inner: ExternalClient<R, O>,
  ): ExternalClient<R, O> => ({
    observe: (request) => track(`${kind}.observe`, () => inner.observe(request)),
    create: (request) => track(`${kind}.create`, () => inner.create(request), request),
    update: (request, observed) => track(`${kind}.update`, () => inner.update(request, observed), request),
    delete: (request) => track(`${kind}.delete`, () => inner.delete(request), request),
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

function entry(provider: string, operation: string, change: Described, outcome: CallOutcome): AuditEntry {
  const { cluster, namespace, name, uid } = change.owner;
  return {
    provider,
    account: change.account.name,
    operation,
    owner: { cluster, namespace, name, uid },
    outcome,
  };
}
