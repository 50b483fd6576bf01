/**
 * Which operation a request is: the REST paths the Google clients send (checked against what they
 * actually send, see gcp-fake.test.ts), a readable operation name for counts and fault rules, and
 * the IAM permission the operation needs.
 */

export type GcpOperation =
  | 'serviceAccounts.create'
  | 'serviceAccounts.list'
  | 'serviceAccounts.get'
  | 'serviceAccounts.patch'
  | 'serviceAccounts.delete'
  | 'serviceAccounts.getIamPolicy'
  | 'serviceAccounts.setIamPolicy'
  | 'projects.get'
  | 'projects.getIamPolicy'
  | 'projects.setIamPolicy'
  | 'projects.testIamPermissions'
  | 'denyPolicies.create'
  | 'denyPolicies.list'
  | 'denyPolicies.get'
  | 'denyPolicies.update'
  | 'denyPolicies.delete'
  | 'operations.get'
  | 'services.get'
  | 'services.patch'
  | 'runOperations.get'
  | 'activities.query';

/** The operation name counted for a request that matches no route (answered 404). */
export const UNKNOWN_OPERATION = 'unknown';

/** The API an operation belongs to: it decides the wording of errors. */
export type GcpApi =
  | 'iam.googleapis.com'
  | 'cloudresourcemanager.googleapis.com'
  | 'run.googleapis.com'
  | 'policyanalyzer.googleapis.com';

export interface RouteSpec {
  readonly method: string;
  /** Matched against the path as sent (still percent-encoded); groups are the path parameters. */
  readonly pattern: RegExp;
  readonly operation: GcpOperation;
  readonly api: GcpApi;
  /** What the caller needs; undefined: nothing (testIamPermissions, polling an operation). */
  readonly permission?: string;
}

const SEGMENT = '([^/:]+)';
const SA = `^/v1/projects/${SEGMENT}/serviceAccounts`;
const PROJECT = `^/v3/projects/${SEGMENT}`;
// The attachment point is a URL-encoded resource name inside one path segment: on the wire its `%2F`
// is encoded once more (`%252F`), so the segment holds no `/`.
const DENY = `^/v2/policies/${SEGMENT}/denypolicies`;
const LOCATION = `^/v2/projects/${SEGMENT}/locations/${SEGMENT}`;
const ACTIVITIES = `^/v1/projects/${SEGMENT}/locations/${SEGMENT}/activityTypes/${SEGMENT}/activities:query`;
const IAM = 'iam.googleapis.com';
const POLICY_ANALYZER = 'policyanalyzer.googleapis.com';
const RUN = 'run.googleapis.com';
const CRM = 'cloudresourcemanager.googleapis.com';

const route = (
  method: string,
  pattern: string,
  operation: GcpOperation,
  api: GcpApi,
  permission?: string,
): RouteSpec => ({
  method,
  pattern: new RegExp(`${pattern}$`),
  operation,
  api,
  ...(permission ? { permission } : {}),
});

export const ROUTES: readonly RouteSpec[] = [
  route('POST', SA, 'serviceAccounts.create', IAM, 'iam.serviceAccounts.create'),
  route('GET', SA, 'serviceAccounts.list', IAM, 'iam.serviceAccounts.list'),
  route('GET', `${SA}/${SEGMENT}`, 'serviceAccounts.get', IAM, 'iam.serviceAccounts.get'),
  route('PATCH', `${SA}/${SEGMENT}`, 'serviceAccounts.patch', IAM, 'iam.serviceAccounts.update'),
  route('DELETE', `${SA}/${SEGMENT}`, 'serviceAccounts.delete', IAM, 'iam.serviceAccounts.delete'),
  route(
    'POST',
    `${SA}/${SEGMENT}:getIamPolicy`,
    'serviceAccounts.getIamPolicy',
    IAM,
    'iam.serviceAccounts.getIamPolicy',
  ),
  route(
    'POST',
    `${SA}/${SEGMENT}:setIamPolicy`,
    'serviceAccounts.setIamPolicy',
    IAM,
    'iam.serviceAccounts.setIamPolicy',
  ),
  route('GET', PROJECT, 'projects.get', CRM, 'resourcemanager.projects.get'),
  route(
    'POST',
    `${PROJECT}:getIamPolicy`,
    'projects.getIamPolicy',
    CRM,
    'resourcemanager.projects.getIamPolicy',
  ),
  route(
    'POST',
    `${PROJECT}:setIamPolicy`,
    'projects.setIamPolicy',
    CRM,
    'resourcemanager.projects.setIamPolicy',
  ),
  route('POST', `${PROJECT}:testIamPermissions`, 'projects.testIamPermissions', CRM),
  route('POST', DENY, 'denyPolicies.create', IAM, 'iam.denypolicies.create'),
  route('GET', DENY, 'denyPolicies.list', IAM, 'iam.denypolicies.list'),
  route('GET', `${DENY}/${SEGMENT}`, 'denyPolicies.get', IAM, 'iam.denypolicies.get'),
  route('PUT', `${DENY}/${SEGMENT}`, 'denyPolicies.update', IAM, 'iam.denypolicies.update'),
  route('DELETE', `${DENY}/${SEGMENT}`, 'denyPolicies.delete', IAM, 'iam.denypolicies.delete'),
  route('GET', `${DENY}/${SEGMENT}/operations/${SEGMENT}`, 'operations.get', IAM),
  route('GET', `${LOCATION}/services/${SEGMENT}`, 'services.get', RUN, 'run.services.get'),
  route('PATCH', `${LOCATION}/services/${SEGMENT}`, 'services.patch', RUN, 'run.services.update'),
  route('GET', `${LOCATION}/operations/${SEGMENT}`, 'runOperations.get', RUN, 'run.operations.get'),
  // The permission is serviceAccountLastAuthentication's, the one activity type the fake serves.
  route(
    'GET',
    ACTIVITIES,
    'activities.query',
    POLICY_ANALYZER,
    'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
  ),
];

export interface MatchedRoute {
  readonly route: RouteSpec;
  /** Path parameters, percent-decoded once. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
}

/** Percent-decodes a path parameter; a malformed escape is kept as sent (the handler then finds nothing by it). */
function decodeParam(param: string): string {
  try {
    return decodeURIComponent(param);
  } catch (error) {
    if (error instanceof URIError) return param;
    throw error;
  }
}

export function matchRoute(method: string, url: string): MatchedRoute | undefined {
  const { pathname, searchParams } = new URL(url, 'http://gcp-fake');
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(pathname);
    if (match) {
      return {
        route: candidate,
        params: match.slice(1).map(decodeParam),
        query: searchParams,
      };
    }
  }
  return undefined;
}

/**
 * The operation name of a request (`serviceAccounts.create`, ...; `unknown` when no route matches).
 * Fits the fault proxy's `operationOf`, so a proxy in front of the fake counts and matches the same
 * names: `startFaultProxy({ target: fake.endpoint, operationOf: gcpOperationOf })`.
 */
export function gcpOperationOf(request: { readonly method?: string; readonly url?: string }): string {
  return matchRoute(request.method ?? 'GET', request.url ?? '/')?.route.operation ?? UNKNOWN_OPERATION;
}
