import type { GetServiceLastAccessedDetailsResponse, Role, ServiceLastAccessed } from '@aws-sdk/client-iam';
import { Reason } from '../../api/reasons.js';
import { MAX_USAGE_ACTIONS, MAX_USAGE_SERVICES } from '../../api/usage.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError } from '../../runtime/errors.js';
import type { UsageReader, UsageReport, UsageRequest } from '../provider.js';
import type { AwsClient } from './client.js';

/** IAM keeps RoleLastUsed and service last-accessed data for 400 days. */
export const AWS_TRACKING_DAYS = 400;
const DAY_MS = 86_400_000;

/**
 * How long to wait before each poll of the report (IAM usually finishes in a second or two). The
 * polls stop earlier when the next one would not end before the reconcile's deadline.
 */
export const POLL_DELAYS_MS = [0, 500, 1000, 2000, 4000, 4000] as const;
/** Left of the reconcile's deadline for what follows the review (the status write). */
const DEADLINE_MARGIN_MS = 5000;

/**
 * The role's use, as IAM records it: GetRole's RoleLastUsed (when and where the role's credentials
 * were last used), then the service-last-accessed report (one job, polled, every page read): per
 * service namespace the last authentication, and per action where IAM tracks actions. A review
 * costs 1 + 1 + (polls until the job completes, plus one per further page of 100 services) reads.
 */
export class AwsUsage implements UsageReader {
  constructor(private readonly client: AwsClient) {}

  async review(ctx: Context, request: UsageRequest): Promise<UsageReport> {
    const role = await this.client.getRoleForUsage(ctx, request.externalName);
    const arn = role?.Arn ?? request.principal.roleArn;
    if (!arn) throw new Error(`GetRole ${request.externalName}: the role has no ARN`);
    const jobId = await this.client.generateServiceLastAccessed(ctx, arn);
    const services = await this.readReport(ctx, jobId, arn);
    return usageReport(role, services, new Date(ctx.clock.now()));
  }

  /** Polls the job until it completes (bounded by POLL_DELAYS_MS and the deadline), then reads every page. */
  private async readReport(ctx: Context, jobId: string, arn: string): Promise<ServiceLastAccessed[]> {
    let page: GetServiceLastAccessedDetailsResponse | undefined;
    for (const delay of POLL_DELAYS_MS) {
      if (ctx.clock.now() + delay > ctx.deadline - DEADLINE_MARGIN_MS) break;
      if (delay > 0) await ctx.clock.sleep(delay, ctx.signal);
      page = await this.client.getServiceLastAccessedPage(ctx, jobId, undefined);
      if (page.JobStatus !== 'IN_PROGRESS') break;
    }
    if (page?.JobStatus === 'FAILED') {
      throw incomplete(
        `GetServiceLastAccessedDetails: IAM's report for ${arn} failed: ${page.Error?.Message ?? page.Error?.Code ?? 'no reason given'}`,
      );
    }
    if (page?.JobStatus !== 'COMPLETED') {
      throw incomplete(
        `GetServiceLastAccessedDetails: IAM's report for ${arn} (job ${jobId}) was still ${page?.JobStatus ?? 'not read'} after ${POLL_DELAYS_MS.length} polls within the reconcile's deadline`,
      );
    }
    const services = [...(page.ServicesLastAccessed ?? [])];
    while (page.IsTruncated && page.Marker) {
      page = await this.client.getServiceLastAccessedPage(ctx, jobId, page.Marker);
      services.push(...(page.ServicesLastAccessed ?? []));
    }
    return services;
  }
}

function incomplete(message: string): ClassifiedError {
  return new ClassifiedError(message, { kind: 'retryable', reason: Reason.UsageReviewIncomplete });
}

/**
 * Pure: the report from the role and the job's services. Only services IAM saw used are kept (a
 * granted service the report does not list was not used within the 400 days IAM tracks), with their
 * tracked actions, used or not, most recent first and bounded, so status stays small.
 */
export function usageReport(role: Role | undefined, services: ServiceLastAccessed[], now: Date): UsageReport {
  const used = services
    .filter((s) => s.ServiceNamespace && s.LastAuthenticated)
    .sort((a, b) => (b.LastAuthenticated?.getTime() ?? 0) - (a.LastAuthenticated?.getTime() ?? 0))
    .slice(0, MAX_USAGE_SERVICES)
    .map((s) => {
      // Tracked actions never used are kept too: they tell "tracked, unused" from "not tracked".
      const actions = (s.TrackedActionsLastAccessed ?? [])
        .filter((a) => a.ActionName)
        .sort((a, b) => (b.LastAccessedTime?.getTime() ?? 0) - (a.LastAccessedTime?.getTime() ?? 0))
        .slice(0, MAX_USAGE_ACTIONS)
        .map((a) => ({
          action: `${s.ServiceNamespace}:${a.ActionName}`,
          ...(a.LastAccessedTime ? { lastUsed: a.LastAccessedTime } : {}),
        }));
      return {
        service: s.ServiceNamespace ?? '',
        ...(s.LastAuthenticated ? { lastUsed: s.LastAuthenticated } : {}),
        ...(actions.length > 0 ? { actions } : {}),
      };
    });
  const lastUsed = role?.RoleLastUsed?.LastUsedDate;
  return {
    source: 'RoleLastUsed',
    ...(lastUsed ? { lastUsed } : {}),
    ...(role?.RoleLastUsed?.Region ? { lastUsedWhere: role.RoleLastUsed.Region } : {}),
    trackedSince: new Date(now.getTime() - AWS_TRACKING_DAYS * DAY_MS),
    services: used,
  };
}
