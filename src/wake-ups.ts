import type { CloudAccount, Condition, IdentityBinding, KubeObject, WorkloadIdentity } from './api/index.js';
import { checkKeepsPrincipals } from './reconcilers/cloud-account.js';
import { getCondition } from './reconcilers/conditions.js';
import type { ClusterReader, KeylessKind } from './reconcilers/ports.js';
import { keyOf } from './runtime/kube-object.js';

export interface KindObjects {
  CloudAccount: CloudAccount;
  WorkloadIdentity: WorkloadIdentity;
  IdentityBinding: IdentityBinding;
}

export type WatchChange = 'added' | 'updated' | 'deleted';

/**
 * When the woken keys are queued: at once; after `settleMs`, so that a burst of changes waking
 * one key costs one reconcile (the work queue keeps the earliest time of a key already waiting);
 * or, for an object just seen, at its first observation (see first-observation.ts), spread over the
 * resync interval of the account `firstObservation` finds.
 */
export type Timing<F extends KeylessKind> =
  | 'now'
  | { settleMs: number }
  | { firstObservation: (object: KindObjects[F], cluster: ClusterReader) => CloudAccount | undefined };

/**
 * One edge of the wake-up graph, as controller-runtime's `Watches(&From{}, EnqueueRequestsFromMapFunc)`:
 * a change of a `from` object wakes the `to` objects that `keys` finds in the caches.
 */
export interface WakeUp<F extends KeylessKind> {
  readonly name: string;
  readonly from: F;
  readonly to: KeylessKind;
  readonly on: readonly WatchChange[];
  /** Which updates wake (every one when absent); `added` and `deleted` always do. */
  readonly when?: (old: KindObjects[F], current: KindObjects[F]) => boolean;
  /** The `to` keys to wake. `old` is the previous version on `updated`, undefined otherwise. */
  readonly keys: (
    object: KindObjects[F],
    cluster: ClusterReader,
    old: KindObjects[F] | undefined,
  ) => readonly string[];
  readonly timing: Timing<F>;
}

export type AnyWakeUp = { [F in KeylessKind]: WakeUp<F> }[KeylessKind];

/**
 * How long an account waits for its identities' principals to settle before it checks again, so
 * that a new identity's principal reaches Google Cloud's guardrail deny policy within seconds
 * while a burst of new identities costs one check per this interval, not one per identity.
 */
export const PRINCIPALS_SETTLE_MS = 2_000;

const edge = <F extends KeylessKind>(wakeUp: WakeUp<F>): WakeUp<F> => wakeUp;

/**
 * The whole graph. The operator's own writes to an object (status, its finalizer) never wake that
 * object (`ownChange`): reacting to them would cost a second cloud read per converge. They do wake
 * dependants when they carry news for them (Ready moved, a principal appeared).
 */
