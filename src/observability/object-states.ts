import { type Condition, ConditionType } from '../api/conditions.js';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import { grantsEndAt } from '../policy/expiry.js';
import { hasEvidence, reviewSettings, unusedGrants } from '../policy/usage.js';
import { getCondition } from '../reconcilers/conditions.js';
import type { KeylessKind } from '../reconcilers/ports.js';
import { policies } from '../reconcilers/requests.js';

/** The objects of the three kinds as the informer caches hold them at one moment. */
export interface ObjectSnapshot {
  accounts: readonly CloudAccount[];
  identities: readonly WorkloadIdentity[];
  bindings: readonly IdentityBinding[];
}

/** How many objects of a kind have a condition in a state; `reason` is empty for `Unknown`. */
export interface ConditionCount {
  kind: KeylessKind;
  condition: ConditionType;
  status: Condition['status'];
  reason: string;
  count: number;
}

/**
 * What keeps a drifted object from being corrected: its `driftPolicy` (`Report`; `Correct` only
 * until its next reconcile puts the cloud back), `ObserveOnly` when its managementPolicy is, or
 * `Unknown` for a binding whose WorkloadIdentity is not in the cache.
 */
export type DriftPolicy = 'Correct' | 'Report' | 'ObserveOnly' | 'Unknown';

export interface DriftCount {
  kind: Exclude<KeylessKind, 'CloudAccount'>;
  policy: DriftPolicy;
  count: number;
}

export interface BindingExpiry {
  namespace: string;
  name: string;
  /** When the binding's grants end, in seconds since the epoch. */
  endsAtSeconds: number;
}

/** The conditions each kind carries (a CloudAccount has no Drifted). */
const CONDITIONS: Record<KeylessKind, readonly ConditionType[]> = {
  CloudAccount: [ConditionType.Ready, ConditionType.Synced],
  WorkloadIdentity: [ConditionType.Ready, ConditionType.Synced, ConditionType.Drifted],
  IdentityBinding: [ConditionType.Ready, ConditionType.Synced, ConditionType.Drifted],
};

/**
 * Objects by kind, condition, status and reason. A condition an object does not carry yet (it has
 * not been reconciled) counts as `Unknown`.
 */
export function conditionCounts(snapshot: ObjectSnapshot): ConditionCount[] {
  const counts = new Map<string, ConditionCount>();
  const add = (kind: KeylessKind, conditions: Condition[] | undefined) => {
    for (const condition of CONDITIONS[kind]) {
      const found = getCondition(conditions, condition);
      const status = found?.status ?? 'Unknown';
      const reason = found?.reason ?? '';
      const key = `${kind}\u0000${condition}\u0000${status}\u0000${reason}`;
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { kind, condition, status, reason, count: 1 });
    }
  };
  for (const account of snapshot.accounts) add('CloudAccount', account.status?.conditions);
  for (const identity of snapshot.identities) add('WorkloadIdentity', identity.status?.conditions);
  for (const binding of snapshot.bindings) add('IdentityBinding', binding.status?.conditions);
  return [...counts.values()];
}

/** Objects whose Drifted condition is True, by kind and by what keeps the drift uncorrected. */
export function driftedCounts(snapshot: ObjectSnapshot): DriftCount[] {
  const identities = new Map(
    snapshot.identities.map((wi) => [`${wi.metadata.namespace}/${wi.metadata.name}`, wi]),
  );
  const counts = new Map<string, DriftCount>();
  const add = (kind: DriftCount['kind'], policy: DriftPolicy) => {
    const key = `${kind}\u0000${policy}`;
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { kind, policy, count: 1 });
  };
  for (const identity of snapshot.identities) {
    if (isDrifted(identity.status?.conditions)) add('WorkloadIdentity', driftPolicyOf(identity));
  }
  for (const binding of snapshot.bindings) {
    if (!isDrifted(binding.status?.conditions)) continue;
    const identity = identities.get(`${binding.metadata.namespace}/${binding.spec.identityRef.name}`);
    add('IdentityBinding', identity ? driftPolicyOf(identity) : 'Unknown');
  }
  return [...counts.values()];
}

