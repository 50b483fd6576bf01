/**
 * Which ARM operation a request is. The path is taken apart by hand, never with `new URL()`: the
 * authorization client sends a scope with a leading `/` as `//subscriptions/...`, which a URL parser
 * would read as a host. Duplicate slashes are collapsed; keywords and names compare case-insensitively,
 * as ARM does.
 */
import * as errors from './errors.js';

/** The operations the fake counts requests by. */
export type AzureOperation =
  | 'identities.put'
  | 'identities.get'
  | 'identities.patch'
  | 'identities.delete'
  | 'identities.list'
  | 'federatedCredentials.put'
  | 'federatedCredentials.get'
  | 'federatedCredentials.delete'
  | 'federatedCredentials.list'
  | 'roleAssignments.put'
  | 'roleAssignments.get'
  | 'roleAssignments.delete'
  | 'roleAssignments.list'
  | 'roleDefinitions.get'
  | 'roleDefinitions.list'
  | 'operations.get'
  | 'sites.get'
  | 'sites.patch'
  | 'sites.listSettings'
  | 'sites.putSettings';

export interface IdentityRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export type Route =
  | {
      readonly operation: 'identities.put' | 'identities.get' | 'identities.patch' | 'identities.delete';
      readonly identity: IdentityRef;
    }
  | {
      readonly operation: 'identities.list';
      readonly subscriptionId: string;
      readonly resourceGroup?: string;
    }
  | {
      readonly operation:
        | 'federatedCredentials.put'
        | 'federatedCredentials.get'
        | 'federatedCredentials.delete';
      readonly identity: IdentityRef;
      readonly credential: string;
    }
  | { readonly operation: 'federatedCredentials.list'; readonly identity: IdentityRef }
  | {
      readonly operation: 'roleAssignments.put' | 'roleAssignments.get' | 'roleAssignments.delete';
      readonly scope: string;
      readonly name: string;
    }
  | { readonly operation: 'roleAssignments.list'; readonly scope: string }
  | { readonly operation: 'roleDefinitions.get'; readonly scope: string; readonly id: string }
  | { readonly operation: 'roleDefinitions.list'; readonly scope: string }
  | {
      readonly operation: 'sites.get' | 'sites.patch' | 'sites.listSettings' | 'sites.putSettings';
      /** The site (Microsoft.Web/sites), named like an identity: subscription, group, name. */
      readonly site: IdentityRef;
    }
  | {
      readonly operation: 'operations.get';
      readonly subscriptionId: string;
      readonly kind: 'status' | 'result';
      readonly id: string;
    };

export interface ParsedRequest {
  readonly route: Route;
  /** The path as normalised: single slashes, percent-decoded segments. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Absent when the request has none (the server answers `MissingApiVersionParameter`). */
  readonly apiVersion: string | undefined;
  readonly supportedApiVersions: readonly string[];
  /** The provider that owns the route: decides how an unsupported api-version is reported. */
  readonly provider: 'Microsoft.ManagedIdentity' | 'Microsoft.Authorization' | 'Microsoft.Web';
  /** The ARM resource type, for api-version errors. */
  readonly resourceType: string;
}

const MSI = 'microsoft.managedidentity';
const WEB = 'microsoft.web';
const AUTHORIZATION = 'microsoft.authorization';

/** api-versions the fake answers, per resource type (the shapes it returns are the same for all). */
export const API_VERSIONS = {
  userAssignedIdentities: [
    '2018-11-30',
    '2021-09-30-preview',
    '2022-01-31-preview',
    '2023-01-31',
    '2023-07-31-preview',
    '2024-11-30',
    '2025-01-31-preview',
  ],
  federatedIdentityCredentials: [
    '2022-01-31-preview',
    '2023-01-31',
    '2023-07-31-preview',
    '2024-11-30',
    '2025-01-31-preview',
  ],
  roleAssignments: [
    '2015-07-01',
    '2018-01-01-preview',
    '2020-04-01-preview',
    '2022-01-01-preview',
    '2022-04-01',
  ],
  roleDefinitions: ['2015-07-01', '2018-01-01-preview', '2022-04-01', '2022-05-01-preview'],
  sites: ['2022-09-01', '2023-01-01', '2023-12-01', '2024-04-01', '2024-11-01', '2025-03-01', '2025-05-01'],
} as const;

