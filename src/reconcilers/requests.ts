import type { CloudAccount, Condition, KubeObject, WorkloadIdentity } from '../api/index.js';
import type { AccountRequest, IdentityRequest, Owner } from '../providers/provider.js';

export const FINALIZER = 'keyless.dev/cleanup';
export const ADOPT_ANNOTATION = 'keyless.dev/adopt';
/**
 * Set to any new value (a timestamp, by convention) to have Keyless reconcile the object now: the
 * cloud is observed afresh even though nothing changed, and status.lastHandledReconcileAt then
 * holds the value it answered.
 */
export const RECONCILE_REQUEST_ANNOTATION = 'keyless.dev/reconcile-requested-at';

export function ownerOf(object: KubeObject, cluster: string): Owner {
  return {
    cluster,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    uid: object.metadata.uid ?? '',
  };
}

export function accountRequest(account: CloudAccount): AccountRequest {
  return { name: account.metadata.name, spec: account.spec };
}

export function identityRequest(
  identity: WorkloadIdentity,
  account: CloudAccount,
  cluster: string,
): IdentityRequest {
  return {
    owner: ownerOf(identity, cluster),
    account: accountRequest(account),
    spec: identity.spec,
    adopt: wantsAdoption(identity),
    attachedFunctions: (identity.status?.functions ?? [])
      .filter((f) => f.state === 'Attached' || f.state === 'Drifted')
      .map((f) => f.arn),
    associatedServiceAccounts: (identity.status?.podIdentityAssociations ?? [])
      .filter((a) => a.state === 'Associated' || a.state === 'Drifted')
      .map((a) => a.serviceAccount),
  };
}

export function wantsAdoption(object: KubeObject): boolean {
  return object.metadata.annotations?.[ADOPT_ANNOTATION] === 'true';
}

export function isBeingDeleted(object: KubeObject): boolean {
  return Boolean(object.metadata.deletionTimestamp);
}

export function hasFinalizer(object: KubeObject): boolean {
  return object.metadata.finalizers?.includes(FINALIZER) ?? false;
}

/**
 * The spec may not be in the cloud yet: the cloud was last converged with (or observed against)
 * another generation. Then it is applied whatever the drift policy; otherwise a difference from the
 * cloud is drift. Every converge sets Drifted, stamped with its generation, and a failure before
 * that leaves it alone, so a transient error never turns reported drift into a correction.
 * (status.observedGeneration cannot say this: it is the generation the status describes, set by
 * every reconcile that reaches a verdict, failed or not.)
 */
export function specPending(
  object: KubeObject & { status?: { conditions?: Condition[] | undefined } },
): boolean {
  const drifted = object.status?.conditions?.find((c) => c.type === 'Drifted');
  return drifted?.observedGeneration !== object.metadata.generation;
}

export const policies = {
  deletion: (identity: WorkloadIdentity) => identity.spec.deletionPolicy ?? 'Delete',
  management: (identity: WorkloadIdentity) => identity.spec.managementPolicy ?? 'Manage',
  drift: (identity: WorkloadIdentity) => identity.spec.driftPolicy ?? 'Correct',
};