/**
 * When each temporary binding's grants end (`spec.expiresAt`, or `spec.duration` after creation),
 * ended ones included. A binding whose end cannot be read is left out: the API server refuses
 * such a spec, and the binding's own conditions would say what is wrong with it.
 */
export function bindingExpiries(snapshot: ObjectSnapshot): BindingExpiry[] {
  return snapshot.bindings.flatMap((binding) => {
    const endsAt = endOf(binding);
    if (endsAt === undefined) return [];
    return [
      {
        namespace: binding.metadata.namespace ?? '',
        name: binding.metadata.name,
        endsAtSeconds: endsAt / 1000,
      },
    ];
  });
}

function endOf(binding: IdentityBinding): number | undefined {
  if (!binding.spec.expiresAt && !binding.spec.duration) return undefined;
  let endsAt: Date | undefined;
  try {
    endsAt = grantsEndAt(binding);
  } catch {
    return undefined;
  }
  const ms = endsAt?.getTime();
  return ms === undefined || Number.isNaN(ms) ? undefined : ms;
}

function isDrifted(conditions: Condition[] | undefined): boolean {
  return getCondition(conditions, ConditionType.Drifted)?.status === 'True';
}

function driftPolicyOf(identity: WorkloadIdentity): DriftPolicy {
  return policies.management(identity) === 'ObserveOnly' ? 'ObserveOnly' : policies.drift(identity);
}

export interface IdentityLastUse {
  namespace: string;
  name: string;
  account: string;
  lastUsedSeconds: number;
}

/**
 * Each identity whose usage the cloud could tell, with its last use; 0 when the review found it
 * never used. Identities not reviewed yet, or whose cloud cannot tell, have none.
 */
export function identityLastUses(snapshot: ObjectSnapshot): IdentityLastUse[] {
  return snapshot.identities.flatMap((wi) => {
    const usage = wi.status?.usage;
    if (!hasEvidence(usage)) return [];
    const ms = usage?.lastUsed === undefined ? 0 : Date.parse(usage.lastUsed);
    if (Number.isNaN(ms)) return [];
    return [
      {
        namespace: wi.metadata.namespace ?? '',
        name: wi.metadata.name,
        account: wi.spec.accountRef.name,
        lastUsedSeconds: ms / 1000,
      },
    ];
  });
}

export interface UnusedGrantCount {
  namespace: string;
  name: string;
  account: string;
  count: number;
}

/**
 * Per binding with usage, its grants unused now under its account's review.unusedAfter, revoked
 * ones left out (they are no longer in the cloud).
 */
export function unusedGrantCounts(snapshot: ObjectSnapshot, now: Date): UnusedGrantCount[] {
  const identities = new Map(
    snapshot.identities.map((wi) => [`${wi.metadata.namespace}/${wi.metadata.name}`, wi]),
  );
  const accounts = new Map(snapshot.accounts.map((a) => [a.metadata.name, a]));
  return snapshot.bindings.flatMap((binding) => {
    const usage = binding.status?.usage;
    const identity = identities.get(`${binding.metadata.namespace}/${binding.spec.identityRef.name}`);
    if (!usage || !identity) return [];
    const account = identity.spec.accountRef.name;
    const { unusedAfterMs } = reviewSettings(accounts.get(account)?.spec.review);
    const revoked = new Set((usage.revoked ?? []).map((r) => r.resource));
    const count = unusedGrants(usage.grants, now, unusedAfterMs).filter(
      (g) => !revoked.has(g.resource),
    ).length;
    return [{ namespace: binding.metadata.namespace ?? '', name: binding.metadata.name, account, count }];
  });
}
