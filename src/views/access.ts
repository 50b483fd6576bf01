import type { NamespacedKind, ReadModel } from './model.js';

/** The namespaces in which a kind may be seen: all of them, or those listed. */
export type NamespaceAccess = 'all' | ReadonlySet<string>;

/** What one user may see, as the API server's RBAC answers for `list`. */
export interface ViewAccess {
  /** CloudAccounts are cluster-scoped: all or none. */
  accounts: boolean;
  namespaces: Record<NamespacedKind, NamespaceAccess>;
}

export const FULL_ACCESS: ViewAccess = {
  accounts: true,
  namespaces: { WorkloadIdentity: 'all', IdentityBinding: 'all' },
};

export function mayList(access: NamespaceAccess, namespace: string): boolean {
  return access === 'all' || access.has(namespace);
}

/** True when the user may see nothing at all. */
export function seesNothing(access: ViewAccess): boolean {
  const none = (a: NamespaceAccess) => a !== 'all' && a.size === 0;
  return (
    !access.accounts && none(access.namespaces.WorkloadIdentity) && none(access.namespaces.IdentityBinding)
  );
}

/**
 * The part of the model a user may see: accounts only if they may list accounts, identities and
 * bindings only in the namespaces where they may list that kind, and an identity's list of bindings
 * only where they may list bindings.
 */
export function restrictTo(model: ReadModel, access: ViewAccess): ReadModel {
  const identities = access.namespaces.WorkloadIdentity;
  const bindings = access.namespaces.IdentityBinding;
  return {
    now: model.now,
    accounts: access.accounts ? model.accounts : [],
    identities: model.identities
      .filter((view) => mayList(identities, view.namespace))
      .map((view) => (mayList(bindings, view.namespace) ? view : { ...view, bindings: [] })),
    bindings: model.bindings.filter((view) => mayList(bindings, view.namespace)),
  };
}
