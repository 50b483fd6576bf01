import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import type { ClusterReader } from '../reconcilers/ports.js';
import type { ReadonlyStore } from '../runtime/store.js';

export const INDEX = {
  bindingsByIdentity: 'bindingsByIdentity',
  identitiesByAccount: 'identitiesByAccount',
  identitiesByServiceAccount: 'identitiesByServiceAccount',
} as const;

/** Secondary indexes the informer caches keep, so lookups never scan. */
export const identityIndexers = {
  [INDEX.identitiesByAccount]: (wi: WorkloadIdentity) => [wi.spec.accountRef.name],
  [INDEX.identitiesByServiceAccount]: (wi: WorkloadIdentity) =>
    wi.spec.subjects.flatMap((s) =>
      s.serviceAccount ? [`${wi.metadata.namespace}/${s.serviceAccount.name}`] : [],
    ),
};

export const bindingIndexers = {
  [INDEX.bindingsByIdentity]: (ib: IdentityBinding) => [
    `${ib.metadata.namespace}/${ib.spec.identityRef.name}`,
  ],
};

/** The reconcilers' view of the cluster: the informers' caches, by key and by index. */
export class CacheClusterReader implements ClusterReader {
  constructor(
    private readonly stores: {
      accounts: ReadonlyStore<CloudAccount>;
      identities: ReadonlyStore<WorkloadIdentity>;
      bindings: ReadonlyStore<IdentityBinding>;
    },
  ) {}

  account(name: string): CloudAccount | undefined {
    return this.stores.accounts.get(name);
  }
  identity(namespace: string, name: string): WorkloadIdentity | undefined {
    return this.stores.identities.get(`${namespace}/${name}`);
  }
  binding(namespace: string, name: string): IdentityBinding | undefined {
    return this.stores.bindings.get(`${namespace}/${name}`);
  }
  bindingsOf(namespace: string, identityName: string): IdentityBinding[] {
    return this.stores.bindings.byIndex(INDEX.bindingsByIdentity, `${namespace}/${identityName}`);
  }
  identitiesOf(accountName: string): WorkloadIdentity[] {
    return this.stores.identities.byIndex(INDEX.identitiesByAccount, accountName);
  }
  identitiesUsingServiceAccount(namespace: string, serviceAccount: string): WorkloadIdentity[] {
    return this.stores.identities.byIndex(INDEX.identitiesByServiceAccount, `${namespace}/${serviceAccount}`);
  }
}