export const WAKE_UPS: readonly AnyWakeUp[] = [
  edge({
    name: 'account-own-change',
    from: 'CloudAccount',
    to: 'CloudAccount',
    on: ['added', 'updated'],
    when: ownChange,
    keys: (account) => [keyOf(account)],
    timing: 'now',
  }),
  edge({
    name: 'account-wakes-its-identities',
    from: 'CloudAccount',
    to: 'WorkloadIdentity',
    on: ['updated', 'deleted'],
    when: (old, account) => readinessChanged(old, account) || generationChanged(old, account),
    keys: (account, cluster) => cluster.identitiesOf(account.metadata.name).map(keyOf),
    timing: 'now',
  }),
  // Guardrails live on the account: a binding they refused is judged again when they change.
  edge({
    name: 'account-spec-wakes-its-bindings',
    from: 'CloudAccount',
    to: 'IdentityBinding',
    on: ['updated'],
    when: (old, account) => generationChanged(old, account) && !account.metadata.deletionTimestamp,
    keys: (account, cluster) =>
      cluster
        .identitiesOf(account.metadata.name)
        .flatMap((wi) => cluster.bindingsOf(wi.metadata.namespace ?? '', wi.metadata.name).map(keyOf)),
    timing: 'now',
  }),

  edge({
    name: 'identity-first-seen',
    from: 'WorkloadIdentity',
    to: 'WorkloadIdentity',
    on: ['added'],
    keys: (wi) => [keyOf(wi)],
    timing: { firstObservation: (wi, cluster) => cluster.account(wi.spec.accountRef.name) },
  }),
  edge({
    name: 'identity-own-change',
    from: 'WorkloadIdentity',
    to: 'WorkloadIdentity',
    on: ['updated'],
    when: ownChange,
    keys: (wi) => [keyOf(wi)],
    timing: 'now',
  }),
  edge({
    name: 'identity-wakes-its-bindings',
    from: 'WorkloadIdentity',
    to: 'IdentityBinding',
    on: ['updated', 'deleted'],
    // A new usage review too: the bindings join their grants with it (and, with Revoke, act on it).
    // Not while the identity is being deleted: it waits for its bindings, which keep their grants
    // until they go themselves, so its WaitingForBindings is no news for them.
    when: (old, wi) =>
      (!wi.metadata.deletionTimestamp && readinessChanged(old, wi)) ||
      old.status?.usage?.reviewedAt !== wi.status?.usage?.reviewedAt ||
      old.status?.externalName !== wi.status?.externalName ||
      JSON.stringify(old.status?.principal ?? null) !== JSON.stringify(wi.status?.principal ?? null),
    keys: (wi, cluster) => cluster.bindingsOf(wi.metadata.namespace ?? '', wi.metadata.name).map(keyOf),
    timing: 'now',
  }),
  // The account's UsageReviewed gathers its identities' review failures: only a change of failure
  // wakes it, settled, so a burst of identities failing alike costs one account reconcile.
  edge({
    name: 'identity-review-failure-refreshes-account',
    from: 'WorkloadIdentity',
    to: 'CloudAccount',
    on: ['updated'],
    when: (old, wi) => old.status?.usage?.error?.reason !== wi.status?.usage?.error?.reason,
    keys: (wi) => [wi.spec.accountRef.name],
    timing: { settleMs: PRINCIPALS_SETTLE_MS },
  }),
  // A deleting account waits for its identities: the last one to go (or move away) releases it.
  edge({
    name: 'last-identity-releases-deleting-account',
    from: 'WorkloadIdentity',
    to: 'CloudAccount',
    on: ['updated', 'deleted'],
    when: (old, wi) => old.spec.accountRef.name !== wi.spec.accountRef.name,
    keys: (wi, cluster, old) => {
      const left = cluster.account((old ?? wi).spec.accountRef.name);
      const released =
        left?.metadata.deletionTimestamp && cluster.identitiesOf(left.metadata.name).length === 0;
      return released ? [keyOf(left)] : [];
    },
    timing: 'now',
  }),
  // Only where the account's check keeps something made of its identities' principals.
  edge({
    name: 'identity-principal-refreshes-account',
    from: 'WorkloadIdentity',
    to: 'CloudAccount',
    on: ['updated', 'deleted'],
    when: (old, wi) => principalMembership(old) !== principalMembership(wi),
    keys: (wi, cluster, old) => {
      const members = [old, wi].filter((v): v is WorkloadIdentity => v?.status?.principal !== undefined);
      const names = new Set(members.map((member) => member.spec.accountRef.name));
      return [...names].filter((name) => {
        const account = cluster.account(name);
        return account !== undefined && checkKeepsPrincipals(account);
      });
    },
    timing: { settleMs: PRINCIPALS_SETTLE_MS },
  }),

  edge({
    name: 'binding-first-seen',
    from: 'IdentityBinding',
    to: 'IdentityBinding',
    on: ['added'],
    keys: (ib) => [keyOf(ib)],
    timing: {
      firstObservation: (ib, cluster) => {
        const identity = cluster.identity(ib.metadata.namespace ?? '', ib.spec.identityRef.name);
        return identity && cluster.account(identity.spec.accountRef.name);
      },
    },
  }),
  edge({
    name: 'binding-own-change',
    from: 'IdentityBinding',
    to: 'IdentityBinding',
    on: ['updated'],
    when: ownChange,
    keys: (ib) => [keyOf(ib)],
    timing: 'now',
  }),
  // The identity may be waiting for its last binding to go before it deletes itself.
  edge({
    name: 'binding-gone-wakes-its-identity',
    from: 'IdentityBinding',
    to: 'WorkloadIdentity',
    on: ['deleted'],
    keys: (ib) => [`${ib.metadata.namespace}/${ib.spec.identityRef.name}`],
    timing: 'now',
  }),
  edge({
    name: 'binding-moved-wakes-its-old-identity',
    from: 'IdentityBinding',
    to: 'WorkloadIdentity',
    on: ['updated'],
    when: (old, ib) => old.spec.identityRef.name !== ib.spec.identityRef.name,
    keys: (_ib, _cluster, old) => (old ? [`${old.metadata.namespace}/${old.spec.identityRef.name}`] : []),
    timing: 'now',
  }),
];

/** The edges leaving `kind`. */
export function wakeUpsFrom<F extends KeylessKind>(kind: F): WakeUp<F>[] {
  // Sound: an edge's `from` decides which WakeUp<F> of the union it is.
  return WAKE_UPS.filter((wakeUp) => wakeUp.from === kind) as unknown as WakeUp<F>[];
}

/**
 * A change worth a reconcile of the object itself: its spec (generation), its deletion, or its
 * annotations (keyless.dev/adopt). Status and finalizers are the operator's own writes.
 */
export function ownChange(old: KubeObject, current: KubeObject): boolean {
  const a = old.metadata;
  const b = current.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
  );
}

function generationChanged(old: KubeObject, current: KubeObject): boolean {
  return old.metadata.generation !== current.metadata.generation;
}

/** Ready moved (True, False, or not yet set): dependants should look again. */
function readinessChanged(old: { status?: { conditions?: Condition[] } }, current: typeof old): boolean {
  return (
    getCondition(old.status?.conditions, 'Ready')?.status !==
    getCondition(current.status?.conditions, 'Ready')?.status
  );
}

/** Which account counts the identity's principal, and which principal: what a deny policy lists. */
function principalMembership(wi: WorkloadIdentity): string {
  return JSON.stringify([wi.spec.accountRef.name, wi.status?.principal ?? null]);
}
