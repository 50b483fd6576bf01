import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, Grant, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import { classifyAzureError } from '../../../../src/providers/azure/errors.js';
import {
  assignmentFromSummary,
  assignmentName,
  assignmentSummary,
  federatedCredentials,
  identityName,
  identityTags,
  ownerFromAzureTags,
  resolveAzureGrants,
} from '../../../../src/providers/azure/mapping.js';
import { uuidV5 } from '../../../../src/providers/azure/uuid.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import { catalogueEntryOf } from '../../../support/reasons.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const AZURE = {
  subscriptionId: SUB,
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroup: 'keyless-identities',
  location: 'westeurope',
  issuerUrl: 'https://westeurope.oic.prod-aks.azure.com/tenant/cluster/',
};
const ACCOUNT = { name: 'azure', spec: { provider: 'azure', azure: AZURE } as CloudAccountSpec };
const OWNER = { cluster: 'prod-eu', namespace: 'shop', name: 'billing', uid: 'u-1' };
const request = (spec: Partial<WorkloadIdentitySpec> = {}): IdentityRequest => ({
  owner: OWNER,
  account: ACCOUNT,
  spec: { accountRef: { name: 'azure' }, subjects: [{ serviceAccount: { name: 'billing' } }], ...spec },
  adopt: false,
});

describe('UUID v5', () => {
  it('matches the RFC 4122 reference (Python uuid.uuid5)', () => {
    expect(uuidV5('https://keyless.dev/')).toBe('726b4c44-7e5b-52c0-9a28-a106618d18d8');
    expect(uuidV5('binding-uid|/subscriptions/x|/role')).toBe('a16bfcfb-a30e-569e-8ee0-c89250ee22ef');
  });

  it('names a role assignment by binding, scope and role, case-insensitively for the ids', () => {
    const a = assignmentName(
      'uid-1',
      `/subscriptions/${SUB}/resourceGroups/rg`,
      '/providers/Microsoft.Authorization/roleDefinitions/ABC',
    );
    expect(a).toBe(
      assignmentName(
        'uid-1',
        `/subscriptions/${SUB}/resourcegroups/RG`,
        '/providers/microsoft.authorization/roledefinitions/abc',
      ),
    );
    expect(a).not.toBe(
      assignmentName(
        'uid-2',
        `/subscriptions/${SUB}/resourceGroups/rg`,
        '/providers/Microsoft.Authorization/roleDefinitions/ABC',
      ),
    );
    const summary = assignmentSummary('Reader', `/subscriptions/${SUB}/resourceGroups/rg`, a);
    expect(assignmentFromSummary(summary)).toEqual({
      scope: `/subscriptions/${SUB}/resourceGroups/rg`,
      name: a,
    });
  });
});

describe('identity', () => {
  it('has a deterministic name and ownership tags Azure accepts (no slash in tag names)', () => {
    expect(identityName(OWNER)).toMatch(/^keyless-shop-billing-[0-9a-f]{8}$/);
    const tags = identityTags(request({ tags: { team: 'billing' } }));
    expect(tags).toEqual({
      team: 'billing',
      'keyless.dev-cluster': 'prod-eu',
      'keyless.dev-namespace': 'shop',
      'keyless.dev-name': 'billing',
      'keyless.dev-uid': 'u-1',
    });
    expect(ownerFromAzureTags(tags)).toEqual(OWNER);
  });

  it('federates one credential per ServiceAccount with the token-exchange audience', () => {
    const credentials = federatedCredentials(
      request({
        subjects: [
          { serviceAccount: { name: 'billing' } },
          { serviceAccount: { name: 'worker' } },
          { serverless: { platform: 'AzureFunction' } },
        ],
      }),
    );
    expect(credentials.map((c) => [c.issuer, c.subject, c.audiences])).toEqual([
      [AZURE.issuerUrl, 'system:serviceaccount:shop:billing', ['api://AzureADTokenExchange']],
      [AZURE.issuerUrl, 'system:serviceaccount:shop:worker', ['api://AzureADTokenExchange']],
    ]);
    expect(credentials[0]?.name).toMatch(/^kl-shop-billing-[0-9a-f]{8}$/);
    expect(() =>
      federatedCredentials(request({ subjects: [{ serverless: { platform: 'AWSLambda' } }] })),
    ).toThrow(/AWSLambda cannot use an Azure managed identity/);
  });
});

