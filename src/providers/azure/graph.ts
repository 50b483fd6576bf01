import https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { Context } from '../../runtime/context.js';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { classifyGraphError, GraphError, isNonPremiumTenant } from './errors.js';

const GLOBAL_GRAPH = 'https://graph.microsoft.com';

/** ARM hosts of Azure's national clouds, whose Graph does not offer the sign-in activity report. */
const SOVEREIGN_ARM = /\.(usgovcloudapi\.net|chinacloudapi\.cn|microsoftazure\.de)$/i;

/**
 * Graph's root for an account: Microsoft's global one for Azure's public cloud, none for a national
 * cloud (the report is the global service's), else the override's origin (a local emulator, which
 * serves Graph's paths too).
 */
export function graphRootFor(armEndpoint: string | undefined): string | undefined {
  if (!armEndpoint) return GLOBAL_GRAPH;
  const url = new URL(armEndpoint);
  if (url.hostname === 'management.azure.com') return GLOBAL_GRAPH;
  return SOVEREIGN_ARM.test(url.hostname) ? undefined : url.origin;
}

/** One service principal's sign-in activity (Graph beta servicePrincipalSignInActivity), the fields Keyless reads. */
export interface SignInActivity {
  id?: string;
  appId?: string;
  lastSignInActivity?: { lastSignInDateTime?: string | null; lastSignInRequestId?: string | null } | null;
}

export type SignInAnswer = { activities: SignInActivity[] } | { unlicensed: string };

/** Microsoft Graph calls for one account (sign-in activity), behind the account's limiter, classified once. */
export class GraphClient {
  private readonly calls: CloudCalls;

  constructor(
    private readonly options: {
      credential: TokenCredential;
      root: string;
      ca: string | undefined;
      limiter: AccountLimiter;
      callTimeoutMs: number;
    },
  ) {
    this.calls = cloudCalls(options.limiter, classifyGraphError, () => false, options.callTimeoutMs);
  }

  /** GET /beta/reports/servicePrincipalSignInActivities?$filter=appId eq 'APP_ID'; a tenant without the licence is an answer. */
  async servicePrincipalSignIns(ctx: Context, appId: string): Promise<SignInAnswer> {
    return this.calls.call(ctx, 'servicePrincipalSignInActivities.list', async (signal) => {
      const token = await this.options.credential.getToken(`${GLOBAL_GRAPH}/.default`, {
        abortSignal: signal,
      });
      if (!token) throw new GraphError(401, 'InvalidAuthenticationToken', 'no token for Microsoft Graph');
      const filter = encodeURIComponent(`appId eq '${appId}'`);
      const url = `${this.options.root}/beta/reports/servicePrincipalSignInActivities?$filter=${filter}`;
      try {
        const body = (await getJson(url, token.token, this.options.ca, signal)) as {
          value?: SignInActivity[];
        };
        return { activities: body.value ?? [] };
      } catch (err) {
        if (isNonPremiumTenant(err)) return { unlicensed: (err as GraphError).message };
        throw err;
      }
    });
  }
}

function getJson(url: string, token: string, ca: string | undefined, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal,
        ...(ca ? { ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? {} : JSON.parse(text);
          } catch (cause) {
            reject(new Error(`Microsoft Graph answered ${response.statusCode} with no JSON`, { cause }));
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(body);
            return;
          }
          const error = (body as { error?: { code?: string; message?: string } }).error;
          const retryAfter = Number(response.headers['retry-after']);
          reject(
            new GraphError(
              status,
              error?.code ?? `HTTP${status}`,
              error?.message ?? text,
              Number.isFinite(retryAfter) ? retryAfter : undefined,
            ),
          );
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}
