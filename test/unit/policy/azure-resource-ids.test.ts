import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AzureResourceId, parseAzureResourceId } from '../../../src/policy/azure-resource-ids.js';
import { armReading } from '../../support/url-path-reading.js';

const S = '00000000-0000-0000-0000-00000000000A';
const SUB = `/subscriptions/${S}`;
const s = S.toLowerCase();

describe('parseAzureResourceId', () => {
  it.each<[string, string, AzureResourceId]>([
    [
      'a subscription',
      SUB,
      { level: 'subscription', subscription: s, resourceGroup: undefined, namespaces: [] },
    ],
    [
      'a resource group, in any case',
      `/SUBSCRIPTIONS/${S}/resourcegroups/Shop.Data`,
      { level: 'resourceGroup', subscription: s, resourceGroup: 'shop.data', namespaces: [] },
    ],
    [
      'a resource',
      `${SUB}/resourceGroups/shop/providers/Microsoft.Storage/storageAccounts/sa`,
      { level: 'resource', subscription: s, resourceGroup: 'shop', namespaces: ['microsoft.storage'] },
    ],
    [
      'a child resource',
      `${SUB}/resourceGroups/shop/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c`,
      { level: 'resource', subscription: s, resourceGroup: 'shop', namespaces: ['microsoft.storage'] },
    ],
    [
      'a resource at subscription level',
      `${SUB}/providers/Microsoft.Insights/actionGroups/a`,
      { level: 'resource', subscription: s, resourceGroup: undefined, namespaces: ['microsoft.insights'] },
    ],
    [
      'an extension resource, with both namespaces',
      `${SUB}/resourceGroups/shop/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.ManagedIdentity/x/y`,
      {
        level: 'resource',
        subscription: s,
        resourceGroup: 'shop',
        namespaces: ['microsoft.storage', 'microsoft.managedidentity'],
      },
    ],
    [
      'a resource named providers',
      `${SUB}/resourceGroups/shop/providers/Microsoft.Web/sites/providers`,
      { level: 'resource', subscription: s, resourceGroup: 'shop', namespaces: ['microsoft.web'] },
    ],
    [
      'names with dots inside',
      `${SUB}/resourceGroups/a..b/providers/Microsoft.Web/sites/x.y`,
      { level: 'resource', subscription: s, resourceGroup: 'a..b', namespaces: ['microsoft.web'] },
    ],
  ])('reads %s', (_name, id, expected) => {
    expect(parseAzureResourceId(id)).toEqual({ id: expected });
  });

  it.each<[string, string, string]>([
    ['not an ID', 'shop-billing', 'it does not start with /subscriptions/'],
    ['no subscription', '/subscriptions/', 'it names no subscription id after /subscriptions/'],
    ['a trailing slash', `${SUB}/resourceGroups/rg/`, 'it ends with /'],
    ['a trailing slash after the subscription', `${SUB}/`, 'it ends with /'],
    ['two slashes', `${SUB}//resourceGroups/rg`, 'segment 3 is empty (two slashes)'],
    [
      'a .. segment',
      `${SUB}/resourceGroups/rg/..`,
      'segment 5 is "..", which the HTTP client resolves as a step up to the parent, so the cloud would read another scope',
    ],
    ['a . segment', `${SUB}/./resourceGroups/x`, 'segment 3 is ".", which the HTTP client removes'],
    [
      '.. where a resource name belongs',
      `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/x/../../../../..`,
      'segment 8 is ".."',
    ],
    [
      'a percent-escaped dot',
      `${SUB}/resourceGroups/rg/%2e%2e`,
      'it holds % at character 71: the cloud decodes',
    ],
    ['a percent-escaped slash', `${SUB}/resourceGroups/a%2Fb`, 'it holds % at character'],
    ['a backslash', `${SUB}/resourceGroups/rg\\..`, 'it holds a backslash at character 70'],
    ['a question mark', `${SUB}?/resourceGroups/rg`, 'it holds ? at character 52, which ends a URL path'],
    ['a hash', `${SUB}/resourceGroups/rg#`, 'it holds # at character'],
    ['a tab', `${SUB}/resourceGroups/.\t.`, 'it holds the control character U+0009 at character 69'],
    [
      'a subscription id that is no GUID',
      '/subscriptions/prod',
      'the subscription id "prod" (segment 2) is not a GUID',
    ],
    [
      'resourceGroups without a name',
      `${SUB}/resourceGroups`,
      'it ends with resourceGroups but names no resource group',
    ],
    ['a stray segment', `${SUB}/rg/x`, 'segment 3 is "rg" where resourceGroups or providers belongs'],
    [
      'providers without a namespace',
      `${SUB}/providers`,
      'it ends with providers but names no resource provider namespace',
    ],
    [
      'a namespace without a dot',
      `${SUB}/providers/Storage/x/y`,
      'the resource provider namespace "Storage" (segment 4)',
    ],
    [
      'a nested namespace without a dot',
      `${SUB}/providers/A.B/x/y/providers/C/z/w`,
      'namespace "C" is not like',
    ],
    ['a namespace without a type', `${SUB}/providers/Microsoft.Web`, 'names no resource type'],
    [
      'a type without a name',
      `${SUB}/providers/Microsoft.Web/sites`,
      'it ends with the resource type "sites"',
    ],
  ])('refuses %s, saying where', (_name, id, problem) => {
    expect(parseAzureResourceId(id).problem).toContain(problem);
  });
});

/** Resource IDs built from pieces that include every spelling a URL reads differently. */
const tricky = fc
  .array(
    fc.constantFrom(
      'resourceGroups',
      'resourcegroups',
      'rg',
      'RG',
      'providers',
      'Microsoft.Storage',
      'Microsoft.ManagedIdentity',
      'storageAccounts',
      'sa',
      'a.b',
      '...',
      '..',
      '.',
      '',
      '%2e%2e',
      '.%2E',
      'a%2Fb',
      'a\\..',
      'a?b',
      'x#',
      '.\t.',
      '.\n',
      'a b',
      'ü',
    ),
    { maxLength: 8 },
  )
  .chain((segments) =>
    fc
      .constantFrom(
        SUB,
        `${SUB}/resourceGroups/rg`,
        `${SUB}/resourceGroups/rg/providers/Microsoft.Storage`,
        `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`,
      )
      .map((start) => [start, ...segments].join('/')),
  );

describe('properties', () => {
  it('every ID it accepts, ARM reads as written (letter case aside)', () => {
    let accepted = 0;
    let readOtherwise = 0;
    fc.assert(
      fc.property(tricky, (id) => {
        if (armReading(id) !== id.toLowerCase()) readOtherwise += 1;
        if (parseAzureResourceId(id).problem) return;
        accepted += 1;
        expect(armReading(id)).toBe(id.toLowerCase());
      }),
      { numRuns: 2000 },
    );
    // The pieces make both kinds often enough for the property to say something.
    expect(accepted).toBeGreaterThan(20);
    expect(readOtherwise).toBeGreaterThan(500);
  });
});
