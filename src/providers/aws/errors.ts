import { Reason } from '../../api/reasons.js';
import { ClassifiedError } from '../../runtime/errors.js';

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'RequestThrottled',
]);
/** Retried with backoff: server faults, and conflicts that clear once the other change is done. */
const RETRYABLE = new Map<string, Reason>([
  ['ServiceFailure', Reason.CloudUnavailable],
  ['ServiceFailureException', Reason.CloudUnavailable],
  ['InternalFailure', Reason.CloudUnavailable],
  ['ServiceUnavailable', Reason.CloudUnavailable],
  ['RequestTimeout', Reason.CloudUnavailable],
  ['RequestTimeoutException', Reason.CloudUnavailable],
  ['ConcurrentModification', Reason.Conflict],
  ['ConcurrentModificationException', Reason.Conflict],
  ['DeleteConflict', Reason.Conflict],
  ['DeleteConflictException', Reason.Conflict],
  // IAM is eventually consistent: right after a create, the role may not be found yet.
  ['NoSuchEntity', Reason.NotFound],
  ['NoSuchEntityException', Reason.NotFound],
  // Created by an earlier attempt whose answer was lost, or by someone else: the retry observes it.
  ['EntityAlreadyExists', Reason.AlreadyExists],
  ['EntityAlreadyExistsException', Reason.AlreadyExists],
  // Lambda: another update of the same function is still in progress.
  ['ResourceConflictException', Reason.Conflict],
  // EKS: the ServiceAccount has an association already (an earlier attempt whose answer was lost,
  // or someone else's): the retry observes whose it is.
  ['ResourceInUseException', Reason.AlreadyExists],
]);
/**
 * Lambda checks that it can assume a function's new execution role; for a role just created or
 * just given its trust, IAM may not have propagated it yet, and Lambda answers this until it has.
 */
const ROLE_NOT_ASSUMABLE = /role defined for the function cannot be assumed by Lambda/i;
const CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'CredentialsProviderError',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const TERMINAL = new Map<string, Reason>([
  ['LimitExceeded', Reason.LimitExceeded],
  ['LimitExceededException', Reason.LimitExceeded],
  ['MalformedPolicyDocument', Reason.InvalidRequest],
  ['MalformedPolicyDocumentException', Reason.InvalidRequest],
  ['InvalidInput', Reason.InvalidRequest],
  ['InvalidInputException', Reason.InvalidRequest],
  ['ValidationError', Reason.InvalidRequest],
]);

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function errorName(err: unknown): string {
  return (err as SdkError)?.name ?? '';
}

export function isNoSuchEntity(err: unknown): boolean {
  return errorName(err) === 'NoSuchEntity' || errorName(err) === 'NoSuchEntityException';
}

/** IAM refused to delete an entity for what is still attached to it (a role's policies, its instance profile). */
export function isDeleteConflict(err: unknown): boolean {
  const cause = err instanceof ClassifiedError ? err.cause : err;
  return errorName(cause) === 'DeleteConflict' || errorName(cause) === 'DeleteConflictException';
}

/** The REST services' answer (Lambda, EKS) for a thing that does not exist. */
export function isResourceNotFound(err: unknown): boolean {
  return errorName(err) === 'ResourceNotFoundException';
}

/**
 * The one place AWS SDK errors are classified. `operation` names the IAM/STS call for the message;
 * NoSuchEntity is retryable (IAM is eventually consistent right after a create): callers that
 * expect it (observe, delete) handle it before it gets here. The SDK's error name stays in the message.
 */
export function classifyAwsError(err: unknown, operation: string): ClassifiedError {
  if (err instanceof ClassifiedError) return err;
  const sdk = err as SdkError;
  const name = sdk?.name ?? 'Error';
  const status = sdk?.$metadata?.httpStatusCode;
  const message = `${operation}: ${name}: ${sdk?.message ?? String(err)}`;
  // AWS sends no Retry-After: the account's limiter slows down on its own (AdaptiveBucket).
  if (THROTTLED.has(name) || sdk?.$retryable?.throttling || status === 429) {
    return new ClassifiedError(message, { kind: 'throttled', reason: Reason.Throttled, cause: err });
  }
  if (name === 'InvalidParameterValueException' && ROLE_NOT_ASSUMABLE.test(sdk?.message ?? '')) {
    return new ClassifiedError(`${message} (IAM has not propagated the role yet)`, {
      kind: 'retryable',
      reason: Reason.RolePropagating,
      cause: err,
    });
  }
  const retryable = RETRYABLE.get(name);
  if (retryable) return new ClassifiedError(message, { kind: 'retryable', reason: retryable, cause: err });
  if (ACCESS_DENIED.has(name)) {
    return new ClassifiedError(
      `${message} (the operator's credentials lack the permission for ${operation})`,
      {
        kind: 'terminal',
        reason: Reason.AccessDenied,
        cause: err,
      },
    );
  }
  if (CREDENTIALS.has(name)) {
    return new ClassifiedError(message, { kind: 'terminal', reason: Reason.InvalidCredentials, cause: err });
  }
  const terminal = TERMINAL.get(name);
  if (terminal) return new ClassifiedError(message, { kind: 'terminal', reason: terminal, cause: err });
  if (status !== undefined && status >= 400 && status < 500) {
    return new ClassifiedError(message, { kind: 'terminal', reason: Reason.InvalidRequest, cause: err });
  }
  // 5xx, timeouts, resets, DNS: worth another try.
  return new ClassifiedError(message, { kind: 'retryable', reason: Reason.CloudUnavailable, cause: err });
}

/** What the usage review needs beyond the operator's other reads, named when AWS refuses it. */
export const USAGE_PERMISSIONS = {
  GetRole: 'iam:GetRole',
  GenerateServiceLastAccessedDetails: 'iam:GenerateServiceLastAccessedDetails',
  GetServiceLastAccessedDetails: 'iam:GetServiceLastAccessedDetails',
} as const;

/**
 * The usage review's calls: classified as every AWS call is, except that a refusal is
 * UsageReviewForbidden naming the API and every permission the review needs, so the account's
 * condition says what to grant. Not terminal for the identity: a review failure never blocks it.
 */
export function classifyUsageError(err: unknown, operation: string): ClassifiedError {
  const classified = classifyAwsError(err, operation);
  if (classified.reason !== Reason.AccessDenied) return classified;
  const permission = USAGE_PERMISSIONS[operation as keyof typeof USAGE_PERMISSIONS] ?? operation;
  return new ClassifiedError(
    `${operation}: AWS refused the usage review's read (${permission}); the operator needs ` +
      `${Object.values(USAGE_PERMISSIONS).join(', ')} on the identities' roles: ${asMessage(err)}`,
    { kind: 'terminal', reason: Reason.UsageReviewForbidden, cause: err },
  );
}

function asMessage(err: unknown): string {
  const sdk = err as SdkError;
  return `${sdk?.name ?? 'Error'}: ${sdk?.message ?? String(err)}`;
}