type MsiResourceType = 'userAssignedIdentities' | 'federatedIdentityCredentials';

/** `/a//b/%41` → `/a/b/A`: collapses repeated slashes, decodes each segment. */
export function normalisePath(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        // A malformed escape is kept as sent; it simply matches no name.
        return segment;
      }
    });
}

const is = (segment: string | undefined, keyword: string): boolean => segment?.toLowerCase() === keyword;

/** The operation an HTTP method is on a path, if the path has one for it. */
const byMethod = <T extends string>(
  method: string,
  operations: Readonly<Record<string, T>>,
): T | undefined => (Object.hasOwn(operations, method) ? operations[method] : undefined);

/** The segments after the last `providers/Microsoft.Authorization/<type>` and the scope before it. */
function splitAuthorizationPath(
  segments: readonly string[],
): { scope: string; type: string; rest: string[] } | undefined {
  for (let index = segments.length - 2; index >= 0; index--) {
    if (is(segments[index], 'providers') && is(segments[index + 1], AUTHORIZATION)) {
      const scopeSegments = segments.slice(0, index);
      return {
        scope: `/${scopeSegments.join('/')}`,
        type: (segments[index + 2] ?? '').toLowerCase(),
        rest: segments.slice(index + 3),
      };
    }
  }
  return undefined;
}

function msiRoute(
  method: string,
  segments: readonly string[],
): { route: Route; type: MsiResourceType } | undefined {
  // subscriptions/S[/resourceGroups/RG]/providers/Microsoft.ManagedIdentity/...
  if (!is(segments[0], 'subscriptions') || segments[1] === undefined) return undefined;
  const subscriptionId = segments[1];
  if (is(segments[2], 'providers') && is(segments[3], MSI)) {
    const rest = segments.slice(4);
    if (rest.length === 1 && is(rest[0], 'userassignedidentities') && method === 'GET') {
      return { route: { operation: 'identities.list', subscriptionId }, type: 'userAssignedIdentities' };
    }
    // locations/L/operationStatuses/ID or operationResults/ID (asynchronous deletes).
    if (rest.length === 4 && is(rest[0], 'locations') && method === 'GET' && rest[3] !== undefined) {
      const kind = is(rest[2], 'operationstatuses')
        ? 'status'
        : is(rest[2], 'operationresults')
          ? 'result'
          : undefined;
      if (kind) {
        return {
          route: { operation: 'operations.get', subscriptionId, kind, id: rest[3] },
          type: 'userAssignedIdentities',
        };
      }
    }
    return undefined;
  }
  if (!is(segments[2], 'resourcegroups') || segments[3] === undefined) return undefined;
  if (!is(segments[4], 'providers') || !is(segments[5], MSI) || !is(segments[6], 'userassignedidentities')) {
    return undefined;
  }
  const resourceGroup = segments[3];
  const [name, child, credential, ...extra] = segments.slice(7);
  if (extra.length > 0) return undefined;
  if (name === undefined) {
    return method === 'GET'
      ? {
          route: { operation: 'identities.list', subscriptionId, resourceGroup },
          type: 'userAssignedIdentities',
        }
      : undefined;
  }
  const identity: IdentityRef = { subscriptionId, resourceGroup, name };
  if (child === undefined) {
    const operation = byMethod(method, {
      PUT: 'identities.put',
      GET: 'identities.get',
      PATCH: 'identities.patch',
      DELETE: 'identities.delete',
    });
    return operation ? { route: { operation, identity }, type: 'userAssignedIdentities' } : undefined;
  }
  if (!is(child, 'federatedidentitycredentials')) return undefined;
  if (credential === undefined) {
    return method === 'GET'
      ? { route: { operation: 'federatedCredentials.list', identity }, type: 'federatedIdentityCredentials' }
      : undefined;
  }
  const operation = byMethod(method, {
    PUT: 'federatedCredentials.put',
    GET: 'federatedCredentials.get',
    DELETE: 'federatedCredentials.delete',
  });
  return operation
    ? { route: { operation, identity, credential }, type: 'federatedIdentityCredentials' }
    : undefined;
}

