import type { Grant } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { resourceIdProblem } from '../../policy/azure-resource-ids.js';
import azureCatalogue from '../../policy/catalogue/azure.json' with { type: 'json' };
import { type Catalogue, compileCatalogue } from '../../policy/catalogue/catalogue.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest, GrantRequest, IdentityRequest, Owner, ResolvedGrant } from '../provider.js';
import { deterministicName } from '../shared/naming.js';
import { OWNER_TAGS, ownerTags } from '../shared/ownership.js';
import { functionAppsOf } from './function-apps.js';
import { uuidV5 } from './uuid.js';

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Azure allows at most 20 federated identity credentials on one identity. */
export const MAX_FEDERATED_CREDENTIALS = 20;
const lookup = compileCatalogue(azureCatalogue as Catalogue);
const ROLE_DEFINITION_ID =
  /^(\/subscriptions\/[0-9a-fA-F-]{36})?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-fA-F-]{36}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export type AzureAccount = NonNullable<AccountRequest['spec']['azure']>;

export function azureAccountOf(account: AccountRequest): AzureAccount {
  const azure = account.spec.azure;
  if (!azure) throw terminal(Reason.InvalidAccount, `CloudAccount ${account.name} has no spec.azure block`);
  return azure;
}

export function identityName(owner: Owner): string {
  return deterministicName(owner, { prefix: 'keyless', maxLength: 128, invalid: /[^A-Za-z0-9_-]/g });
}

export function resourceGroupOf(request: IdentityRequest): string {
  return request.spec.azure?.resourceGroup ?? azureAccountOf(request.account).resourceGroup;
}

export function identityResourceId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** Azure tag names may not contain `/`: `keyless.dev/cluster` is written `keyless.dev-cluster`. */
export function azureTagKey(key: string): string {
  return key.replace(/[<>%&\\?/]/g, '-');
}

export function identityTags(request: IdentityRequest): Record<string, string> {
  const tags = { ...(request.spec.tags ?? {}), ...ownerTags(request.owner) };
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [azureTagKey(k), v]));
}

export function ownerFromAzureTags(tags: Record<string, string> | undefined): Owner | undefined {
  const get = (key: string) => tags?.[azureTagKey(key)];
  const [cluster, namespace, name] = [
    get(OWNER_TAGS.cluster),
    get(OWNER_TAGS.namespace),
    get(OWNER_TAGS.name),
  ];
  if (cluster === undefined || namespace === undefined || name === undefined) return undefined;
  return { cluster, namespace, name, uid: get(OWNER_TAGS.uid) ?? '' };
}

export interface DesiredCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** One federated identity credential per ServiceAccount subject, named after the ServiceAccount. */
export function federatedCredentials(request: IdentityRequest): DesiredCredential[] {
  const azure = azureAccountOf(request.account);
  const credentials = request.spec.subjects.flatMap((s) => {
    if (s.serverless && s.serverless.platform !== 'AzureFunction') {
      throw terminal(
        Reason.InvalidSpec,
        `subject serverless.platform ${s.serverless.platform} cannot use an Azure managed identity; use AzureFunction`,
      );
    }
    return s.serviceAccount
      ? [
          {
            name: deterministicName(
              {
                cluster: request.owner.cluster,
                namespace: request.owner.namespace,
                name: s.serviceAccount.name,
              },
              {
                prefix: 'kl',
                maxLength: 120,
                invalid: /[^A-Za-z0-9_-]/g,
              },
            ),
            issuer: azure.issuerUrl,
            subject: `system:serviceaccount:${request.owner.namespace}:${s.serviceAccount.name}`,
            audiences: [TOKEN_EXCHANGE_AUDIENCE],
          },
        ]
      : [];
  });
  const unique = [...new Map(credentials.map((c) => [c.subject, c])).values()];
  if (unique.length > MAX_FEDERATED_CREDENTIALS) {
    throw terminal(
      Reason.TooManySubjects,
      `an Azure managed identity takes at most ${MAX_FEDERATED_CREDENTIALS} federated credentials; this identity has ${unique.length} ServiceAccount subjects`,
    );
  }
  return unique;
}

export function credentialKey(c: { issuer?: string | null; subject?: string | null }): string {
  return `${c.issuer ?? ''}|${c.subject ?? ''}`;
}

/** Grants through the catalogue (access) or as given (role: a built-in role name or a definition id). */
export function resolveAzureGrants(grants: Grant[], _account: AccountRequest): ResolvedGrant[] {
  return grants.map((grant, index) => {
    const name = `grant ${index} (${grant.resource})`;
    if (grant.actions)
      throw terminal(Reason.InvalidGrant, `${name}: Azure grants use access or role, not actions`);
    const malformed = resourceIdProblem(grant.resource);
    if (malformed)
      throw terminal(Reason.InvalidGrant, `${name}: not a well-formed Azure resource ID: ${malformed}`);
    const match = lookup(grant.resource);
    if (!match && !grant.role) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: no access catalogue entry for this resource (a storage account or container, Key Vault, Service Bus ` +
          'namespace, queue or topic, resource group or subscription); check its types and names, or use role',
      );
    }
    const role = grant.role ?? match?.entry.access[grant.access ?? 'read'][0] ?? '';
    if (
      GUID.test(role) === false &&
      ROLE_DEFINITION_ID.test(role) === false &&
      !/^[\w .()-]{1,128}$/.test(role)
    ) {
      throw terminal(Reason.InvalidGrant, `${name}: ${role} is neither a role name nor a role definition id`);
    }
    return {
      resource: grant.resource,
      access: grant.access,
      permissions: [role],
      permissionKind: 'role',
      scopes: [grant.resource],
    };
  });
}

/**
 * The role assignment's name: a UUID v5 of the binding's uid, the scope and the role definition.
 * A crash between creating it and recording it never makes a second one, and observing it is one GET.
 */
export function assignmentName(bindingUid: string, scope: string, roleDefinitionId: string): string {
  return uuidV5(`${bindingUid}|${scope.toLowerCase()}|${roleDefinitionId.toLowerCase()}`);
}

/** How status records one assignment: `ROLE at SCOPE (GUID)`, read back to remove grants dropped from spec. */
export function assignmentSummary(role: string, scope: string, name: string): string {
  return `${role} at ${scope} (${name})`;
}

export function assignmentFromSummary(summary: string): { scope: string; name: string } | undefined {
  const match = /^.+ at (\/\S+) \(([0-9a-fA-F-]{36})\)$/.exec(summary);
  return match ? { scope: match[1] ?? '', name: match[2] ?? '' } : undefined;
}

export function isRoleDefinitionId(role: string): boolean {
  return ROLE_DEFINITION_ID.test(role) || GUID.test(role);
}

export function principalOfRequest(request: GrantRequest): string {
  const principalId = request.identity.principal.principalId;
  if (!principalId) throw terminal(Reason.IdentityNotReady, 'the identity has no principalId yet');
  return principalId;
}

/** Everything about the managed identity that Azure would refuse, checked before any call. */
export function validateAzureIdentity(request: IdentityRequest): void {
  resourceGroupOf(request);
  functionAppsOf(request, azureAccountOf(request.account).subscriptionId);
  identityTags(request);
  federatedCredentials(request);
}
