import { describe, expect, it } from 'vitest';
import { classifyAwsError, isDeleteConflict } from '../../../../src/providers/aws/errors.js';
import { catalogueEntryOf } from '../../../support/reasons.js';

const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('classifyAwsError', () => {
  it.each([
    ['Throttling', 400, 'throttled', 'Throttled'],
    ['ThrottlingException', 400, 'throttled', 'Throttled'],
    ['RequestLimitExceeded', 503, 'throttled', 'Throttled'],
    ['TooManyRequestsException', 429, 'throttled', 'Throttled'],
    ['SlowDown', 503, 'throttled', 'Throttled'],
    ['RequestThrottled', 400, 'throttled', 'Throttled'],
    ['SomethingNew', 429, 'throttled', 'Throttled'],
    ['ServiceFailure', 500, 'retryable', 'CloudUnavailable'],
    ['ServiceFailureException', 500, 'retryable', 'CloudUnavailable'],
    ['InternalFailure', 500, 'retryable', 'CloudUnavailable'],
    ['ServiceUnavailable', 503, 'retryable', 'CloudUnavailable'],
    ['RequestTimeout', 408, 'retryable', 'CloudUnavailable'],
    ['RequestTimeoutException', 408, 'retryable', 'CloudUnavailable'],
    ['ConcurrentModification', 409, 'retryable', 'Conflict'],
    ['ConcurrentModificationException', 409, 'retryable', 'Conflict'],
    ['DeleteConflict', 409, 'retryable', 'Conflict'],
    ['DeleteConflictException', 409, 'retryable', 'Conflict'],
    ['NoSuchEntity', 404, 'retryable', 'NotFound'],
    ['NoSuchEntityException', 404, 'retryable', 'NotFound'],
    ['EntityAlreadyExists', 409, 'retryable', 'AlreadyExists'],
    ['EntityAlreadyExistsException', 409, 'retryable', 'AlreadyExists'],
    ['AccessDenied', 403, 'terminal', 'AccessDenied'],
    ['AccessDeniedException', 403, 'terminal', 'AccessDenied'],
    ['UnauthorizedOperation', 403, 'terminal', 'AccessDenied'],
    ['InvalidClientTokenId', 403, 'terminal', 'InvalidCredentials'],
    ['SignatureDoesNotMatch', 403, 'terminal', 'InvalidCredentials'],
    ['ExpiredToken', 400, 'terminal', 'InvalidCredentials'],
    ['ExpiredTokenException', 400, 'terminal', 'InvalidCredentials'],
    ['UnrecognizedClientException', 400, 'terminal', 'InvalidCredentials'],
    ['CredentialsProviderError', undefined, 'terminal', 'InvalidCredentials'],
    ['LimitExceeded', 409, 'terminal', 'LimitExceeded'],
    ['LimitExceededException', 409, 'terminal', 'LimitExceeded'],
    ['MalformedPolicyDocument', 400, 'terminal', 'InvalidRequest'],
    ['MalformedPolicyDocumentException', 400, 'terminal', 'InvalidRequest'],
    ['InvalidInput', 400, 'terminal', 'InvalidRequest'],
    ['InvalidInputException', 400, 'terminal', 'InvalidRequest'],
    ['ValidationError', 400, 'terminal', 'InvalidRequest'],
    ['SomethingNew', 400, 'terminal', 'InvalidRequest'],
    ['constructor', 400, 'terminal', 'InvalidRequest'],
    ['SomethingBroken', 503, 'retryable', 'CloudUnavailable'],
    ['TimeoutError', undefined, 'retryable', 'CloudUnavailable'],
  ])('%s (HTTP %s) is %s with reason %s, as the reasons catalogue says', (name, status, kind, reason) => {
    const classified = classifyAwsError(sdkError(name, status), 'CreateRole');
    expect(classified).toMatchObject({ kind, reason });
    expect(catalogueEntryOf(classified)).toEqual({ catalogued: true, outcomeFitsKind: true });
    expect(classified.message).toContain(`CreateRole: ${name}`);
    expect(classified.cause).toBeInstanceOf(Error);
  });

  it('classifies what is not an SDK error as the cloud being unavailable', () => {
    expect(classifyAwsError('socket hang up', 'GetRole')).toMatchObject({
      kind: 'retryable',
      reason: 'CloudUnavailable',
    });
    expect(classifyAwsError(undefined, 'GetRole').reason).toBe('CloudUnavailable');
  });

  it('gives throttled errors no retry-after (AWS sends none) and says which permission access denial concerns', () => {
    expect(classifyAwsError(sdkError('Throttling', 400), 'GetRole')).toMatchObject({
      kind: 'throttled',
      retryAfterMs: undefined,
    });
    expect(classifyAwsError(sdkError('AccessDenied', 403), 'PutRolePolicy').message).toContain(
      "the operator's credentials lack the permission for PutRolePolicy",
    );
  });
});

describe('isDeleteConflict', () => {
  it('tells IAM refusing a delete for what is still attached from other conflicts, classified or not', () => {
    for (const name of ['DeleteConflict', 'DeleteConflictException']) {
      expect(isDeleteConflict(sdkError(name, 409))).toBe(true);
      expect(isDeleteConflict(classifyAwsError(sdkError(name, 409), 'DeleteRole'))).toBe(true);
    }
    expect(isDeleteConflict(classifyAwsError(sdkError('ConcurrentModification', 409), 'DeleteRole'))).toBe(
      false,
    );
    expect(isDeleteConflict(classifyAwsError(sdkError('AccessDenied', 403), 'DeleteRole'))).toBe(false);
  });
});
