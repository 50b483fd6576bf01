import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import { grantsEndAt } from '../policy/expiry.js';
import { guardrailRefusal } from '../policy/guardrails.js';
import type { CloudProvider, GrantObservation, GrantRequest, ResolvedGrant } from '../providers/provider.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { parseKey } from '../runtime/kube-object.js';
import { planGrantUsage, reportGrantUsage } from './binding-usage.js';
import { drifted, getCondition, isTrue, notDrifted, notReady, ready, synced } from './conditions.js';
import { converge } from './converge.js';
import type { ReconcilerDeps } from './deps.js';
import type { ClusterReader } from './ports.js';
import { ensureFinalizer, ReconcileRun, syncAndWriteStatus } from './reconcile-run.js';
import {
  accountRequest,
  FINALIZER,
  hasFinalizer,
  isBeingDeleted,
  ownerOf,
  policies,
  specPending,
} from './requests.js';

type Run = ReconcileRun<'IdentityBinding'>;
const DONE: ReconcileResult = {};

/**
 * IdentityBinding → the grants of one binding, attached to its identity in the cloud, removed when
 * they expire or the binding goes. It follows its identity's management, drift and deletion policies.
 */
export class IdentityBindingReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  readonly reconcile = async (key: string, context: ReconcileContext): Promise<ReconcileResult> => {
    const { namespace, name } = parseKey(key);
    const binding = this.deps.cluster.binding(namespace ?? '', name);
    if (!binding) return DONE;
    const run = new ReconcileRun('IdentityBinding', binding, context, this.deps.events);
    return syncAndWriteStatus(run, this.deps.writer, () => this.sync(binding, run));
  };

  private async sync(binding: IdentityBinding, run: Run): Promise<ReconcileResult> {
    const namespace = binding.metadata.namespace ?? '';
    const ref = binding.spec.identityRef;
    const identity = this.deps.cluster.identity(namespace, ref.name);
    const account = identity ? this.deps.cluster.account(identity.spec.accountRef.name) : undefined;
    run.recheckAfterMs = this.deps.resyncAfter(account);
    if (isBeingDeleted(binding)) return this.finalize(binding, identity, account, run);

    if (ref.namespace !== undefined && ref.namespace !== namespace) {
      throw run.stop(
        Reason.CrossNamespaceReference,
        `identityRef names namespace ${ref.namespace}; a binding may only use a WorkloadIdentity in ${namespace}.`,
      );
    }
    if (!identity) {
      run.wait(Reason.IdentityNotFound, `WorkloadIdentity ${ref.name} does not exist.`);
      return DONE;
    }
    if (!getCondition(identity.status?.conditions, 'Ready')) {
      // The identity has not been reconciled yet: it will wake this binding when it has. Saying
      // IdentityNotReady now would cost a status write per binding on every fresh converge.
      return DONE;
    }
    if (!account || !isTrue(identity.status?.conditions, 'Ready') || !identity.status?.externalName) {
      run.wait(Reason.IdentityNotReady, `WorkloadIdentity ${ref.name} is not Ready.`);
      return DONE;
    }

    const endsAt = grantsEndAt(binding);
    run.status.expiresAt = endsAt?.toISOString();
    const provider = this.deps.providers.forAccount(accountRequest(account));
    let resolved: ResolvedGrant[];
    try {
      resolved = provider.grants.resolve(binding.spec.grants, accountRequest(account));
    } catch (err) {
      run.observed();
      throw run.fail(err, 'checking the grants', { notReady: true });
    }
    const observeOnly = policies.management(identity) === 'ObserveOnly';
    // The identity's usage review, joined grant by grant; with review.action Revoke, unused grants leave the cloud.
    const usage = planGrantUsage(binding, identity, account, resolved, {
      now: run.now,
      mayRevoke: !observeOnly,
    });
    const request = grantRequest(
      { binding, identity, account, provider, grants: usage.grants, expiresAt: endsAt },
      this.deps.cluster,
      this.deps.clusterName,
      run.now,
    );
    // Removing grants that have ended is always allowed, even when the guardrails now refuse them.
    if (!observeOnly && endsAt && endsAt.getTime() <= run.now.getTime())
      return this.expire(provider, request, run);

    const created = Date.parse(binding.metadata.creationTimestamp ?? '') || run.now.getTime();
    const refusal = guardrailRefusal(account.spec, resolved, {
      lifetimeMs: endsAt ? endsAt.getTime() - created : undefined,
      identityResourceGroup: identity.spec.azure?.resourceGroup,
    });
    if (refusal) {
      const remaining = binding.status?.grants?.length
        ? ' The grants applied before remain in the cloud until the binding passes the guardrails or is deleted.'
        : '';
      throw run.stop(refusal.reason, `${refusal.problems.join('; ')}${remaining}`);
    }
    if (observeOnly) return this.observeOnly(provider, request, account, run);

    let observed: GrantObservation;
    try {
      observed = await provider.grants.observe(run.ctx, request);
    } catch (err) {
      throw run.fail(err, 'observing the grants');
    }
    // Nothing refuses the binding: what follows writes what deletion must undo.
    await ensureFinalizer(this.deps.writer, run);
    const current =
      usage.grants.length > 0
        ? await converge(
            provider.grants,
            request,
            observed,
            {
              what: `the grants of ${binding.metadata.name}`,
              // A revocation changes the cloud though the spec did not: it is applied whatever the drift policy.
              specChanged: specPending(binding) || usage.revoking.length > 0,
              driftPolicy: policies.drift(identity),
              adopting: false,
            },
            run,
          )
        : await this.revokeAll(provider, request, observed, run);
    run.status.grants = current.applied;
    run.status.members = current.members;
    run.observed();
    run.set(synced(), ready(Reason.Available, `Granted on ${identity.status.externalName}.`));
    reportGrantUsage(binding, identity, account, usage, run);
    const untilExpiry = endsAt ? endsAt.getTime() - run.now.getTime() : Number.POSITIVE_INFINITY;
    return { requeueAfter: Math.min(this.deps.resyncAfter(account), untilExpiry) };
  }

  /** Every grant was revoked as unused: the binding's cloud grants go, as when it is deleted. */
  private async revokeAll(
    provider: CloudProvider,
    request: GrantRequest,
    observed: GrantObservation,
    run: Run,
  ): Promise<GrantObservation> {
    try {
      if (observed.exists) await provider.grants.delete(run.ctx, request);
    } catch (err) {
      throw run.fail(err, 'revoking the unused grants');
    }
    run.status.drift = undefined;
    run.set(notDrifted());
    return { exists: false, upToDate: true, drift: [], applied: [] };
  }

  private async expire(provider: CloudProvider, request: GrantRequest, run: Run): Promise<ReconcileResult> {
    try {
      const observed = await provider.grants.observe(run.ctx, request);
      if (observed.exists) {
        await provider.grants.delete(run.ctx, request);
        run.event(
          'Normal',
          Reason.Expired,
          `The grants ended at ${request.expiresAt?.toISOString()} and were removed.`,
        );
      }
    } catch (err) {
      throw run.fail(err, 'removing expired grants');
    }
    run.status.grants = [];
    run.status.drift = undefined;
    run.observed();
    run.set(
      synced(),
      notDrifted(),
      notReady(Reason.Expired, `The grants ended at ${request.expiresAt?.toISOString()}.`),
    );
    return DONE;
  }

  private async observeOnly(
    provider: CloudProvider,
    request: GrantRequest,
    account: CloudAccount,
    run: Run,
  ): Promise<ReconcileResult> {
    let observed: GrantObservation;
    try {
      observed = await provider.grants.observe(run.ctx, request);
    } catch (err) {
      throw run.fail(err, 'observing the grants');
    }
    run.observed();
    run.status.grants = observed.applied;
    run.status.drift = observed.drift.length > 0 ? observed.drift : undefined;
    run.set(synced('Observed (managementPolicy ObserveOnly); nothing is written.'));
    run.set(observed.drift.length > 0 ? drifted(observed.drift, false) : notDrifted());
    run.set(
      observed.exists
        ? ready(Reason.Observed, 'The grants exist.')
        : notReady(Reason.NotFoundInCloud, 'The grants do not exist in the cloud.'),
    );
    return { requeueAfter: this.deps.resyncAfter(account) };
  }

  private async finalize(
    binding: IdentityBinding,
    identity: WorkloadIdentity | undefined,
    account: CloudAccount | undefined,
    run: Run,
  ): Promise<ReconcileResult> {
    if (!hasFinalizer(binding)) return DONE;
    const removable =
      identity?.status?.externalName &&
      account &&
      policies.deletion(identity) === 'Delete' &&
      policies.management(identity) === 'Manage';
    if (removable) {
      const provider = this.deps.providers.forAccount(accountRequest(account));
      const request = grantRequest(
        {
          binding,
          identity,
          account,
          provider,
          grants: resolvedOrNone(provider, binding, account),
          expiresAt: undefined,
        },
        this.deps.cluster,
        this.deps.clusterName,
        run.now,
      );
      try {
        // The object going (and the audit stream's line) tells of the removal: no Event of its own.
        await provider.grants.delete(run.ctx, request);
      } catch (err) {
        throw run.fail(err, 'removing the grants');
      }
    }
    try {
      await this.deps.writer.removeFinalizer('IdentityBinding', binding, FINALIZER, run.ctx.signal);
    } catch (err) {
      throw run.fail(err, 'removing the finalizer', { reason: Reason.KubernetesError });
    }
    run.finalized = true;
    return DONE;
  }
}

