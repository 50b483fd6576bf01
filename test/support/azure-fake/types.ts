/** The fake's public shapes: its options, its handle, and what tests pass to its out-of-band API. */
import type { RoleAssignmentJson } from './authorization.js';
import type { AzureFaultRule, InjectedFault } from './faults.js';
import type { GraphState } from './graph.js';
import type { FederatedCredentialJson, IdentityJson, SeedIdentityOptions } from './identities.js';
import type { AzureOperation, IdentityRef } from './routing.js';
import type { SiteCreateOptions, SiteJson } from './sites.js';
import type { SubscriptionConfig } from './tenancy.js';

export const DEFAULT_SUBSCRIPTION: SubscriptionConfig = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroups: ['keyless'],
};

/** Who the fake says is calling, in `AuthorizationFailed` messages. */
export interface AzureCaller {
  readonly clientId: string;
  readonly objectId: string;
}

export interface AzureFakeOptions {
  /** Subscriptions (with their tenant and resource groups) that exist. Default: `[DEFAULT_SUBSCRIPTION]`. */
  readonly subscriptions?: readonly SubscriptionConfig[];
  /** How long a new identity's principal stays unknown to role assignments (Entra replication). Default 0. */
  readonly principalReplicationMs?: number;
  /** How long each federated credential write takes; overlapping writes on one identity get 409. Default 50. */
  readonly ficWriteMs?: number;
  /** Items per list page before a `nextLink`. Default 100. */
  readonly pageSize?: number;
  /** Federated credentials per identity. Azure: 20. */
  readonly federatedCredentialLimit?: number;
  /** Role assignments per subscription. Azure: 4000. */
  readonly roleAssignmentLimit?: number;
  /** As Azure: a role assignment that sets `principalType` skips the principal lookup. Default true. */
  readonly principalTypeSkipsLookup?: boolean;
  /** Which bearer tokens are valid. Default: any non-empty one. */
  readonly acceptToken?: (token: string) => boolean;
  readonly caller?: AzureCaller;
  /** The clock for replication delays, accepted deletes and timestamps. Default `Date.now`. */
  readonly now?: () => number;
}

export interface RecordedRequest {
  readonly method: string;
  /** Normalised: single slashes, decoded segments. */
  readonly path: string;
  readonly apiVersion: string | undefined;
  readonly operation: AzureOperation | 'servicePrincipalSignInActivities.list' | 'unrouted';
  readonly status: number;
  readonly errorCode?: string;
}

export interface IdentityCreateOptions extends SeedIdentityOptions {
  readonly location: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface FederatedCredentialProperties {
  readonly issuer: string;
  readonly subject: string;
  /** Default `['api://AzureADTokenExchange']`. */
  readonly audiences?: readonly string[];
}

export interface RoleAssignmentProperties {
  /** `/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID` (or without the subscription). */
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType?: string;
}

export interface AzureFake {
  /** `https://127.0.0.1:PORT`: the ARM endpoint to give clients. */
  readonly endpoint: string;
  readonly port: number;
  /** The CA to trust (`tlsOptions: { ca }`). */
  readonly caPem: string;
  readonly caller: AzureCaller;
  /** Requests received per operation since the start or `resetCounts()`, failed and faulted ones included. */
  counts(): Record<string, number>;
  /** Clears the counts and the request log. */
  resetCounts(): void;
  /** Every request since the start or `resetCounts()`, oldest first. */
  requests(): readonly RecordedRequest[];
  inject(rule: AzureFaultRule): InjectedFault;
  clearFaults(): void;
  /** Out-of-band reads and edits (not counted, no faults, no write delay). Ids are ARM JSON as served. */
  readonly identities: {
    get(ref: IdentityRef): IdentityJson | undefined;
    list(subscriptionId: string, resourceGroup?: string): IdentityJson[];
    /** Creates or replaces an identity as someone else would have. */
    create(ref: IdentityRef, options: IdentityCreateOptions): IdentityJson;
    setTags(ref: IdentityRef, tags: Readonly<Record<string, string>>): IdentityJson;
    delete(ref: IdentityRef): boolean;
  };
  readonly federatedCredentials: {
    list(identity: IdentityRef): FederatedCredentialJson[];
    get(identity: IdentityRef, name: string): FederatedCredentialJson | undefined;
    put(
      identity: IdentityRef,
      name: string,
      properties: FederatedCredentialProperties,
    ): FederatedCredentialJson;
    delete(identity: IdentityRef, name: string): boolean;
  };
  readonly roleAssignments: {
    /** Every role assignment, any scope. */
    list(): RoleAssignmentJson[];
    get(name: string): RoleAssignmentJson | undefined;
    put(scope: string, name: string, properties: RoleAssignmentProperties): RoleAssignmentJson;
    delete(name: string): boolean;
  };
  /** App Service sites (Function Apps), named by subscription, resource group and name. */
  readonly sites: {
    /** Creates or replaces a site; its user-assigned identities must exist. */
    create(ref: IdentityRef, options?: SiteCreateOptions): SiteJson;
    get(ref: IdentityRef): SiteJson | undefined;
    /** Replaces the site's identities, as someone in the portal would. */
    setIdentity(
      ref: IdentityRef,
      options: Pick<SiteCreateOptions, 'systemAssigned' | 'userAssignedIdentities'>,
    ): SiteJson;
    /** Undefined when the site does not exist. */
    appSettings(ref: IdentityRef): Readonly<Record<string, string>> | undefined;
    setAppSettings(
      ref: IdentityRef,
      settings: Readonly<Record<string, string>>,
    ): Readonly<Record<string, string>>;
    delete(ref: IdentityRef): boolean;
  };
  readonly directory: {
    addSubscription(config: SubscriptionConfig): void;
    addResourceGroup(subscriptionId: string, resourceGroup: string): void;
    /** A principal that is not a managed identity (a user, a group, the operator's own principal). */
    addPrincipal(
      principalId: string,
      options?: { tenantId?: string; principalType?: string; createdAt?: number },
    ): void;
  };
  /** Microsoft Graph's service principal sign-in activity (served on the same endpoint, under /beta). */
  readonly graph: GraphState;
  /**
   * Closes every connection (keep-alive ones too) and stops listening. Rejects if the fake itself
   * failed on any request (a bug in the fake, answered 500), so such failures never go unnoticed.
   * Safe to call twice.
   */
  stop(): Promise<void>;
}