describe('grants', () => {
  const scope = `/subscriptions/${SUB}/resourceGroups/shop/providers`;
  it.each<[string, Grant, string]>([
    [
      'a storage account',
      { resource: `${scope}/Microsoft.Storage/storageAccounts/shopdata`, access: 'read' },
      'Storage Blob Data Reader',
    ],
    [
      'a container',
      {
        resource: `${scope}/Microsoft.Storage/storageAccounts/shopdata/blobServices/default/containers/invoices`,
        access: 'write',
      },
      'Storage Blob Data Contributor',
    ],
    [
      'a Key Vault',
      { resource: `${scope}/Microsoft.KeyVault/vaults/shop-billing`, access: 'read' },
      'Key Vault Secrets User',
    ],
    [
      'a Key Vault, write',
      { resource: `${scope}/Microsoft.KeyVault/vaults/shop-billing`, access: 'write' },
      'Key Vault Secrets Officer',
    ],
    [
      'a Service Bus queue',
      { resource: `${scope}/Microsoft.ServiceBus/namespaces/shop-bus/queues/orders`, access: 'write' },
      'Azure Service Bus Data Sender',
    ],
    ['a resource group', { resource: `/subscriptions/${SUB}/resourceGroups/shop`, access: 'read' }, 'Reader'],
    ['the subscription', { resource: `/subscriptions/${SUB}`, access: 'write' }, 'Contributor'],
    [
      'a raw role name',
      { resource: `/subscriptions/${SUB}/resourceGroups/shop`, role: 'Monitoring Reader' },
      'Monitoring Reader',
    ],
  ])('%s', (_name, grant, role) => {
    const [resolved] = resolveAzureGrants([grant], ACCOUNT);
    expect(resolved).toMatchObject({ permissions: [role], scopes: [grant.resource], permissionKind: 'role' });
  });

  it.each<[string, Grant, RegExp]>([
    [
      'an unknown resource type with access',
      { resource: `${scope}/Microsoft.Sql/servers/db`, access: 'read' },
      /no access catalogue entry/,
    ],
    [
      'something that is not a resource ID',
      { resource: 'shop-billing', role: 'Reader' },
      /not a well-formed Azure resource ID: it does not start with \/subscriptions\//,
    ],
    [
      'a subscription id that is no GUID, before the catalogue is asked',
      { resource: '/subscriptions/prod/resourceGroups/shop', access: 'read' },
      /the subscription id "prod" \(segment 2\) is not a GUID/,
    ],
    [
      'a resource type without a name',
      { resource: `${scope}/Microsoft.KeyVault/vaults`, access: 'read' },
      /it ends with the resource type "vaults" but names no resource of that type/,
    ],
    [
      'an empty segment',
      {
        resource: `/subscriptions/${SUB}/resourceGroups//providers/Microsoft.KeyVault/vaults/v`,
        access: 'read',
      },
      /segment 4 is empty \(two slashes\)/,
    ],
    [
      'a resource group named .., which ARM would read as the subscription',
      { resource: `/subscriptions/${SUB}/resourceGroups/..`, access: 'write' },
      /grant 0 \(.*\): not a well-formed Azure resource ID: segment 4 is "\.\.", which the HTTP client resolves as a step up/,
    ],
    [
      'a percent-escape',
      { resource: `/subscriptions/${SUB}/resourceGroups/shop%2F..`, role: 'Reader' },
      /it holds % at character 72: the cloud decodes percent-escapes/,
    ],
    [
      'a trailing slash',
      { resource: `/subscriptions/${SUB}/resourceGroups/shop/`, access: 'read' },
      /not a well-formed Azure resource ID: it ends with \//,
    ],
    [
      'AWS actions',
      { resource: `/subscriptions/${SUB}`, actions: ['s3:GetObject'] },
      /use access or role, not actions/,
    ],
  ])('refuses %s, naming the grant', (_name, grant, message) => {
    expect(() => resolveAzureGrants([grant], ACCOUNT)).toThrow(message);
  });
});

