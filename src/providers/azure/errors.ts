import { CloudError } from '../cloud-error.js';

const RETRYABLE_CODES = new Set([
  // Replication: a new identity's principal is not in the directory yet.
  'PrincipalNotFound',
  // Azure refuses two credential writes on one identity at once.
  'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
  'Conflict',
  'AnotherOperationInProgress',
]);
const TERMINAL_REASONS: Record<string, string> = {
  AuthorizationFailed: 'AuthorizationFailed',
  LinkedAuthorizationFailed: 'AuthorizationFailed',
  RoleAssignmentLimitExceeded: 'RoleAssignmentLimitExceeded',
  RoleAssignmentUpdateNotPermitted: 'RoleAssignmentUpdateNotPermitted',
  ResourceGroupNotFound: 'ResourceGroupNotFound',
  SubscriptionNotFound: 'SubscriptionNotFound',
  InvalidAuthenticationToken: 'InvalidCredentials',
  InvalidAuthenticationTokenTenant: 'InvalidCredentials',
  RoleDefinitionDoesNotExist: 'RoleNotFound',
};

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get?(name: string): string | undefined | null } };
}

export function codeOf(err: unknown): string | undefined {
  return (err as RestErrorLike)?.code;
}

export function statusOf(err: unknown): number | undefined {
  return (err as RestErrorLike)?.statusCode;
}

export function isNotFound(err: unknown): boolean {
  return (
    statusOf(err) === 404 && codeOf(err) !== 'ResourceGroupNotFound' && codeOf(err) !== 'SubscriptionNotFound'
  );
}

/** The server's Retry-After, if it sent one: the account's limiter pauses for it. */
function retryAfter(err: unknown): { retryAfterMs?: number } {
  const raw = (err as RestErrorLike)?.response?.headers?.get?.('retry-after');
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {};
}

/** The one place Azure SDK errors (RestError) are classified. `operation` names the call. */
export function classifyAzureError(err: unknown, operation: string): CloudError {
  if (err instanceof CloudError) return err;
  const status = statusOf(err);
  const code = codeOf(err) ?? '';
  const message = `${operation}: ${code ? `${code}: ` : ''}${(err as RestErrorLike)?.message ?? String(err)}`;
  const make = (kind: CloudError['kind'], reason: string, extra: { retryAfterMs?: number } = {}) =>
    new CloudError(message, { kind, reason, cause: err, ...extra });
  if (status === 429) return make('throttled', 'Throttled', retryAfter(err));
  if (RETRYABLE_CODES.has(code)) return make('retryable', code);
  if (TERMINAL_REASONS[code]) return make('terminal', TERMINAL_REASONS[code]);
  if (status === 401) return make('terminal', 'InvalidCredentials');
  if (status === 403) return make('terminal', 'AuthorizationFailed');
  if (status === 404) return make('retryable', 'NotFound');
  if (status === 409) return make('retryable', code || 'Conflict');
  if (status !== undefined && status >= 400 && status < 500)
    return make('terminal', code || 'InvalidRequest');
  return make('retryable', 'CloudUnavailable');
}
