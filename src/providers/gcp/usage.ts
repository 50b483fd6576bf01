import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError } from '../../runtime/errors.js';
import type { UsageReader, UsageReport, UsageRequest } from '../provider.js';
import type { ActivitiesPage, GcpClient, PolicyActivity } from './client.js';
import { gcpModeOf } from './direct.js';
import { gcpAccountOf } from './mapping.js';

/** Policy Analyzer's activity type, and the name status gives the evidence. */
export const GCP_USAGE_SOURCE = 'serviceAccountLastAuthentication';

/** Pages of one service account's activities read at most; one is what Google answers for one account. */
export const MAX_ACTIVITY_PAGES = 5;

export const DIRECT_MODE_UNAVAILABLE =
  'Google Cloud records no last authentication for the principals of gcp mode Direct (only Data Access audit logs would show their use, and Keyless does not read them)';

/** `//iam.googleapis.com/projects/PROJECT/serviceAccounts/EMAIL`: how Policy Analyzer names a service account. */
export function serviceAccountFullName(projectId: string, email: string): string {
  return `//iam.googleapis.com/projects/${projectId}/serviceAccounts/${email}`;
}

/** The activities:query filter that selects one service account. */
export function lastAuthenticationFilter(fullResourceName: string): string {
  return `activities.full_resource_name="${fullResourceName}"`;
}

function timeOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new ClassifiedError(`activities.query answered ${field} ${JSON.stringify(value)}, not a time`, {
      kind: 'retryable',
      reason: Reason.CloudError,
    });
  }
  return time;
}

/**
 * Pure: the report from the service account's activities. The latest last authentication wins;
 * the record covers from the earliest observation period's start. No activity: never seen.
 */
export function usageFromActivities(
  activities: readonly PolicyActivity[],
  fullResourceName: string,
): UsageReport {
  let lastUsed: Date | undefined;
  let trackedSince: Date | undefined;
  for (const activity of activities) {
    if (activity.fullResourceName !== undefined && activity.fullResourceName !== fullResourceName) continue;
    const used = timeOf(activity.activity?.lastAuthenticatedTime, 'activity.lastAuthenticatedTime');
    const since = timeOf(activity.observationPeriod?.startTime, 'observationPeriod.startTime');
    if (used && (!lastUsed || used > lastUsed)) lastUsed = used;
    if (since && (!trackedSince || since < trackedSince)) trackedSince = since;
  }
  return {
    source: GCP_USAGE_SOURCE,
    ...(lastUsed ? { lastUsed } : {}),
    ...(trackedSince ? { trackedSince } : {}),
  };
}

/**
 * Usage on Google Cloud: Policy Analyzer's last authentication of the identity's service account
 * (one activities.query per identity). Mode Direct has no service account, so nothing to ask.
 */
export class GcpUsage implements UsageReader {
  constructor(private readonly client: GcpClient) {}

  async review(ctx: Context, request: UsageRequest): Promise<UsageReport> {
    if (gcpModeOf(request) === 'Direct')
      return { source: GCP_USAGE_SOURCE, unavailable: DIRECT_MODE_UNAVAILABLE };
    const email = request.principal.email ?? request.externalName;
    if (!email.includes('@')) {
      return { source: GCP_USAGE_SOURCE, unavailable: 'the identity has no service account yet' };
    }
    const projectId = gcpAccountOf(request.account).projectId;
    const name = serviceAccountFullName(projectId, email);
    const filter = lastAuthenticationFilter(name);
    const activities: PolicyActivity[] = [];
    let page: ActivitiesPage | undefined;
    for (let n = 0; n < MAX_ACTIVITY_PAGES && (n === 0 || page?.nextPageToken); n++) {
      page = await this.client.queryLastAuthentications(ctx, projectId, filter, page?.nextPageToken);
      activities.push(...(page.activities ?? []));
    }
    return usageFromActivities(activities, name);
  }
}
