import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import { buildReadModel, type NamespacedKind, type ReadModel } from '../views/index.js';
import { CliError, EXIT } from './exit-codes.js';
import type { KeylessApi, Readable } from './keyless-api.js';
import { KIND_DEFINITIONS } from './object-ref.js';

export type Scope = { allNamespaces: true } | { allNamespaces: false; namespace: string };

/** Something the user's RBAC kept out of the model, and in which namespaces. */
export interface NotShown {
  resource: string;
  /** Where it was refused; absent for CloudAccounts (cluster-scoped); empty when no namespace could be tried. */
  namespaces?: string[];
  why: string;
}

export interface ScopeRead {
  model: ReadModel;
  /** The namespaces whose identities and bindings are in the model; `all` when listed cluster-wide. */
  namespaces: 'all' | string[];
  notShown: NotShown[];
}

/** At most this many namespaces are listed one by one when a user may not list a kind cluster-wide. */
const CONCURRENCY = 8;

/**
 * The read model of a namespace, or of every namespace the user may list: accounts, identities and
 * bindings through the user's RBAC. With -A and no right to list a kind cluster-wide, each namespace
 * the user may see is listed on its own (or, when namespaces cannot be listed either, the context's).
 * Throws (exit 3) only when nothing at all could be read.
 */
export async function readScope(
  api: KeylessApi,
  scope: Scope,
  fallbackNamespace: string,
  now: number,
): Promise<ScopeRead> {
  const notShown: NotShown[] = [];
  const [accounts, identities, bindings] = await Promise.all([
    api.tryList<CloudAccount>('CloudAccount', undefined),
    api.tryList<WorkloadIdentity>('WorkloadIdentity', scope.allNamespaces ? undefined : scope.namespace),
    api.tryList<IdentityBinding>('IdentityBinding', scope.allNamespaces ? undefined : scope.namespace),
  ]);
  if (!accounts.ok) notShown.push({ resource: 'cloudaccounts', why: accounts.why });

  let namespaces: 'all' | string[] = scope.allNamespaces ? 'all' : [scope.namespace];
  // Namespaces in which something could be listed one by one (with -A, when not cluster-wide).
  let listedOneByOne = 0;
  let identityItems = identities.ok ? identities.value : [];
  let bindingItems = bindings.ok ? bindings.value : [];
  if (scope.allNamespaces && (!identities.ok || !bindings.ok)) {
    const perNamespace = await readEachNamespace(api, fallbackNamespace, notShown, {
      WorkloadIdentity: !identities.ok,
      IdentityBinding: !bindings.ok,
    });
    namespaces = perNamespace.namespaces;
    listedOneByOne = perNamespace.namespaces.length;
    if (!identities.ok) identityItems = perNamespace.WorkloadIdentity as WorkloadIdentity[];
    if (!bindings.ok) bindingItems = perNamespace.IdentityBinding as IdentityBinding[];
  } else if (!scope.allNamespaces) {
    for (const [kind, listed] of [
      ['WorkloadIdentity', identities],
      ['IdentityBinding', bindings],
    ] as const) {
      if (!listed.ok) {
        notShown.push({
          resource: KIND_DEFINITIONS[kind].plural,
          namespaces: [scope.namespace],
          why: listed.why,
        });
      }
    }
  }

  if (!accounts.ok && !identities.ok && !bindings.ok && listedOneByOne === 0) {
    throw new CliError(
      `you may see none of Keyless's objects here:\n${notShown.map((n) => `  ${n.why}`).join('\n')}`,
      EXIT.denied,
    );
  }
  // In one namespace, the accounts that matter are the ones its identities use.
  const used = new Set(identityItems.map((wi) => wi.spec.accountRef.name));
  const accountItems = (accounts.ok ? accounts.value : []).filter(
    (a) => scope.allNamespaces || used.has(a.metadata.name),
  );
  return {
    model: buildReadModel({ accounts: accountItems, identities: identityItems, bindings: bindingItems, now }),
    namespaces,
    notShown,
  };
}

interface PerNamespace extends Record<NamespacedKind, unknown[]> {
  namespaces: string[];
}

async function readEachNamespace(
  api: KeylessApi,
  fallbackNamespace: string,
  notShown: NotShown[],
  kinds: Record<NamespacedKind, boolean>,
): Promise<PerNamespace> {
  const listed = await api.namespaces();
  const candidates = listed.ok ? listed.value : [fallbackNamespace];
  const result: PerNamespace = { namespaces: [], WorkloadIdentity: [], IdentityBinding: [] };
  const forbidden: Record<NamespacedKind, string[]> = { WorkloadIdentity: [], IdentityBinding: [] };
  const seen = new Set<string>();
  await inBatches(candidates, CONCURRENCY, async (namespace) => {
    for (const kind of ['WorkloadIdentity', 'IdentityBinding'] as const) {
      if (!kinds[kind]) continue;
      const items: Readable<unknown[]> = await api.tryList(kind, namespace);
      if (items.ok) {
        result[kind].push(...items.value);
        seen.add(namespace);
      } else {
        forbidden[kind].push(namespace);
      }
    }
  });
  result.namespaces = [...seen].sort();
  for (const kind of ['WorkloadIdentity', 'IdentityBinding'] as const) {
    if (!kinds[kind]) continue;
    if (listed.ok && forbidden[kind].length === 0) continue;
    const plural = KIND_DEFINITIONS[kind].plural;
    notShown.push({
      resource: plural,
      namespaces: forbidden[kind].sort(),
      why: listed.ok
        ? `you may not list ${plural} there, nor across all namespaces; the namespaces where you may are shown`
        : `you may not list ${plural} across all namespaces, nor the namespaces themselves, so only namespace ${fallbackNamespace} (your context's) was tried`,
    });
  }
  return result;
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}
