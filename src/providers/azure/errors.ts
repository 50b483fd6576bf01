import { Reason } from '../../api/reasons.js';
import { ClassifiedError } from '../../runtime/errors.js';

const RETRYABLE = new Map<string, Reason>([
  // Replication: a new identity's principal is not in the directory yet.
  ['PrincipalNotFound', Reason.NotFound],
  // Azure refuses two credential writes on one identity at once.
  ['ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity', Reason.Conflict],
  ['Conflict', Reason.Conflict],
  ['AnotherOperationInProgress', Reason.Conflict],
]);
const TERMINAL = new Map<string, Reason>([
  ['AuthorizationFailed', Reason.AccessDenied],
  ['LinkedAuthorizationFailed', Reason.AccessDenied],
  ['RoleAssignmentLimitExceeded', Reason.LimitExceeded],
  ['RoleAssignmentUpdateNotPermitted', Reason.RoleAssignmentUpdateNotPermitted],
  ['ResourceGroupNotFound', Reason.ResourceGroupNotFound],
  ['SubscriptionNotFound', Reason.SubscriptionNotFound],
  ['InvalidAuthenticationToken', Reason.InvalidCredentials],
  ['InvalidAuthenticationTokenTenant', Reason.InvalidCredentials],
  ['RoleDefinitionDoesNotExist', Reason.RoleNotFound],
]);

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

/** The one place Azure SDK errors (RestError) are classified. `operation` names the call; Azure's code stays in the message. */
export function classifyAzureError(err: unknown, operation: string): ClassifiedError {
  if (err instanceof ClassifiedError) return err;
  const status = statusOf(err);
  const code = codeOf(err) ?? '';
  const message = `${operation}: ${code ? `${code}: ` : ''}${(err as RestErrorLike)?.message ?? String(err)}`;
  const make = (kind: ClassifiedError['kind'], reason: Reason, extra: { retryAfterMs?: number } = {}) =>
    new ClassifiedError(message, { kind, reason, cause: err, ...extra });
  if (status === 429) return make('throttled', Reason.Throttled, retryAfter(err));
  const retryable = RETRYABLE.get(code);
  if (retryable) return make('retryable', retryable);
  const terminal = TERMINAL.get(code);
  if (terminal) return make('terminal', terminal);
  if (status === 401) return make('terminal', Reason.InvalidCredentials);
  if (status === 403) return make('terminal', Reason.AccessDenied);
  if (status === 404) return make('retryable', Reason.NotFound);
  if (status === 409) return make('retryable', Reason.Conflict);
  if (status !== undefined && status >= 400 && status < 500) return make('terminal', Reason.InvalidRequest);
  return make('retryable', Reason.CloudUnavailable);
}

/** A Microsoft Graph error answer: `{"error": {"code", "message", "innerError"}}` with its HTTP status. */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Graph's answer when the tenant has no Microsoft Entra ID P1/P2 licence (or is a B2C tenant). */
export function isNonPremiumTenant(err: unknown): boolean {
  return err instanceof GraphError && err.code === 'Authentication_RequestFromNonPremiumTenantOrB2CTenant';
}

/** The one place Microsoft Graph errors are classified; a 403 names the permission the usage review needs. */
export function classifyGraphError(err: unknown, operation: string): ClassifiedError {
  if (err instanceof ClassifiedError) return err;
  const graph = err instanceof GraphError ? err : undefined;
  const message = `${operation}: ${graph ? `${graph.code}: ${graph.message}` : String((err as Error)?.message ?? err)}`;
  const make = (kind: ClassifiedError['kind'], reason: Reason, extra: { retryAfterMs?: number } = {}) =>
    new ClassifiedError(message, { kind, reason, cause: err, ...extra });
  const status = graph?.statusCode;
  if (status === 429) {
    const seconds = graph?.retryAfterSeconds;
    return make(
      'throttled',
      Reason.Throttled,
      seconds && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {},
    );
  }
  if (status === 403) {
    return new ClassifiedError(
      `${message} (reading sign-in activity needs the Microsoft Graph application permission AuditLog.Read.All, with admin consent)`,
      { kind: 'terminal', reason: Reason.UsageReviewForbidden, cause: err },
    );
  }
  if (status === 401) return make('terminal', Reason.InvalidCredentials);
  if (status !== undefined && status >= 400 && status < 500) return make('terminal', Reason.InvalidRequest);
  return make('retryable', Reason.CloudUnavailable);
}
