/**
 * Azure usage review: the provider's `usage.review` against the fake's Microsoft Graph
 * (servicePrincipalSignInActivities over HTTPS with the fake's throwaway CA, the token from the
 * provider's credential).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../src/api/index.js';
import { Reason } from '../../src/api/reasons.js';
import { createAzureProvider } from '../../src/providers/azure/provider.js';
import type { UsageRequest } from '../../src/providers/provider.js';
import { type AzureFake, DEFAULT_SUBSCRIPTION, startAzureFake } from '../support/azure-fake/index.js';
import { testContext } from '../support/context.js';

const CLIENT_ID = '5f0c3a52-7d1e-4c55-9a0b-2d4e6f8a1b3c';

describe('usage review on Azure, against the fake Microsoft Graph', () => {
  let fake: AzureFake;
  const provider = () => {
    const spec = {
      provider: 'azure',
      endpoint: fake.endpoint,
      credentials: { source: 'Secret', secretRef: { namespace: 'keyless-system', name: 'azure' } },
      azure: {
        subscriptionId: DEFAULT_SUBSCRIPTION.subscriptionId,
        tenantId: DEFAULT_SUBSCRIPTION.tenantId,
        resourceGroup: 'keyless',
        location: 'westeurope',
        issuerUrl: 'https://issuer.example',
      },
    } as unknown as CloudAccountSpec;
    const account = { name: 'azure-usage', spec };
    // The credentials Secret's reading is not under test here: a plain reader hands out a token.
    const secrets = { read: async () => ({ access_token: 'test' }) };
    return { account, usage: createAzureProvider(account, { secrets, ca: fake.caPem }).usage };
  };
  const request = (account: UsageRequest['account']): UsageRequest => ({
    account,
    externalName: 'kl-shop-orders',
    principal: { clientId: CLIENT_ID },
    spec: { accountRef: 'azure-usage', subjects: [] } as unknown as WorkloadIdentitySpec,
  });

  beforeAll(async () => {
    fake = await startAzureFake();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.resetCounts();
    fake.graph.clearSignIn(CLIENT_ID);
    fake.graph.setPremium(true);
    fake.graph.setAuditLogRead(true);
  });

  it("reads the service principal's last sign-in in one Graph call", async () => {
    const at = Date.parse('2026-11-20T07:00:00Z');
    fake.graph.recordSignIn(CLIENT_ID, at);
    fake.graph.recordSignIn('00000000-0000-0000-0000-0000000000ff', Date.parse('2026-11-30T07:00:00Z'));
    const { account, usage } = provider();
    expect(await usage.review(testContext(), request(account))).toEqual({
      source: 'servicePrincipalSignInActivities',
      lastUsed: new Date(at),
    });
    expect(fake.counts()).toEqual({ 'servicePrincipalSignInActivities.list': 1 });
  });

  it('reports a service principal that never signed in as never seen', async () => {
    const { account, usage } = provider();
    expect(await usage.review(testContext(), request(account))).toEqual({
      source: 'servicePrincipalSignInActivities',
    });
  });

  it('is UsageReviewForbidden naming AuditLog.Read.All when Graph refuses the caller', async () => {
    fake.graph.setAuditLogRead(false);
    const { account, usage } = provider();
    const failure = usage.review(testContext(), request(account));
    await expect(failure).rejects.toMatchObject({ kind: 'terminal', reason: Reason.UsageReviewForbidden });
    await expect(failure).rejects.toThrow(/Authorization_RequestDenied.*AuditLog\.Read\.All/);
  });

  it('says a tenant without Microsoft Entra ID P1/P2 has no sign-in activity, not an error', async () => {
    fake.graph.setPremium(false);
    const { account, usage } = provider();
    const report = await usage.review(testContext(), request(account));
    expect(report.unavailable).toMatch(/Entra ID P1 or P2/);
    expect(report.lastUsed).toBeUndefined();
    expect(fake.counts()).toEqual({ 'servicePrincipalSignInActivities.list': 1 });
  });
});
