/**
 * The Azure fake's Microsoft Graph servicePrincipalSignInActivities, over HTTPS with its CA: the
 * answer's shape, the filter, the bearer token, and the two 403s Graph sends.
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureFake, startAzureFake } from '../support/azure-fake/index.js';

const APP = '5f0c3a52-7d1e-4c55-9a0b-2d4e6f8a1b3c';

describe('Microsoft Graph on the Azure fake', () => {
  let fake: AzureFake;
  const get = (query: string, token = 't') =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const request = https.request(
        `${fake.endpoint}/beta/reports/servicePrincipalSignInActivities${query}`,
        { ca: fake.caPem, headers: token ? { authorization: `Bearer ${token}` } : {} },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    });
  const filter = (appId: string) => `?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`;

  beforeAll(async () => {
    fake = await startAzureFake();
  });
  afterAll(() => fake.stop());

  it('answers the filtered principal, none for another, and refuses a request without a token', async () => {
    fake.graph.recordSignIn(APP, Date.UTC(2026, 10, 20, 7));
    const found = await get(filter(APP));
    expect(found.status).toBe(200);
    expect(found.body.value).toEqual([
      expect.objectContaining({
        appId: APP,
        lastSignInActivity: {
          lastSignInDateTime: '2026-11-20T07:00:00.000Z',
          lastSignInRequestId: expect.any(String),
        },
      }),
    ]);
    expect((await get(filter('00000000-0000-0000-0000-000000000000'))).body.value).toEqual([]);
    expect((await get(filter(APP), '')).status).toBe(401);
    expect((await get("?$filter=displayName eq 'x'")).status).toBe(400);
  });

  it('sends 403 Authorization_RequestDenied without AuditLog.Read.All, and the licence 403 without P1/P2', async () => {
    fake.graph.setAuditLogRead(false);
    expect(await get(filter(APP))).toMatchObject({
      status: 403,
      body: {
        error: { code: 'Authorization_RequestDenied', innerError: { 'request-id': expect.any(String) } },
      },
    });
    fake.graph.setAuditLogRead(true);
    fake.graph.setPremium(false);
    expect(await get(filter(APP))).toMatchObject({
      status: 403,
      body: { error: { code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant' } },
    });
    expect(fake.counts()['servicePrincipalSignInActivities.list']).toBe(6);
  });
});
