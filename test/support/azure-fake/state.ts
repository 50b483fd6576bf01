/**
 * The out-of-band side of the fake: tests read and edit its state directly, as someone with portal
 * access would. Nothing here is counted, faulted or delayed; the same checks apply as over the wire.
 */
import type { Authorization } from './authorization.js';
import { type Identities, TOKEN_EXCHANGE_AUDIENCE } from './identities.js';
import type { Sites } from './sites.js';
import type { Tenancy } from './tenancy.js';
import type { AzureFake } from './types.js';

export type OutOfBandState = Pick<
  AzureFake,
  'identities' | 'federatedCredentials' | 'roleAssignments' | 'directory' | 'sites'
>;

export function outOfBandState(
  identities: Identities,
  authorization: Authorization,
  tenancy: Tenancy,
  defaultTenantId: string,
  sites: Sites,
): OutOfBandState {
  return {
    sites: {
      create: (ref, options) => sites.seed(ref, options),
      get: (ref) => sites.find(ref),
      setIdentity: (ref, options) => sites.setIdentity(ref, options),
      appSettings: (ref) => sites.find(ref) && sites.settings(ref).properties,
      setAppSettings: (ref, settings) => sites.setSettings(ref, settings).properties,
      delete: (ref) => sites.delete(ref),
    },
    identities: {
      get: (ref) => identities.find(ref),
      list: (subscriptionId, resourceGroup) => identities.list(subscriptionId, resourceGroup),
      create: (ref, { location, tags, ...seed }) => identities.seed(ref, location, { ...tags }, seed),
      setTags: (ref, tags) => identities.setTags(ref, { ...tags }),
      delete: (ref) => identities.delete(ref),
    },
    federatedCredentials: {
      list: (identity) => identities.credentials(identity),
      get: (identity, name) =>
        identities.credentials(identity).find((c) => c.name.toLowerCase() === name.toLowerCase()),
      put: (identity, name, { issuer, subject, audiences = [TOKEN_EXCHANGE_AUDIENCE] }) =>
        identities.putCredential(identity, name, { properties: { issuer, subject, audiences } }).resource,
      delete: (identity, name) => identities.deleteCredential(identity, name),
    },
    roleAssignments: {
      list: () => authorization.all(),
      get: (name) => authorization.find(name),
      put: (scope, name, properties) => authorization.put(scope, name, { properties }).resource,
      delete: (name) => authorization.remove(name),
    },
    directory: {
      addSubscription: (config) => tenancy.addSubscription(config),
      addResourceGroup: (subscriptionId, resourceGroup) =>
        tenancy.addResourceGroup(subscriptionId, resourceGroup),
      addPrincipal: (principalId, { tenantId, principalType = 'User', createdAt } = {}) =>
        tenancy.addPrincipal({
          principalId,
          tenantId: tenantId ?? defaultTenantId,
          principalType,
          // Default: long enough ago to be replicated.
          createdAt: createdAt ?? Number.NEGATIVE_INFINITY,
        }),
    },
  };
}