/** `subscriptions/S/resourceGroups/RG/providers/Microsoft.Web/sites/NAME[/config/appsettings[/list]]`. */
function webRoute(method: string, segments: readonly string[]): Route | undefined {
  if (!is(segments[0], 'subscriptions') || !is(segments[2], 'resourcegroups')) return undefined;
  if (!is(segments[4], 'providers') || !is(segments[5], WEB) || !is(segments[6], 'sites')) return undefined;
  const [subscriptionId, resourceGroup, name] = [segments[1], segments[3], segments[7]];
  if (subscriptionId === undefined || resourceGroup === undefined || name === undefined) return undefined;
  const site: IdentityRef = { subscriptionId, resourceGroup, name };
  const rest = segments.slice(8).map((segment) => segment.toLowerCase());
  const path = rest.join('/');
  const operation =
    path === ''
      ? byMethod(method, { GET: 'sites.get', PATCH: 'sites.patch' } as const)
      : path === 'config/appsettings/list'
        ? byMethod(method, { POST: 'sites.listSettings' } as const)
        : path === 'config/appsettings'
          ? byMethod(method, { PUT: 'sites.putSettings' } as const)
          : undefined;
  return operation ? { operation, site } : undefined;
}

function authorizationRoute(
  method: string,
  segments: readonly string[],
): { route: Route; type: 'roleAssignments' | 'roleDefinitions' } | undefined {
  const split = splitAuthorizationPath(segments);
  if (!split || split.rest.length > 1) return undefined;
  const [name] = split.rest;
  if (split.type === 'roleassignments') {
    if (name === undefined) {
      return method === 'GET'
        ? { route: { operation: 'roleAssignments.list', scope: split.scope }, type: 'roleAssignments' }
        : undefined;
    }
    const operation = byMethod(method, {
      PUT: 'roleAssignments.put',
      GET: 'roleAssignments.get',
      DELETE: 'roleAssignments.delete',
    });
    return operation
      ? { route: { operation, scope: split.scope, name }, type: 'roleAssignments' }
      : undefined;
  }
  if (split.type === 'roledefinitions' && method === 'GET') {
    return name === undefined
      ? { route: { operation: 'roleDefinitions.list', scope: split.scope }, type: 'roleDefinitions' }
      : {
          route: { operation: 'roleDefinitions.get', scope: split.scope, id: name },
          type: 'roleDefinitions',
        };
  }
  return undefined;
}

/**
 * Routes `METHOD /raw/path?query`; throws the ARM error for a path the fake does not serve. Does not
 * check the api-version's presence or value: the server does, after counting the request.
 */
export function parseRequest(method: string, rawUrl: string): ParsedRequest {
  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1));
  const segments = normalisePath(rawPath);
  const path = `/${segments.join('/')}`;
  const apiVersion = query.get('api-version') ?? undefined;

  const msi = msiRoute(method, segments);
  if (msi) {
    return {
      route: msi.route,
      path,
      query,
      apiVersion,
      supportedApiVersions: API_VERSIONS[msi.type],
      provider: 'Microsoft.ManagedIdentity',
      resourceType: msi.type,
    };
  }
  const web = webRoute(method, segments);
  if (web) {
    return {
      route: web,
      path,
      query,
      apiVersion,
      supportedApiVersions: API_VERSIONS.sites,
      provider: 'Microsoft.Web',
      resourceType: 'sites',
    };
  }
  const authorization = authorizationRoute(method, segments);
  if (authorization) {
    return {
      route: authorization.route,
      path,
      query,
      apiVersion,
      supportedApiVersions: API_VERSIONS[authorization.type],
      provider: 'Microsoft.Authorization',
      resourceType: authorization.type,
    };
  }
  throw errors.noRoute(method, path);
}

/** The api-version check ARM makes before anything else, once the request is known. */
export function checkApiVersion(request: ParsedRequest): void {
  if (request.apiVersion === undefined || request.apiVersion === '') throw errors.missingApiVersion();
  if (request.supportedApiVersions.includes(request.apiVersion)) return;
  throw request.provider !== 'Microsoft.Authorization'
    ? errors.unsupportedProviderApiVersion(
        request.apiVersion,
        request.resourceType,
        request.supportedApiVersions,
      )
    : errors.invalidApiVersion(request.apiVersion, request.supportedApiVersions);
}