interface GrantRequestParts {
  binding: IdentityBinding;
  identity: WorkloadIdentity;
  account: CloudAccount;
  provider: CloudProvider;
  grants: ResolvedGrant[];
  expiresAt: Date | undefined;
}

/** Everything the provider needs about one binding, its identity, and the identity's other bindings. */
function grantRequest(
  parts: GrantRequestParts,
  cluster: ClusterReader,
  clusterName: string,
  now: Date,
): GrantRequest {
  const { binding, identity, account, provider } = parts;
  const otherGrants = cluster
    .bindingsOf(binding.metadata.namespace ?? '', identity.metadata.name)
    .filter((other) => other.metadata.uid !== binding.metadata.uid && !isBeingDeleted(other))
    .filter((other) => (grantsEndAt(other)?.getTime() ?? Number.POSITIVE_INFINITY) > now.getTime())
    .flatMap((other) => {
      try {
        return provider.grants.resolve(other.spec.grants, accountRequest(account));
      } catch {
        // A sibling with invalid grants has nothing in the cloud to protect.
        return [];
      }
    });
  return {
    owner: ownerOf(binding, clusterName),
    account: accountRequest(account),
    identity: {
      owner: ownerOf(identity, clusterName),
      externalName: identity.status?.externalName ?? '',
      principal: identity.status?.principal ?? {},
    },
    grants: parts.grants,
    expiresAt: parts.expiresAt,
    previous: binding.status?.grants ?? [],
    previousMembers: binding.status?.members ?? [],
    otherGrants,
  };
}

/** The binding's grants as the cloud knows them, or none when they never resolved (nothing was applied). */
function resolvedOrNone(
  provider: CloudProvider,
  binding: IdentityBinding,
  account: CloudAccount,
): ResolvedGrant[] {
  try {
    return provider.grants.resolve(binding.spec.grants, accountRequest(account));
  } catch {
    return [];
  }
}
