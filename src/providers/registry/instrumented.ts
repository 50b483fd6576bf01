import { asError, isClassified } from '../../runtime/errors.js';
import type { AccountRequest, CloudProvider, Owner, ProviderRegistry } from '../provider.js';
import { type Around, wrapCalls, wrapEachProvider } from './wrap.js';

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

/** Told how each check of an account's credentials (`accounts.check`) ended. */
export type AccountCheckObserver = (provider: string, account: string, outcome: CallOutcome) => void;

export interface Instrumentation {
  observe: CloudCallObserver;
  audit: (entry: AuditEntry) => void;
  accountChecked?: AccountCheckObserver;
}

interface Described {
  owner: Owner;
  account: { name: string };
}

/**
 * Wraps every provider a registry hands out so each contract call (identities.observe,
 * grants.update, accounts.check ...) is counted by outcome, and each change (create, update,
 * delete) also goes to the audit stream. An error that is not a ClassifiedError counts as retryable,
 * as the reconcilers treat it.
 */
export function instrumentRegistry(
  registry: ProviderRegistry,
  instrumentation: Instrumentation,
): ProviderRegistry {
  return wrapEachProvider(registry, (provider) => instrumentProvider(provider, instrumentation));
}

/**
 * Every call counted by outcome; creates, updates and deletes also audited, with their request's
 * owner; account checks also reported with the account's name.
 */
function instrumentProvider(
  provider: CloudProvider,
  { observe, audit, accountChecked }: Instrumentation,
): CloudProvider {
  const around: Around = async (operation, args, next) => {
    const change = CHANGES.has(operation.split('.')[1] ?? '') ? (args[1] as Described) : undefined;
    const checked = operation === 'accounts.check' ? (args[1] as AccountRequest).name : undefined;
    try {
      const result = await next();
      observe(provider.name, operation, 'success');
      if (change) audit(entry(provider.name, operation, change, 'success'));
      if (checked !== undefined) accountChecked?.(provider.name, checked, 'success');
      return result;
    } catch (err) {
      const outcome = isClassified(err) ? err.kind : 'retryable';
      observe(provider.name, operation, outcome);
      if (change) audit({ ...entry(provider.name, operation, change, outcome), error: asError(err).message });
      if (checked !== undefined) accountChecked?.(provider.name, checked, outcome);
      throw err;
    }
  };
  return wrapCalls(provider, around);
}

const CHANGES = new Set(['create', 'update', 'delete']);

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
