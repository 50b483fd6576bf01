/**
 * A wire-level fake of the Azure Resource Manager APIs Keyless uses (managed identities, federated
 * identity credentials, role assignments and definitions), served over HTTPS with a throwaway CA for
 * the real Azure SDK clients.
 *
 *   const fake = await startAzureFake({ subscriptions: [{ subscriptionId, tenantId, resourceGroups: ['rg'] }] });
 *   const { msi, authorization } = azureClients(fake, { subscriptionId });
 *   await msi.userAssignedIdentities.createOrUpdate('rg', 'orders-api', { location: 'westeurope' });
 *   fake.inject({ operation: 'roleAssignments.put', times: 1, fault: { kind: 'throttled', retryAfterSeconds: 5 } });
 *   expect(fake.counts()).toEqual({ 'identities.put': 1 });
 *   await fake.stop();
 */
export type { RoleAssignmentJson, RoleDefinitionJson } from './authorization.js';
export { BUILT_IN_ROLES, type BuiltInRole } from './built-in-roles.js';
export {
  type AzureClients,
  type AzureClientsOptions,
  type AzureFakeAddress,
  type AzureFakeClientOptions,
  azureClientOptions,
  azureClients,
  StaticTokenCredential,
} from './clients.js';
export { ArmError } from './errors.js';
export type { AzureFault, AzureFaultRule, FaultableRequest, InjectedFault } from './faults.js';
export {
  type FederatedCredentialJson,
  IDENTITY_TYPE,
  type IdentityJson,
  identityId,
  TOKEN_EXCHANGE_AUDIENCE,
} from './identities.js';
export { API_VERSIONS, type AzureOperation, type IdentityRef } from './routing.js';
export { startAzureFake } from './server.js';
export { type SiteCreateOptions, type SiteJson, siteId } from './sites.js';
export type { SubscriptionConfig } from './tenancy.js';
export {
  type AzureCaller,
  type AzureFake,
  type AzureFakeOptions,
  DEFAULT_SUBSCRIPTION,
  type FederatedCredentialProperties,
  type IdentityCreateOptions,
  type RecordedRequest,
  type RoleAssignmentProperties,
} from './types.js';
