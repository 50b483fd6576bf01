import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import {
  functionAppsOf,
  hasIdentity,
  identityPatchAdding,
  identityPatchRemoving,
  settingsWithClientId,
  settingsWithoutClientId,
} from '../../../../src/providers/azure/function-apps.js';
import { validateAzureIdentity } from '../../../../src/providers/azure/mapping.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import { ClassifiedError } from '../../../../src/runtime/errors.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const ACCOUNT = {
  name: 'azure',
  spec: {
    provider: 'azure',
    azure: {
      subscriptionId: SUB,
      tenantId: '00000000-0000-0000-0000-0000000000aa',
      resourceGroup: 'keyless',
      location: 'westeurope',
      issuerUrl: 'https://issuer.example/',
    },
  } as CloudAccountSpec,
};
const site = (name: string, rg = 'apps', sub = SUB) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;
const request = (serverless: NonNullable<WorkloadIdentitySpec['subjects'][number]['serverless']>) =>
  ({
    owner: { cluster: 'c', namespace: 'shop', name: 'orders', uid: 'u' },
    account: ACCOUNT,
    spec: { accountRef: { name: 'azure' }, subjects: [{ serverless }] },
    adopt: false,
  }) satisfies IdentityRequest;

const OURS = `/subscriptions/${SUB}/resourceGroups/keyless/providers/Microsoft.ManagedIdentity/userAssignedIdentities/keyless-orders`;
const OTHER = `/subscriptions/${SUB}/resourceGroups/keyless/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other`;

describe('functionAppsOf', () => {
  it('reads the sites of the AzureFunction subject, once each, with their group and name', () => {
    const apps = functionAppsOf(
      request({
        platform: 'AzureFunction',
        functionApps: [site('orders-fn'), site('Orders-FN', 'APPS'), site('b', 'rg2')],
        setClientIdSetting: true,
      }),
      SUB,
    );
    expect(apps).toEqual({
      sites: [
        { id: site('orders-fn'), resourceGroup: 'apps', name: 'orders-fn' },
        { id: site('b', 'rg2'), resourceGroup: 'rg2', name: 'b' },
      ],
      released: [],
      attached: new Set(),
      setClientId: true,
    });
  });

  it.each([
    [site('..'), /segment 8 is "\.\."/],
    [site('.'), /segment 8 is "\."/],
    [site('a%2Fb'), /not a site ID|decode|%/],
    [
      `/subscriptions/${SUB}/resourceGroups/apps/providers/Microsoft.Storage/storageAccounts/x`,
      /not a site ID/,
    ],
    [`/subscriptions/${SUB}/resourceGroups/apps`, /not a site ID/],
    [site('x', 'apps', '00000000-0000-0000-0000-000000000002'), /not in the account's subscription/],
  ])('refuses %s', (id, message) => {
    const call = () => validateAzureIdentity(request({ platform: 'AzureFunction', functionApps: [id] }));
    expect(call).toThrow(ClassifiedError);
    expect(call).toThrow(message);
  });

  it('has no sites and no setting when the subject names none', () => {
    expect(functionAppsOf(request({ platform: 'AzureFunction' }), SUB)).toEqual({
      sites: [],
      released: [],
      attached: new Set(),
      setClientId: false,
    });
  });

  it('releases the sites status says Keyless attached that the spec no longer names, and nothing of other clouds', () => {
    const apps = functionAppsOf(
      {
        ...request({ platform: 'AzureFunction', functionApps: [site('kept')] }),
        attachedFunctions: [
          site('KEPT'),
          site('dropped'),
          'arn:aws:lambda:eu-west-1:123456789012:function:orders',
          site('..'),
        ],
      },
      SUB,
    );
    expect(apps.sites.map((s) => s.name)).toEqual(['kept']);
    expect(apps.released).toEqual([{ id: site('dropped'), resourceGroup: 'apps', name: 'dropped' }]);
  });
});

describe('the identity PATCH of a site', () => {
  it.each([
    ['no identity', undefined, { type: 'UserAssigned', userAssignedIdentities: { [OURS]: {} } }],
    [
      'a system-assigned identity, kept',
      { type: 'SystemAssigned' },
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [OURS]: {} } },
    ],
    [
      'another user-assigned identity, kept',
      { type: 'UserAssigned', userAssignedIdentities: { [OTHER]: { clientId: 'x' } } },
      { type: 'UserAssigned', userAssignedIdentities: { [OTHER]: {}, [OURS]: {} } },
    ],
    [
      'both kinds, kept',
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [OTHER]: {} } },
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [OTHER]: {}, [OURS]: {} } },
    ],
    ['type None', { type: 'None' }, { type: 'UserAssigned', userAssignedIdentities: { [OURS]: {} } }],
  ])('adding to a site with %s', (_name, current, patch) => {
    expect(identityPatchAdding(current, OURS)).toEqual(patch);
  });

  it('is nothing when the site has the identity, whatever the case of its ID', () => {
    const current = {
      type: 'UserAssigned',
      userAssignedIdentities: { [OURS.toLowerCase()]: { clientId: 'c' } },
    };
    expect(hasIdentity(current, OURS)).toBe(true);
    expect(identityPatchAdding(current, OURS)).toBeUndefined();
  });

  it.each([
    ['alone', { type: 'UserAssigned', userAssignedIdentities: { [OURS]: {} } }, { type: 'None' }],
    [
      'beside a system-assigned one',
      { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [OURS.toLowerCase()]: {} } },
      { type: 'SystemAssigned' },
    ],
    [
      'beside another user-assigned one',
      { type: 'UserAssigned', userAssignedIdentities: { [OTHER]: {}, [OURS]: {} } },
      { type: 'UserAssigned', userAssignedIdentities: { [OTHER]: {}, [OURS]: null } },
    ],
  ])('removing it %s keeps the rest', (_name, current, patch) => {
    expect(identityPatchRemoving(current, OURS)).toEqual(patch);
  });

  it('removes nothing from a site without it', () => {
    expect(identityPatchRemoving({ type: 'SystemAssigned' }, OURS)).toBeUndefined();
    expect(
      identityPatchRemoving({ type: 'UserAssigned', userAssignedIdentities: { [OTHER]: {} } }, OURS),
    ).toBeUndefined();
  });
});

describe('the AZURE_CLIENT_ID setting', () => {
  const others = { FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsStorage: 'x' };

  it('is set with every other setting kept', () => {
    expect(settingsWithClientId(others, 'cid')).toEqual({ ...others, AZURE_CLIENT_ID: 'cid' });
    expect(settingsWithClientId({ ...others, AZURE_CLIENT_ID: 'old' }, 'cid')).toEqual({
      ...others,
      AZURE_CLIENT_ID: 'cid',
    });
  });

  it('is not written when it already holds the client id', () => {
    expect(settingsWithClientId({ ...others, AZURE_CLIENT_ID: 'cid' }, 'cid')).toBeUndefined();
  });

  it('is removed only while it holds the client id', () => {
    expect(settingsWithoutClientId({ ...others, AZURE_CLIENT_ID: 'cid' }, 'cid')).toEqual(others);
    expect(settingsWithoutClientId({ ...others, AZURE_CLIENT_ID: 'someone-else' }, 'cid')).toBeUndefined();
    expect(settingsWithoutClientId(others, 'cid')).toBeUndefined();
  });
});
