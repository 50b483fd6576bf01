/**
 * The Google Cloud fake's Policy Analyzer activities:query, through google-auth-library's authorized
 * client (as the provider sends it): paging, the filter, and the 403s as Google words them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GcpFake, startGcpFake, staticTokenClient } from '../support/gcp-fake/index.js';

const PROJECT = { projectId: 'keyless-pa', projectNumber: '723456789012' };
const PATH = `/v1/projects/${PROJECT.projectId}/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query`;

describe('Policy Analyzer on the Google Cloud fake', () => {
  let fake: GcpFake;
  const client = staticTokenClient();
  const query = (params: Record<string, string | number>) =>
    client.request<{
      activities?: { fullResourceName: string; activity: { lastAuthenticatedTime: string } }[];
      nextPageToken?: string;
    }>({
      url: `${fake.endpoint}${PATH}`,
      params,
      retry: false,
    });

  beforeAll(async () => {
    fake = await startGcpFake({ projects: [PROJECT] });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('answers the filtered account only, pages the rest, and {} for none', async () => {
    const emails = ['alpha1', 'bravo2', 'charl3'].map(
      (id) => fake.state.createServiceAccount(PROJECT.projectId, `sa-${id}`).email,
    );
    for (const [i, email] of emails.entries())
      fake.state.recordAuthentication(email, Date.UTC(2026, 10, i + 1));
    const name = `//iam.googleapis.com/projects/${PROJECT.projectId}/serviceAccounts/${emails[1]}`;
    const one = await query({ filter: `activities.fullResourceName = "${name}"` });
    expect(one.data.activities?.map((a) => a.fullResourceName)).toEqual([name]);
    expect(one.data.activities?.[0]?.activity.lastAuthenticatedTime).toBe('2026-11-02T00:00:00.000Z');
    const first = await query({ pageSize: 2 });
    expect(first.data.activities).toHaveLength(2);
    const second = await query({ pageSize: 2, pageToken: first.data.nextPageToken ?? '' });
    expect(second.data.activities).toHaveLength(1);
    expect(second.data.nextPageToken).toBeUndefined();
    fake.reset();
    expect((await query({})).data).toEqual({});
  });

  it('refuses a denied permission and a disabled API with 403s Google words', async () => {
    fake.denyPermission('policyanalyzer.serviceAccountLastAuthenticationActivities.query');
    await expect(query({})).rejects.toMatchObject({
      status: 403,
      response: {
        data: { error: { status: 'PERMISSION_DENIED', details: [{ reason: 'IAM_PERMISSION_DENIED' }] } },
      },
    });
    fake.clearFaults();
    fake.disableApi('policyanalyzer.googleapis.com');
    await expect(query({})).rejects.toMatchObject({
      status: 403,
      response: {
        data: {
          error: {
            status: 'PERMISSION_DENIED',
            message: expect.stringMatching(/^Policy Analyzer API has not been used in project 723456789012/),
            details: expect.arrayContaining([
              expect.objectContaining({
                reason: 'SERVICE_DISABLED',
                metadata: expect.objectContaining({ service: 'policyanalyzer.googleapis.com' }),
              }),
            ]),
          },
        },
      },
    });
    expect(fake.internalErrors()).toEqual([]);
  });
});
