import type { CloudAccount, KubeObject, WorkloadIdentity } from '../api/index.js';
import type { AccountRequest, IdentityRequest, Owner } from '../providers/provider.js';

export const FINALIZER = 'keyless.dev/cleanup';
export const ADOPT_ANNOTATION = 'keyless.dev/adopt';

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
 * The spec changed since status last recorded this generation: a successful sync, or a terminal
 * failure (which only a new spec can fix). Then it is applied whatever the drift policy; otherwise
 * a difference from the cloud is drift. Retryable failures leave observedGeneration alone, so a
 * transient error never turns reported drift into a correction.
 */
export function specPending(object: KubeObject & { status?: { observedGeneration?: number } }): boolean {
  return object.status?.observedGeneration !== object.metadata.generation;
}

export const policies = {
  deletion: (identity: WorkloadIdentity) => identity.spec.deletionPolicy ?? 'Delete',
  management: (identity: WorkloadIdentity) => identity.spec.managementPolicy ?? 'Manage',
  drift: (identity: WorkloadIdentity) => identity.spec.driftPolicy ?? 'Correct',
};
