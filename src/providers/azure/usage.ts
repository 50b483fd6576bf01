import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, terminal } from '../../runtime/errors.js';
import type { UsageReader, UsageReport, UsageRequest } from '../provider.js';
import type { GraphClient, SignInActivity } from './graph.js';

export const AZURE_USAGE_SOURCE = 'servicePrincipalSignInActivities';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Pure: the report from Graph's sign-in activities of the identity's service principal; none: never seen. */
export function usageFromSignIns(activities: readonly SignInActivity[], appId: string): UsageReport {
  let lastUsed: Date | undefined;
  for (const activity of activities) {
    if (activity.appId !== undefined && activity.appId.toLowerCase() !== appId.toLowerCase()) continue;
    const raw = activity.lastSignInActivity?.lastSignInDateTime;
    if (!raw) continue;
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) {
      throw new ClassifiedError(
        `servicePrincipalSignInActivities answered lastSignInDateTime ${JSON.stringify(raw)}, not a time`,
        { kind: 'retryable', reason: Reason.CloudError },
      );
    }
    if (!lastUsed || at > lastUsed) lastUsed = at;
  }
  return { source: AZURE_USAGE_SOURCE, ...(lastUsed ? { lastUsed } : {}) };
}

/**
 * Usage on Azure: the managed identity's service principal sign-in activity from Microsoft Graph
 * (one call per identity). A tenant without Microsoft Entra ID P1/P2 has none: said, not an error.
 */
export class AzureUsage implements UsageReader {
  /** `graph` undefined: a national cloud, whose Graph has no sign-in activity report. */
  constructor(private readonly graph: GraphClient | undefined) {}

  async review(ctx: Context, request: UsageRequest): Promise<UsageReport> {
    if (!this.graph) {
      return {
        source: AZURE_USAGE_SOURCE,
        unavailable:
          "Microsoft Graph's servicePrincipalSignInActivities report is offered in Azure's global cloud only, not in this account's national cloud",
      };
    }
    const appId = request.principal.clientId;
    if (!appId) return { source: AZURE_USAGE_SOURCE, unavailable: 'the identity has no client id yet' };
    if (!GUID.test(appId))
      throw terminal(Reason.InvalidRequest, `status.principal.clientId ${appId} is not a GUID`);
    const answer = await this.graph.servicePrincipalSignIns(ctx, appId);
    if ('unlicensed' in answer) {
      return {
        source: AZURE_USAGE_SOURCE,
        unavailable: `Microsoft Graph has no sign-in activity for this tenant: it needs Microsoft Entra ID P1 or P2 (${answer.unlicensed})`,
      };
    }
    return usageFromSignIns(answer.activities, appId);
  }
}
