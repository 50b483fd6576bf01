import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../../../src/providers/aws/errors.js';

const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('classifyAwsError', () => {
  it.each([
    ['Throttling', 400, 'throttled', 'Throttled'],
    ['TooManyRequestsException', 429, 'throttled', 'Throttled'],
    ['NoSuchEntityException', 404, 'retryable', 'NoSuchEntity'],
    ['ServiceFailureException', 500, 'retryable', 'ServiceFailureException'],
    ['DeleteConflictException', 409, 'retryable', 'DeleteConflictException'],
    ['LimitExceededException', 409, 'terminal', 'LimitExceeded'],
    ['MalformedPolicyDocumentException', 400, 'terminal', 'MalformedPolicyDocument'],
    ['EntityAlreadyExistsException', 409, 'terminal', 'EntityAlreadyExists'],
    ['AccessDenied', 403, 'terminal', 'AccessDenied'],
    ['InvalidClientTokenId', 403, 'terminal', 'InvalidCredentials'],
    ['SomethingNew', 400, 'terminal', 'InvalidRequest'],
    ['SomethingBroken', 503, 'retryable', 'CloudUnavailable'],
    ['TimeoutError', undefined, 'retryable', 'CloudUnavailable'],
  ])('%s (HTTP %s) is %s with reason %s', (name, status, kind, reason) => {
    const classified = classifyAwsError(sdkError(name, status), 'CreateRole');
    expect(classified).toMatchObject({ kind, reason });
    expect(classified.message).toContain(`CreateRole: ${name}`);
    expect(classified.cause).toBeInstanceOf(Error);
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
