import type { CloudAccount, IdentityUsage, WorkloadIdentity } from '../api/index.js';
import { isReason, Reason } from '../api/reasons.js';
import { MAX_USAGE_SERVICES } from '../api/usage.js';
import {
  firstReviewAt,
  identityVerdict,
  nextReviewAt,
  reviewDue,
  reviewSettings,
  spreadOf,
} from '../policy/usage.js';
import type { CloudProvider, UsageReport } from '../providers/provider.js';
import { interruptedByShutdown } from '../runtime/context.js';
import { asError, classificationOf } from '../runtime/errors.js';
import { getCondition, unusedCondition } from './conditions.js';
import type { ReconcileRun } from './reconcile-run.js';
import { accountRequest } from './requests.js';
import { replacingFields } from './status-fields.js';

/**
 * The usage review of one converged identity: when it is due (the first one interval after the
 * identity was created, then never between reviews), one
 * provider.usage.review, written to status.usage with the next review planned; then the Unused
 * condition from the evidence. A failed review never fails the reconcile: status.usage.error says
 * it (the account's UsageReviewed condition gathers them), a Warning Event is sent when it first
 * appears, and the review is tried again after an hour (or the interval, when shorter).
 * Returns how long until the next review is due.
 */
export async function reviewUsage(
  provider: CloudProvider,
  identity: WorkloadIdentity,
  account: CloudAccount,
  run: ReconcileRun<'WorkloadIdentity'>,
  random: () => number,
): Promise<number> {
  const settings = reviewSettings(account.spec.review);
  const previous = identity.status?.usage;
  const now = run.now;
  const creationTimestamp = identity.metadata.creationTimestamp;
  const created = new Date(creationTimestamp ?? now.toISOString());
  // The API server always sets creationTimestamp; without one the first review is due at once.
  const firstAt = creationTimestamp
    ? firstReviewAt(created, settings.intervalMs, spreadOf(identity.metadata.uid ?? identity.metadata.name))
    : now;
  if (reviewDue(previous, now, settings.intervalMs, firstAt)) {
    run.status.usage = replacingFields(previous, await readUsage(provider, identity, account, run, previous));
    run.status.usage.nextReviewAt = nextReviewAt(
      now,
      settings.intervalMs,
      run.status.usage.error !== undefined,
      random,
    ).toISOString();
  }
  const usage = run.status.usage;
  const verdict = identityVerdict(usage, created, now, settings.unusedAfterMs);
  const wasUnused = getCondition(identity.status?.conditions, 'Unused')?.status === 'True';
  run.set(unusedCondition(verdict.unused, verdict.message));
  if (verdict.unused && !wasUnused)
    run.event('Warning', Reason.Unused, `${identity.metadata.name} is unused: ${verdict.message}`);
  const next = usage ? Date.parse(usage.nextReviewAt) : firstAt.getTime();
  return Math.max(0, next - now.getTime());
}

async function readUsage(
  provider: CloudProvider,
  identity: WorkloadIdentity,
  account: CloudAccount,
  run: ReconcileRun<'WorkloadIdentity'>,
  previous: IdentityUsage | undefined,
): Promise<IdentityUsage> {
  const reviewedAt = run.now.toISOString();
  try {
    const report = await provider.usage.review(run.ctx, {
      account: accountRequest(account),
      externalName: run.status.externalName ?? '',
      principal: run.status.principal ?? {},
      spec: identity.spec,
    });
    return { ...usageStatus(report), reviewedAt, nextReviewAt: reviewedAt };
  } catch (err) {
    if (interruptedByShutdown(run.ctx.signal)) throw err;
    const classified = classificationOf(err);
    const error = {
      reason: classified?.reason ?? Reason.CloudError,
      message: `reviewing usage: ${asError(err).message}`,
    };
    run.log.warn({ reason: error.reason }, error.message);
    if (previous?.error?.reason !== error.reason)
      run.event('Warning', isReason(error.reason) ? error.reason : Reason.CloudError, error.message);
    // The evidence of the last good review stays; only the error and the times are new.
    return {
      ...(previous ?? { source: 'none' }),
      reviewedAt,
      nextReviewAt: reviewedAt,
      error,
    };
  }
}

/** The report as status holds it: times as RFC 3339, services bounded. */
export function usageStatus(report: UsageReport): Omit<IdentityUsage, 'reviewedAt' | 'nextReviewAt'> {
  const time = (d: Date | undefined) => (d ? { lastUsed: d.toISOString() } : {});
  return {
    source: report.source,
    ...(report.unavailable !== undefined ? { unavailable: report.unavailable } : {}),
    ...time(report.lastUsed),
    ...(report.lastUsedWhere ? { lastUsedWhere: report.lastUsedWhere } : {}),
    ...(report.trackedSince ? { trackedSince: report.trackedSince.toISOString() } : {}),
    ...(report.services
      ? {
          services: report.services.slice(0, MAX_USAGE_SERVICES).map((s) => ({
            service: s.service,
            ...time(s.lastUsed),
            ...(s.actions
              ? { actions: s.actions.map((a) => ({ action: a.action, ...time(a.lastUsed) })) }
              : {}),
          })),
        }
      : {}),
  };
}
