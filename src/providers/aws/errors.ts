import { CloudError } from '../cloud-error.js';

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'RequestThrottled',
]);
const RETRYABLE = new Set([
  'ServiceFailure',
  'ServiceFailureException',
  'InternalFailure',
  'ServiceUnavailable',
  'ConcurrentModification',
  'ConcurrentModificationException',
  'DeleteConflict',
  'DeleteConflictException',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'CredentialsProviderError',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const REASONS: Record<string, string> = {
  LimitExceeded: 'LimitExceeded',
  LimitExceededException: 'LimitExceeded',
  MalformedPolicyDocument: 'MalformedPolicyDocument',
  MalformedPolicyDocumentException: 'MalformedPolicyDocument',
  InvalidInput: 'InvalidInput',
  InvalidInputException: 'InvalidInput',
  ValidationError: 'InvalidInput',
  NoSuchEntity: 'NoSuchEntity',
  NoSuchEntityException: 'NoSuchEntity',
  EntityAlreadyExists: 'EntityAlreadyExists',
  EntityAlreadyExistsException: 'EntityAlreadyExists',
};

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

export function isAlreadyExists(err: unknown): boolean {
  return errorName(err) === 'EntityAlreadyExists' || errorName(err) === 'EntityAlreadyExistsException';
}

/**
 * The one place AWS SDK errors are classified. `operation` names the IAM/STS call for the message;
 * NoSuchEntity is retryable (IAM is eventually consistent right after a create): callers that
 * expect it (observe, delete) handle it before it gets here.
 */
export function classifyAwsError(err: unknown, operation: string): CloudError {
  if (err instanceof CloudError) return err;
  const sdk = err as SdkError;
  const name = sdk?.name ?? 'Error';
  const status = sdk?.$metadata?.httpStatusCode;
  const message = `${operation}: ${name}: ${sdk?.message ?? String(err)}`;
  // AWS sends no Retry-After: the account's limiter slows down on its own (AdaptiveBucket).
  if (THROTTLED.has(name) || sdk?.$retryable?.throttling || status === 429) {
    return new CloudError(message, { kind: 'throttled', reason: 'Throttled', cause: err });
  }
  if (isNoSuchEntity(err) || RETRYABLE.has(name)) {
    return new CloudError(message, { kind: 'retryable', reason: REASONS[name] ?? name, cause: err });
  }
  if (ACCESS_DENIED.has(name)) {
    return new CloudError(`${message} (the operator's credentials lack the permission for ${operation})`, {
      kind: 'terminal',
      reason: 'AccessDenied',
      cause: err,
    });
  }
  if (CREDENTIALS.has(name)) {
    return new CloudError(message, { kind: 'terminal', reason: 'InvalidCredentials', cause: err });
  }
  if (REASONS[name]) return new CloudError(message, { kind: 'terminal', reason: REASONS[name], cause: err });
  if (status !== undefined && status >= 400 && status < 500) {
    return new CloudError(message, { kind: 'terminal', reason: 'InvalidRequest', cause: err });
  }
  // 5xx, timeouts, resets, DNS: worth another try.
  return new CloudError(message, { kind: 'retryable', reason: 'CloudUnavailable', cause: err });
}
