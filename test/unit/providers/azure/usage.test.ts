import { describe, expect, it } from 'vitest';
import { Reason } from '../../../../src/api/reasons.js';
import { classifyGraphError, GraphError } from '../../../../src/providers/azure/errors.js';
import { graphRootFor } from '../../../../src/providers/azure/graph.js';
import { usageFromSignIns } from '../../../../src/providers/azure/usage.js';

const APP = '5f0c3a52-7d1e-4c55-9a0b-2d4e6f8a1b3c';

describe('Azure usage mapping', () => {
  it.each([
    { case: 'no activity: never seen', activities: [], want: {} },
    {
      case: 'a null sign-in',
      activities: [{ appId: APP, lastSignInActivity: { lastSignInDateTime: null } }],
      want: {},
    },
    {
      case: 'the last sign-in',
      activities: [
        { appId: APP.toUpperCase(), lastSignInActivity: { lastSignInDateTime: '2026-02-01T07:00:00Z' } },
      ],
      want: { lastUsed: new Date('2026-02-01T07:00:00Z') },
    },
    {
      case: "another principal's is not this one's",
      activities: [{ appId: 'other', lastSignInActivity: { lastSignInDateTime: '2026-02-01T07:00:00Z' } }],
      want: {},
    },
  ])('$case', ({ activities, want }) => {
    expect(usageFromSignIns(activities, APP)).toEqual({
      source: 'servicePrincipalSignInActivities',
      ...want,
    });
  });

  it.each([
    { endpoint: undefined, root: 'https://graph.microsoft.com' },
    { endpoint: 'https://management.azure.com', root: 'https://graph.microsoft.com' },
    { endpoint: 'https://127.0.0.1:8443', root: 'https://127.0.0.1:8443' },
    // National clouds: Graph's sign-in activity report is the global service's only.
    { endpoint: 'https://management.usgovcloudapi.net', root: undefined },
    { endpoint: 'https://management.chinacloudapi.cn', root: undefined },
  ])('finds Graph for ARM endpoint $endpoint', ({ endpoint, root }) => {
    expect(graphRootFor(endpoint)).toBe(root);
  });

  it.each([
    {
      status: 403,
      code: 'Authorization_RequestDenied',
      reason: Reason.UsageReviewForbidden,
      kind: 'terminal',
    },
    { status: 401, code: 'InvalidAuthenticationToken', reason: Reason.InvalidCredentials, kind: 'terminal' },
    { status: 429, code: 'TooManyRequests', reason: Reason.Throttled, kind: 'throttled' },
    { status: 503, code: 'ServiceUnavailable', reason: Reason.CloudUnavailable, kind: 'retryable' },
  ])('classifies Graph $status $code', ({ status, code, reason, kind }) => {
    expect(classifyGraphError(new GraphError(status, code, 'm'), 'op')).toMatchObject({ reason, kind });
  });
});
