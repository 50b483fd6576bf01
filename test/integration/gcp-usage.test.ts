/**
 * Google Cloud usage review: the provider's `usage.review` against the fake's Policy Analyzer
 * (activities:query through google-auth-library's authorized client, as the provider sends it).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../src/api/index.js';
import { Reason } from '../../src/api/reasons.js';
import { createGcpProvider } from '../../src/providers/gcp/provider.js';
import type { UsageRequest } from '../../src/providers/provider.js';
import { testContext } from '../support/context.js';
import { type GcpFake, startGcpFake } from '../support/gcp-fake/index.js';

const PROJECT = { projectId: 'keyless-usage', projectNumber: '923456789012' };
const EMAIL = `kl-shop-orders@${PROJECT.projectId}.iam.gserviceaccount.com`;

describe('usage review on Google Cloud, against the fake Policy Analyzer', () => {
  let fake: GcpFake;
  const provider = () => {
    const spec = {
      provider: 'gcp',
      endpoint: fake.endpoint,
      credentials: { source: 'Secret', secretRef: { namespace: 'keyless-system', name: 'gcp' } },
      gcp: { ...PROJECT, workloadIdentityPool: `${PROJECT.projectId}.svc.id.goog` },
    } as unknown as CloudAccountSpec;
    const account = { name: 'gcp-usage', spec };
    // The credentials Secret's reading is not under test here: a plain reader hands out a token.
    const secrets = { read: async () => ({ access_token: 'test' }) };
    return { account, usage: createGcpProvider(account, { secrets }).usage };
  };
  const request = (account: UsageRequest['account'], mode?: 'Direct'): UsageRequest => ({
    account,
    externalName: EMAIL,
    principal: { email: EMAIL },
    spec: {
      accountRef: 'gcp-usage',
      subjects: [{ serviceAccount: { name: 'orders' } }],
      ...(mode ? { gcp: { mode } } : {}),
    } as unknown as WorkloadIdentitySpec,
  });

  beforeAll(async () => {
    fake = await startGcpFake({ projects: [PROJECT] });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.state.createServiceAccount(PROJECT.projectId, 'kl-shop-orders');
  });

  it('reads the last authentication and the observation period in one activities.query', async () => {
    const at = Date.parse('2026-11-20T07:00:00Z');
    fake.state.recordAuthentication(EMAIL, at, {
      observedFrom: Date.parse('2026-11-19T07:00:00Z'),
      observedTo: Date.parse('2026-11-21T07:00:00Z'),
    });
    const { account, usage } = provider();
    const report = await usage.review(testContext(), request(account));
    expect(report).toEqual({
      source: 'serviceAccountLastAuthentication',
      lastUsed: new Date(at),
      trackedSince: new Date('2026-11-19T07:00:00Z'),
    });
    expect(fake.counts()).toEqual({ 'activities.query': 1 });
    const sent = decodeURIComponent(fake.requests()[0]?.url.replace(/\+/g, ' ') ?? '');
    expect(sent).toContain(
      `/v1/projects/${PROJECT.projectId}/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query`,
    );
    expect(sent).toContain(
      `filter=activities.full_resource_name="//iam.googleapis.com/projects/${PROJECT.projectId}/serviceAccounts/${EMAIL}"`,
    );
  });

  it('reports a service account that never authenticated as never seen', async () => {
    const other = fake.state.createServiceAccount(PROJECT.projectId, 'kl-shop-other');
    fake.state.recordAuthentication(other.email, Date.parse('2026-11-20T07:00:00Z'));
    const { account, usage } = provider();
    expect(await usage.review(testContext(), request(account))).toEqual({
      source: 'serviceAccountLastAuthentication',
    });
    expect(fake.counts()).toEqual({ 'activities.query': 1 });
  });

  it('is UsageReviewForbidden naming the permission and the role when the operator may not query', async () => {
    fake.denyPermission('policyanalyzer.serviceAccountLastAuthenticationActivities.query');
    const { account, usage } = provider();
    const failure = usage.review(testContext(), request(account));
    await expect(failure).rejects.toMatchObject({ kind: 'terminal', reason: Reason.UsageReviewForbidden });
    await expect(failure).rejects.toThrow(
      /policyanalyzer\.serviceAccountLastAuthenticationActivities\.query.*roles\/policyanalyzer\.activityAnalysisViewer/,
    );
  });

  it('is UsageApiDisabled naming policyanalyzer.googleapis.com when the API is not enabled', async () => {
    fake.disableApi('policyanalyzer.googleapis.com');
    const { account, usage } = provider();
    const failure = usage.review(testContext(), request(account));
    await expect(failure).rejects.toMatchObject({ kind: 'terminal', reason: Reason.UsageApiDisabled });
    await expect(failure).rejects.toThrow(/policyanalyzer\.googleapis\.com/);
  });

  it('says a Direct-mode identity has no per-principal usage, and calls nothing', async () => {
    const { account, usage } = provider();
    const report = await usage.review(testContext(), request(account, 'Direct'));
    expect(report.source).toBe('serviceAccountLastAuthentication');
    expect(report.unavailable).toMatch(/Direct.*Data Access audit logs/);
    expect(report.lastUsed).toBeUndefined();
    expect(fake.counts()).toEqual({});
  });
});
