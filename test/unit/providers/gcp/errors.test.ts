import { describe, expect, it } from 'vitest';
import { classifyGcpError, httpStatusOf, statusNameOf } from '../../../../src/providers/gcp/errors.js';
import { catalogueEntryOf } from '../../../support/reasons.js';

/** As googleapis (IAM v1) reports an error: parsed body, numeric code. */
const iamError = (status: number, name: string, message: string, retryAfter?: string) =>
  Object.assign(new Error(message), {
    code: status,
    status,
    response: {
      status,
      data: { error: { code: status, message, status: name } },
      headers: { get: (h: string) => (h === 'retry-after' ? (retryAfter ?? null) : null) },
    },
  });

/** As the gax REST clients report one: the raw JSON body as the message. */
const gaxError = (status: number, name: string, message: string) =>
  Object.assign(new Error(JSON.stringify({ error: { code: status, message, status: name } })), {
    code: status,
    status,
  });

describe('classifyGcpError', () => {
  it.each([
    ['IAM v1', iamError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), 'throttled', 'Throttled'],
    ['IAM v1', iamError(409, 'ABORTED', 'There were concurrent policy changes.'), 'retryable', 'Conflict'],
    ['gax', gaxError(409, 'ABORTED', 'There were concurrent policy changes.'), 'retryable', 'Conflict'],
    [
      'IAM v1',
      iamError(409, 'ALREADY_EXISTS', 'Service account x already exists.'),
      'retryable',
      'AlreadyExists',
    ],
    ['gax', gaxError(409, 'ALREADY_EXISTS', 'Deny policy exists.'), 'retryable', 'AlreadyExists'],
    ['IAM v1', iamError(404, 'NOT_FOUND', 'Unknown service account'), 'retryable', 'NotFound'],
    [
      'gax',
      gaxError(403, 'PERMISSION_DENIED', "Permission 'resourcemanager.projects.setIamPolicy' denied"),
      'terminal',
      'AccessDenied',
    ],
    [
      'IAM v1',
      iamError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      'terminal',
      'InvalidCredentials',
    ],
    [
      'gax',
      gaxError(400, 'INVALID_ARGUMENT', 'display_name is longer than 63 characters.'),
      'terminal',
      'InvalidRequest',
    ],
    [
      'gax',
      gaxError(400, 'FAILED_PRECONDITION', 'Policy version 1 cannot carry conditions.'),
      'terminal',
      'InvalidRequest',
    ],
    ['IAM v1', iamError(412, 'FAILED_PRECONDITION', 'Precondition failed.'), 'terminal', 'InvalidRequest'],
    [
      'IAM v1',
      iamError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
      'retryable',
      'CloudUnavailable',
    ],
    ['IAM v1', iamError(500, 'INTERNAL', 'Internal error.'), 'retryable', 'CloudUnavailable'],
    ['a network error', new Error('socket hang up'), 'retryable', 'CloudUnavailable'],
    ['a gRPC code', Object.assign(new Error('aborted'), { code: 10 }), 'retryable', 'Conflict'],
    ['a gRPC code', Object.assign(new Error('deadline'), { code: 4 }), 'retryable', 'CloudUnavailable'],
    ['a gRPC code', Object.assign(new Error('exhausted'), { code: 8 }), 'throttled', 'Throttled'],
    ['a gRPC code', Object.assign(new Error('denied'), { code: 7 }), 'terminal', 'AccessDenied'],
    [
      'a gRPC code',
      Object.assign(new Error('unauthenticated'), { code: 16 }),
      'terminal',
      'InvalidCredentials',
    ],
    ['a gRPC code', Object.assign(new Error('invalid'), { code: 3 }), 'terminal', 'InvalidRequest'],
    ['a gRPC code', Object.assign(new Error('precondition'), { code: 9 }), 'terminal', 'InvalidRequest'],
    ['a gRPC code', Object.assign(new Error('not found'), { code: 5 }), 'retryable', 'NotFound'],
    ['a gRPC code', Object.assign(new Error('internal'), { code: 13 }), 'retryable', 'CloudUnavailable'],
    ['a gRPC code', Object.assign(new Error('unavailable'), { code: 14 }), 'retryable', 'CloudUnavailable'],
  ])('%s: %s is %s with reason %s, as the reasons catalogue says', (_client, err, kind, reason) => {
    const classified = classifyGcpError(err, 'op');
    expect(classified).toMatchObject({ kind, reason });
    expect(catalogueEntryOf(classified)).toEqual({ catalogued: true, outcomeFitsKind: true });
  });

  it('keeps Google’s own message, not the raw JSON, and names the missing permission', () => {
    const classified = classifyGcpError(
      gaxError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.denypolicies.create' denied on resource (or it may not exist).",
      ),
      'denyPolicies.create',
    );
    expect(classified.message).toBe(
      "denyPolicies.create: Permission 'iam.denypolicies.create' denied on resource (or it may not exist).",
    );
  });

  it('honours Retry-After on 429, and claims none when Google sends none', () => {
    expect(classifyGcpError(iamError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', '7'), 'op')).toMatchObject({
      kind: 'throttled',
      retryAfterMs: 7000,
    });
    expect(classifyGcpError(iamError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), 'op')).toMatchObject({
      kind: 'throttled',
      retryAfterMs: undefined,
    });
  });

  it('reads statuses and names in both forms', () => {
    expect(httpStatusOf({ code: 5 })).toBe(404);
    expect(httpStatusOf({ response: { status: 429 } })).toBe(429);
    expect(statusNameOf(gaxError(409, 'ALREADY_EXISTS', 'x'))).toBe('ALREADY_EXISTS');
    expect(statusNameOf(new Error('plain ABORTED text'))).toBe('ABORTED');
  });
});
