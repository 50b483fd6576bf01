/**
 * Microsoft Graph's `GET /beta/reports/servicePrincipalSignInActivities` (with `$filter=appId eq
 * 'APP_ID'`), served beside ARM on the same HTTPS endpoint: `{"@odata.context", "value": [...]}`,
 * each a servicePrincipalSignInActivity; errors as Graph sends them, `{"error": {"code", "message",
 * "innerError": {"date", "request-id", "client-request-id"}}}`. A tenant without Microsoft Entra ID
 * P1/P2 is 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`; a caller without
 * AuditLog.Read.All 403 `Authorization_RequestDenied`.
 */
import { randomUUID } from 'node:crypto';

export const GRAPH_OPERATION = 'servicePrincipalSignInActivities.list';
const PATH = '/beta/reports/servicePrincipalSignInActivities';
const FILTER = /^\s*appId\s+eq\s+'([^']*)'\s*$/i;

export interface GraphAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The Graph side of the fake, as tests set it. */
export interface GraphState {
  /** Records that the service principal of `appId` last signed in at `at` (epoch milliseconds). */
  recordSignIn(appId: string, at: number): void;
  clearSignIn(appId: string): void;
  /** Whether the tenant has Microsoft Entra ID P1/P2 (default true). */
  setPremium(premium: boolean): void;
  /** Whether the caller holds AuditLog.Read.All (default true). */
  setAuditLogRead(allowed: boolean): void;
}

function graphError(status: number, code: string, message: string): GraphAnswer {
  const id = randomUUID();
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': id,
          'client-request-id': id,
        },
      },
    },
  };
}

export class Graph {
  readonly #signIns = new Map<string, number>();
  #premium = true;
  #auditLogRead = true;

  isGraphPath(path: string): boolean {
    return path.startsWith('/beta/') || path.startsWith('/v1.0/');
  }

  answer(method: string, rawUrl: string): GraphAnswer {
    const url = new URL(rawUrl, 'https://graph.fake');
    if (method !== 'GET' || url.pathname !== PATH) {
      return graphError(400, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
    }
    if (!this.#auditLogRead) {
      return graphError(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
    if (!this.#premium) {
      return graphError(
        403,
        'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
        "Neither tenant is B2C or tenant doesn't have premium license",
      );
    }
    const filter = url.searchParams.get('$filter');
    let appIds = [...this.#signIns.keys()];
    if (filter !== null) {
      const wanted = FILTER.exec(filter)?.[1];
      if (wanted === undefined) return graphError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
      appIds = appIds.filter((id) => id.toLowerCase() === wanted.toLowerCase());
    }
    return {
      status: 200,
      body: {
        '@odata.context':
          'https://graph.microsoft.com/beta/$metadata#reports/servicePrincipalSignInActivities',
        value: appIds.map((appId) => {
          const activity = {
            lastSignInDateTime: new Date(this.#signIns.get(appId) ?? 0).toISOString(),
            lastSignInRequestId: randomUUID(),
          };
          return {
            id: Buffer.from(appId).toString('base64url'),
            appId,
            lastSignInActivity: activity,
            applicationAuthenticationClientSignInActivity: activity,
            applicationAuthenticationResourceSignInActivity: {
              lastSignInDateTime: null,
              lastSignInRequestId: null,
            },
            delegatedClientSignInActivity: { lastSignInDateTime: null, lastSignInRequestId: null },
            delegatedResourceSignInActivity: { lastSignInDateTime: null, lastSignInRequestId: null },
          };
        }),
      },
    };
  }

  state(): GraphState {
    return {
      recordSignIn: (appId, at) => {
        this.#signIns.set(appId, at);
      },
      clearSignIn: (appId) => {
        this.#signIns.delete(appId);
      },
      setPremium: (premium) => {
        this.#premium = premium;
      },
      setAuditLogRead: (allowed) => {
        this.#auditLogRead = allowed;
      },
    };
  }
}
