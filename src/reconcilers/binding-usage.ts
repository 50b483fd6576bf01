import type { BindingUsage, CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import {
  describeGrant,
  hasEvidence,
  joinGrantUsage,
  reviewSettings,
  standingRevocations,
  unusedGrants,
} from '../policy/usage.js';
import type { ResolvedGrant } from '../providers/provider.js';
import { getCondition, syncFailed, unusedCondition } from './conditions.js';
import type { ReconcileRun } from './reconcile-run.js';
import { replacingFields } from './status-fields.js';

export interface GrantUsagePlan {
  /** What status.usage becomes; undefined while the identity has no evidence. */
  usage: BindingUsage | undefined;
  /** The grants to keep in the cloud: all, less those revoked as unused in this generation. */
  grants: ResolvedGrant[];
  /** Grants this run revokes (review.action Revoke): the cloud must change though the spec did not. */
  revoking: string[];
}

/**
 * Pure: joins the binding's grants with its identity's status.usage. With review.action Revoke
 * (and Keyless managing the grants), the unused grants are left out of what the cloud keeps, each
 * once it has lived longer than unusedAfter; an edit of the binding (a new generation) drops every
 * revocation, so the grants come back.
 */
export function planGrantUsage(
  binding: IdentityBinding,
  identity: WorkloadIdentity,
  account: CloudAccount,
  resolved: ResolvedGrant[],
  options: { now: Date; mayRevoke: boolean },
): GrantUsagePlan {
  const identityUsage = identity.status?.usage;
  const settings = reviewSettings(account.spec.review);
  const generation = binding.metadata.generation ?? 0;
  const standing = standingRevocations(binding.status?.usage?.revoked, generation);
  if (!identityUsage || !hasEvidence(identityUsage)) {
    return { usage: binding.status?.usage, grants: keep(resolved, standing), revoking: [] };
  }
  // A grant given back by an edit starts its life again: it is not revoked at once for its old age.
  const givenBack = new Set(
    (binding.status?.usage?.revoked ?? []).filter((r) => r.generation !== generation).map((r) => r.resource),
  );
  const previous = binding.status?.usage?.grants.filter((g) => !givenBack.has(g.resource));
  const grants = joinGrantUsage(resolved, identityUsage, previous, options.now);
  const gone = new Set(standing.map((r) => r.resource));
  const unused = unusedGrants(grants, options.now, settings.unusedAfterMs).filter(
    (g) => !gone.has(g.resource),
  );
  const revoking =
    settings.action === 'Revoke' && options.mayRevoke ? [...new Set(unused.map((g) => g.resource))] : [];
  const revoked = [
    ...standing,
    ...revoking.map((resource) => ({ resource, revokedAt: options.now.toISOString(), generation })),
  ];
  return {
    usage: {
      reviewedAt: identityUsage.reviewedAt,
      grants,
      ...(revoked.length > 0 ? { revoked } : {}),
    },
    grants: keep(resolved, revoked),
    revoking,
  };
}

/** The grants not revoked, each with its spec position, so the others' cloud statements keep their names. */
function keep(resolved: ResolvedGrant[], revoked: readonly { resource: string }[]): ResolvedGrant[] {
  if (revoked.length === 0) return resolved;
  const gone = new Set(revoked.map((r) => r.resource));
  return resolved.map((g, position) => ({ ...g, position })).filter((g) => !gone.has(g.resource));
}

/**
 * The binding's review conditions and Events once the grants converged: Unused from the grants
 * still in the cloud, and with revocations standing Synced False RevokedUnused (the spec is the
 * user's: it stays so until the binding is edited or deleted).
 */
export function reportGrantUsage(
  binding: IdentityBinding,
  identity: WorkloadIdentity,
  account: CloudAccount,
  plan: GrantUsagePlan,
  run: ReconcileRun<'IdentityBinding'>,
): void {
  run.status.usage = plan.usage && replacingFields(binding.status?.usage, plan.usage);
  if (!plan.usage) return;
  const settings = reviewSettings(account.spec.review);
  const source = identity.status?.usage?.source ?? 'the cloud';
  const revoked = new Set((plan.usage.revoked ?? []).map((r) => r.resource));
  const unused = unusedGrants(plan.usage.grants, run.now, settings.unusedAfterMs).filter(
    (g) => !revoked.has(g.resource),
  );
  const wasUnused = getCondition(binding.status?.conditions, 'Unused')?.status === 'True';
  const message =
    unused.length > 0
      ? `Unused for longer than ${settings.unusedAfter}: ${unused.map((g) => describeGrant(g, source)).join('; ')}.`
      : `Every grant in the cloud was used within ${settings.unusedAfter}, or is younger than that.`;
  run.set(unusedCondition(unused.length > 0, message));
  if (unused.length > 0 && !wasUnused) run.event('Warning', Reason.Unused, message);
  if (plan.revoking.length > 0) {
    const evidence = plan.usage.grants
      .filter((g) => plan.revoking.includes(g.resource))
      .map((g) => describeGrant(g, source));
    run.event(
      'Normal',
      Reason.RevokedUnused,
      `Revoked grants unused for longer than ${settings.unusedAfter}: ${evidence.join('; ')}.`,
    );
  }
  if (revoked.size > 0) {
    run.set(
      syncFailed(
        Reason.RevokedUnused,
        `Revoked as unused (review.action Revoke): ${[...revoked].join(', ')}; edit the binding to grant them again, or delete it.`,
      ),
    );
  }
}