describe('classifyAzureError', () => {
  const restError = (statusCode: number, code: string, retryAfter?: string) =>
    Object.assign(new Error(`${code} happened`), {
      statusCode,
      code,
      response: { headers: { get: (name: string) => (name === 'retry-after' ? retryAfter : undefined) } },
    });
  it.each([
    [429, 'TooManyRequests', 'throttled', 'Throttled'],
    [429, 'SubscriptionRequestsThrottled', 'throttled', 'Throttled'],
    [400, 'PrincipalNotFound', 'retryable', 'NotFound'],
    [409, 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity', 'retryable', 'Conflict'],
    [409, 'Conflict', 'retryable', 'Conflict'],
    [409, 'AnotherOperationInProgress', 'retryable', 'Conflict'],
    [409, 'SomethingNew', 'retryable', 'Conflict'],
    [403, 'AuthorizationFailed', 'terminal', 'AccessDenied'],
    [403, 'LinkedAuthorizationFailed', 'terminal', 'AccessDenied'],
    [403, 'SomethingNew', 'terminal', 'AccessDenied'],
    [400, 'RoleAssignmentLimitExceeded', 'terminal', 'LimitExceeded'],
    [409, 'RoleAssignmentUpdateNotPermitted', 'terminal', 'RoleAssignmentUpdateNotPermitted'],
    [404, 'ResourceGroupNotFound', 'terminal', 'ResourceGroupNotFound'],
    [404, 'SubscriptionNotFound', 'terminal', 'SubscriptionNotFound'],
    [401, 'InvalidAuthenticationToken', 'terminal', 'InvalidCredentials'],
    [401, 'InvalidAuthenticationTokenTenant', 'terminal', 'InvalidCredentials'],
    [401, 'SomethingNew', 'terminal', 'InvalidCredentials'],
    [400, 'RoleDefinitionDoesNotExist', 'terminal', 'RoleNotFound'],
    [404, 'ResourceNotFound', 'retryable', 'NotFound'],
    [400, 'InvalidRequestContent', 'terminal', 'InvalidRequest'],
    [400, 'constructor', 'terminal', 'InvalidRequest'],
    [400, '', 'terminal', 'InvalidRequest'],
    [503, 'ServiceUnavailable', 'retryable', 'CloudUnavailable'],
    [500, 'InternalServerError', 'retryable', 'CloudUnavailable'],
  ])('%d %s is %s (%s), as the reasons catalogue says', (status, code, kind, reason) => {
    const classified = classifyAzureError(restError(status, code), 'op');
    expect(classified).toMatchObject({ kind, reason });
    expect(catalogueEntryOf(classified)).toEqual({ catalogued: true, outcomeFitsKind: true });
  });

  it("keeps Azure's code in the message", () => {
    expect(
      classifyAzureError(restError(400, 'InvalidRequestContent'), 'roleAssignments.create').message,
    ).toBe('roleAssignments.create: InvalidRequestContent: InvalidRequestContent happened');
  });

  it('classifies what is not a RestError as the cloud being unavailable', () => {
    expect(classifyAzureError(new Error('socket hang up'), 'op')).toMatchObject({
      kind: 'retryable',
      reason: 'CloudUnavailable',
    });
  });

  it('honours Retry-After, and claims none when ARM sends none', () => {
    expect(classifyAzureError(restError(429, 'TooManyRequests', '7'), 'op').retryAfterMs).toBe(7000);
    expect(classifyAzureError(restError(429, 'TooManyRequests'), 'op')).toMatchObject({
      kind: 'throttled',
      retryAfterMs: undefined,
    });
  });
});
