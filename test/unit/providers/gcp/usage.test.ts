import { describe, expect, it } from 'vitest';
import { Reason } from '../../../../src/api/reasons.js';
import { classifyGcpError } from '../../../../src/providers/gcp/errors.js';
import {
  lastAuthenticationFilter,
  serviceAccountFullName,
  usageFromActivities,
} from '../../../../src/providers/gcp/usage.js';

const NAME = serviceAccountFullName('p-1234', 'sa@p-1234.iam.gserviceaccount.com');

describe('Google Cloud usage mapping', () => {
  it('names the service account as Policy Analyzer does, in its filter', () => {
    expect(NAME).toBe(
      '//iam.googleapis.com/projects/p-1234/serviceAccounts/sa@p-1234.iam.gserviceaccount.com',
    );
    expect(lastAuthenticationFilter(NAME)).toBe(`activities.full_resource_name="${NAME}"`);
  });

  it.each([
    { case: 'no activity: never seen', activities: [], want: {} },
    {
      case: 'one activity',
      activities: [
        {
          fullResourceName: NAME,
          observationPeriod: { startTime: '2026-01-01T00:00:00Z' },
          activity: { lastAuthenticatedTime: '2026-02-01T07:00:00Z' },
        },
      ],
      want: { lastUsed: new Date('2026-02-01T07:00:00Z'), trackedSince: new Date('2026-01-01T00:00:00Z') },
    },
    {
      case: 'the latest use and the earliest start of two',
      activities: [
        {
          observationPeriod: { startTime: '2026-01-05T00:00:00Z' },
          activity: { lastAuthenticatedTime: '2026-02-03T00:00:00Z' },
        },
        {
          observationPeriod: { startTime: '2026-01-01T00:00:00Z' },
          activity: { lastAuthenticatedTime: '2026-02-01T00:00:00Z' },
        },
      ],
      want: { lastUsed: new Date('2026-02-03T00:00:00Z'), trackedSince: new Date('2026-01-01T00:00:00Z') },
    },
    {
      case: "another account's activity is not this one's",
      activities: [
        { fullResourceName: `${NAME}x`, activity: { lastAuthenticatedTime: '2026-02-01T00:00:00Z' } },
      ],
      want: {},
    },
  ])('$case', ({ activities, want }) => {
    expect(usageFromActivities(activities, NAME)).toEqual({
      source: 'serviceAccountLastAuthentication',
      ...want,
    });
  });

  it('refuses a time that is not one, retryably, naming the field', () => {
    expect(() => usageFromActivities([{ activity: { lastAuthenticatedTime: 'yesterday' } }], NAME)).toThrow(
      /activity\.lastAuthenticatedTime "yesterday"/,
    );
  });
});

describe('classifying refused usage calls', () => {
  const refused = (details: unknown[]) => ({
    response: {
      status: 403,
      data: { error: { code: 403, message: 'no', status: 'PERMISSION_DENIED', details } },
    },
  });
  it.each([
    {
      case: 'API not enabled',
      err: refused([{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED' }]),
      reason: Reason.UsageApiDisabled,
      names: /policyanalyzer\.googleapis\.com/,
    },
    {
      case: 'permission missing',
      err: refused([
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED' },
      ]),
      reason: Reason.UsageReviewForbidden,
      names: /serviceAccountLastAuthenticationActivities\.query/,
    },
  ])('$case', ({ err, reason, names }) => {
    const classified = classifyGcpError(err, 'activities.query');
    expect(classified).toMatchObject({ kind: 'terminal', reason });
    expect(classified.message).toMatch(names);
  });

  it('leaves a 403 of any other call AccessDenied', () => {
    expect(classifyGcpError(refused([]), 'serviceAccounts.get').reason).toBe(Reason.AccessDenied);
  });
});
