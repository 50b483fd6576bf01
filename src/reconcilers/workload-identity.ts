import type { CloudAccount, IdentityBinding, Principal, WorkloadIdentity } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import { namespaceAllowed } from '../policy/guardrails.js';
import type { CloudProvider, IdentityObservation, IdentityRequest } from '../providers/provider.js';
import { describeOwner, sameOwner } from '../providers/shared/ownership.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { parseKey } from '../runtime/kube-object.js';
import { settleAll } from '../runtime/settle.js';
import { drifted, getCondition, isTrue, notDrifted, notReady, ready, synced } from './conditions.js';
import { converge } from './converge.js';
import type { ReconcilerDeps } from './deps.js';
import { associationsVerdict } from './pod-identity.js';
import type { ServiceAccountState } from './ports.js';
import { ensureFinalizer, ReconcileRun, step, syncAndWriteStatus } from './reconcile-run.js';
import {
  accountRequest,
  FINALIZER,
  hasFinalizer,
  identityRequest,
  isBeingDeleted,
  policies,
  specPending,
} from './requests.js';
import { functionsVerdict, roleDeletedMessage } from './serverless-functions.js';
import {
  serviceAccountAnnotation,
  serviceAccountNames,
  wantedAnnotations,
} from './service-account-annotations.js';
import { replacingFields } from './status-fields.js';
import { reviewUsage } from './usage-review.js';

type Run = ReconcileRun<'WorkloadIdentity'>;
const DONE: ReconcileResult = {};

/**
 * WorkloadIdentity → a cloud identity whose trust only its subjects can use, and the ServiceAccount
 * annotation that lets the cloud SDKs in the pod find it.
 */
export class WorkloadIdentityReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  readonly reconcile = async (key: string, context: ReconcileContext): Promise<ReconcileResult> => {
    const { namespace, name } = parseKey(key);
    const identity = this.deps.cluster.identity(namespace ?? '', name);
    if (!identity) return DONE;
    const run = new ReconcileRun('WorkloadIdentity', identity, context, this.deps.events);
    return syncAndWriteStatus(run, this.deps.writer, () => this.sync(identity, run));
  };

  private async sync(identity: WorkloadIdentity, run: Run): Promise<ReconcileResult> {
    const account = this.deps.cluster.account(identity.spec.accountRef.name);
    run.recheckAfterMs = this.deps.resyncAfter(account);
    if (isBeingDeleted(identity)) return this.finalize(identity, account, run);

    if (!account) {
      run.wait(Reason.AccountNotFound, `CloudAccount ${identity.spec.accountRef.name} does not exist.`);
      return DONE;
    }
    if (!isTrue(account.status?.conditions, 'Ready')) {
      // Neither has been reconciled yet: the account's first Ready condition wakes this identity.
      // Saying AccountNotReady now would cost a status write per identity (and one per binding,
      // which waits for it) whenever an account and its identities are applied together.
      if (
        !getCondition(account.status?.conditions, 'Ready') &&
        !getCondition(identity.status?.conditions, 'Ready')
      )
        return DONE;
      run.wait(Reason.AccountNotReady, `CloudAccount ${account.metadata.name} is not Ready.`);
      return DONE;
    }
    if (!namespaceAllowed(account.spec.guardrails, identity.metadata.namespace ?? '')) {
      throw run.stop(
        Reason.NamespaceNotAllowed,
        `CloudAccount ${account.metadata.name} does not allow namespace ${identity.metadata.namespace}.`,
      );
    }

    const provider = this.deps.providers.forAccount(accountRequest(account));
    const request = identityRequest(identity, account, this.deps.clusterName);
    try {
      provider.identities.validate(request);
    } catch (err) {
      throw run.fail(err, 'checking the spec', { notReady: true });
    }
    if (policies.management(identity) === 'ObserveOnly')
      return this.observeOnly(provider, request, account, run);

    // The cloud and the ServiceAccounts are read at once.
    let observed: IdentityObservation;
    let serviceAccounts: Map<string, ServiceAccountState>;
    try {
      [observed, serviceAccounts] = await settleAll([
        step(provider.identities.observe(run.ctx, request), 'observing the cloud identity'),
        this.readServiceAccounts(identity, run),
      ]);
    } catch (err) {
      throw run.failStep(err, 'observing the cloud identity');
    }
    if (observed.exists && !sameOwner(observed.owner, request.owner) && !request.adopt) {
      throw run.stop(
        Reason.NotOwned,
        `${observed.externalName} already exists and belongs to ${describeOwner(observed.owner)}; ` +
          'annotate this object with keyless.dev/adopt: "true" to take it over.',
      );
    }
    // Nothing refuses the object: what follows writes what deletion must undo.
    await ensureFinalizer(this.deps.writer, run);

    const current = await converge(
      provider.identities,
      request,
      observed,
      {
        what: observed.externalName,
        specChanged: specPending(identity),
        driftPolicy: policies.drift(identity),
        adopting: observed.exists && !sameOwner(observed.owner, request.owner),
      },
      run,
    );

    const { missing, claimed } = await this.annotateServiceAccounts(
      identity,
      serviceAccounts,
      current,
      account,
      run,
    );
    run.status.principal = replacing(run.status.principal, current.principal);
    run.status.externalName = current.externalName;
    run.status.functions = current.functions;
    run.status.podIdentityAssociations = current.podIdentityAssociations;
    run.observed();
    run.set(synced());
    if (missing.length > 0) {
      run.set(
        notReady(Reason.ServiceAccountNotFound, `ServiceAccount ${missing.join(', ')} does not exist yet.`),
      );
      return { requeueAfter: Math.min(60_000, this.deps.resyncAfter(account)) };
    }
    if (claimed.length > 0) {
      run.set(
        notReady(
          Reason.ServiceAccountClaimed,
          `ServiceAccount ${claimed.join(', ')}: the ${account.spec.provider} annotation names an older identity; pods using it do not get this one.`,
        ),
      );
      return { requeueAfter: this.deps.resyncAfter(account) };
    }
    const associations = associationsVerdict(current.podIdentityAssociations);
    if (associations) {
      run.set(associations);
      return { requeueAfter: this.deps.resyncAfter(account) };
    }
    const functions = functionsVerdict(current.functions);
    if (functions) {
      run.set(functions);
      const missingOnly = functions.reason === Reason.FunctionNotFound;
      return {
        requeueAfter: missingOnly
          ? Math.min(60_000, this.deps.resyncAfter(account))
          : this.deps.resyncAfter(account),
      };
    }
    run.set(ready(Reason.Available, `${current.externalName} is ready to use.`));
    return this.reviewed(provider, account, run);
  }

  /** Converged (or observed): its use is read when the review is due, and never blocks it. */
  private async reviewed(provider: CloudProvider, account: CloudAccount, run: Run): Promise<ReconcileResult> {
    const identity = run.object as WorkloadIdentity;
    const untilReview = await reviewUsage(provider, identity, account, run, this.deps.random ?? Math.random);
    return { requeueAfter: Math.min(this.deps.resyncAfter(account), untilReview) };
  }

  private async observeOnly(
    provider: CloudProvider,
    request: IdentityRequest,
    account: CloudAccount,
    run: Run,
  ): Promise<ReconcileResult> {
    let observed: IdentityObservation;
    try {
      observed = await provider.identities.observe(run.ctx, request);
    } catch (err) {
      throw run.fail(err, 'observing the cloud identity');
    }
    run.observed();
    run.status.externalName = observed.externalName;
    run.status.principal = replacing(run.status.principal, observed.principal);
    run.status.functions = observed.functions;
    run.status.podIdentityAssociations = observed.podIdentityAssociations;
    run.status.drift = observed.drift.length > 0 ? observed.drift : undefined;
    run.set(synced('Observed (managementPolicy ObserveOnly); nothing is written.'));
    run.set(observed.drift.length > 0 ? drifted(observed.drift, false) : notDrifted());
    if (!observed.exists) {
      run.set(notReady(Reason.NotFoundInCloud, `${observed.externalName} does not exist in the cloud.`));
      return { requeueAfter: this.deps.resyncAfter(account) };
    }
    run.set(ready(Reason.Observed, `${observed.externalName} exists.`));
    return this.reviewed(provider, account, run);
  }

  private async readServiceAccounts(
    identity: WorkloadIdentity,
    run: Run,
  ): Promise<Map<string, ServiceAccountState>> {
    const namespace = identity.metadata.namespace ?? '';
    const states = await settleAll(
      serviceAccountNames(identity).map(({ name }) =>
        step(
          this.deps.serviceAccounts
            .get(namespace, name, run.ctx.signal)
            .then((state) => [name, state] as const),
          `reading ServiceAccount ${namespace}/${name}`,
          { reason: Reason.KubernetesError },
        ),
      ),
    );
    return new Map(states);
  }

  /**
   * Writes Keyless's annotation set on each ServiceAccount subject (`states`: as read alongside the
   * cloud); returns those still missing and those whose annotation for this cloud
   * names another (older) identity.
   */
  private async annotateServiceAccounts(
    identity: WorkloadIdentity,
    states: Map<string, ServiceAccountState>,
    current: IdentityObservation,
    account: CloudAccount,
    run: Run,
  ): Promise<{ missing: string[]; claimed: string[] }> {
    const namespace = identity.metadata.namespace ?? '';
    const missing: string[] = [];
    const claimed: string[] = [];
    const ourKey = serviceAccountAnnotation(account.spec.provider, current.principal)?.key;
    const previous = serviceAccountAnnotation(account.spec.provider, identity.status?.principal);
    for (const { name, create } of serviceAccountNames(identity)) {
      try {
        let state = states.get(name);
        // Missing when read with the cloud: it may have been applied alongside this identity.
        if (!state?.exists && !create)
          state = await this.deps.serviceAccounts.get(namespace, name, run.ctx.signal);
        if (!state) throw new Error(`ServiceAccount ${name} was not read`);
        if (!state.exists && !create) {
          missing.push(name);
          continue;
        }
        const { annotations, claimedBy } = wantedAnnotations(this.deps.cluster, namespace, name, {
          identity,
          principal: current.principal,
        });
        if (ourKey && claimedBy[ourKey] !== identity.metadata.name)
          claimed.push(`${name} (by ${claimedBy[ourKey]})`);
        const stale = Object.entries(annotations).some(([k, v]) => state.annotations[k] !== v);
        // The principal status last reported no longer needs an annotation (Google Cloud mode Direct): release it.
        const released =
          previous !== undefined &&
          !(previous.key in annotations) &&
          state.annotations[previous.key] === previous.value;
        if (!state.exists || stale || released)
          await this.deps.serviceAccounts.applyAnnotations(namespace, name, annotations, run.ctx.signal);
      } catch (err) {
        throw run.fail(err, `annotating ServiceAccount ${namespace}/${name}`, {
          reason: Reason.KubernetesError,
        });
      }
    }
    return { missing, claimed };
  }

  /**
   * Once its bindings are gone: the cloud identity deleted (or left, by policy) while the
   * ServiceAccounts are released, at once (the identity goes either way, and either step is
   * idempotent when a failure brings it back), then the finalizer.
   */
  private async finalize(
    identity: WorkloadIdentity,
    account: CloudAccount | undefined,
    run: Run,
  ): Promise<ReconcileResult> {
    if (!hasFinalizer(identity)) return DONE;
    const bindings = this.deps.cluster.bindingsOf(identity.metadata.namespace ?? '', identity.metadata.name);
    if (bindings.length > 0) return waitForBindings(identity, bindings, run);
    try {
      await settleAll([
        this.removeCloudIdentity(identity, account, run),
        this.releaseServiceAccounts(identity, run),
      ]);
    } catch (err) {
      throw run.failStep(err, 'deleting the cloud identity');
    }
    try {
      await this.deps.writer.removeFinalizer('WorkloadIdentity', identity, FINALIZER, run.ctx.signal);
    } catch (err) {
      throw run.fail(err, 'removing the finalizer', { reason: Reason.KubernetesError });
    }
    run.finalized = true;
    return DONE;
  }

  /** Deletes the cloud identity under deletionPolicy Delete and Manage, or says why it stays. */
  private async removeCloudIdentity(
    identity: WorkloadIdentity,
    account: CloudAccount | undefined,
    run: Run,
  ): Promise<void> {
    if (!account) {
      run.event(
        'Warning',
        Reason.AccountNotFound,
        `CloudAccount ${identity.spec.accountRef.name} is gone, so the cloud identity could not be deleted and is left in place.`,
      );
      return;
    }
    if (policies.deletion(identity) !== 'Delete' || policies.management(identity) !== 'Manage') {
      run.event('Normal', Reason.Retained, 'The cloud identity is left in place (Retain or ObserveOnly).');
      return;
    }
    const provider = this.deps.providers.forAccount(accountRequest(account));
    const request = identityRequest(identity, account, this.deps.clusterName);
    await step(this.deleteIfOwned(provider, request, run), 'deleting the cloud identity');
  }

  /** Only an identity that exists and is this object's is deleted. */
  private async deleteIfOwned(provider: CloudProvider, request: IdentityRequest, run: Run): Promise<void> {
    const observed = await provider.identities.observe(run.ctx, request);
    if (!observed.exists || !sameOwner(observed.owner, request.owner)) return;
    // The object going (and the audit stream's line) tells of the deletion: no Event of its own.
    await provider.identities.delete(run.ctx, request);
    // Functions are never deleted nor given another role: each is only told of.
    const runsAs = observed.principal?.roleArn ?? observed.principal?.email;
    for (const fn of observed.functions ?? [])
      if (runsAs && fn.role === runsAs)
        run.event('Warning', Reason.FunctionRoleDeleted, roleDeletedMessage(fn.arn, runsAs));
  }

  private async releaseServiceAccounts(identity: WorkloadIdentity, run: Run): Promise<void> {
    const namespace = identity.metadata.namespace ?? '';
    for (const { name } of serviceAccountNames(identity))
      await step(
        this.releaseServiceAccount(identity, namespace, name, run),
        `releasing ServiceAccount ${namespace}/${name}`,
        { reason: Reason.KubernetesError },
      );
  }

  private async releaseServiceAccount(
    identity: WorkloadIdentity,
    namespace: string,
    name: string,
    run: Run,
  ): Promise<void> {
    const state = await this.deps.serviceAccounts.get(namespace, name, run.ctx.signal);
    if (!state.exists) return;
    const { annotations } = wantedAnnotations(this.deps.cluster, namespace, name, {
      identity,
      principal: undefined,
    });
    await this.deps.serviceAccounts.applyAnnotations(namespace, name, annotations, run.ctx.signal);
  }
}

/**
 * How long after its deletion an identity waits for bindings that are not yet being deleted before
 * it says so in status: long enough for `kubectl delete -f` to reach a binding listed after its
 * identity, short enough that a deletion held up by a binding left behind is explained at once.
 */
export const BINDINGS_WAIT_REPORTED_AFTER_MS = 10_000;

/**
 * An identity goes after its bindings; each binding's going wakes it (see wake-ups.ts). A wait
 * that ends of itself is not worth a status write (and the Ready change would wake the bindings):
 * bindings already being deleted, with only Keyless's finalizer left, are going, and the others get
 * BINDINGS_WAIT_REPORTED_AFTER_MS from the identity's deletion to follow it. A wait already
 * reported is kept up to date.
 */
function waitForBindings(identity: WorkloadIdentity, bindings: IdentityBinding[], run: Run): ReconcileResult {
  const reported = getCondition(identity.status?.conditions, 'Ready')?.reason === Reason.WaitingForBindings;
  if (!reported) {
    const held = bindings.filter((binding) => !goingByItself(binding));
    if (held.length === 0) return DONE;
    const waitedMs = run.now.getTime() - Date.parse(identity.metadata.deletionTimestamp ?? '');
    if (waitedMs < BINDINGS_WAIT_REPORTED_AFTER_MS)
      return { requeueAfter: BINDINGS_WAIT_REPORTED_AFTER_MS - waitedMs };
  }
  run.wait(
    Reason.WaitingForBindings,
    `Deletion waits for IdentityBindings ${bindings.map((b) => b.metadata.name).join(', ')} to be deleted.`,
  );
  return DONE;
}

/** Being deleted, and nothing but Keyless's own finalizer holds it. */
function goingByItself(binding: IdentityBinding): boolean {
  return isBeingDeleted(binding) && (binding.metadata.finalizers ?? []).every((f) => f === FINALIZER);
}

/** The principal status reports now; fields of a previous shape are removed (a Google Cloud identity changing mode). */
function replacing(previous: Principal | undefined, next: Principal | undefined): Principal | undefined {
  return previous && next ? replacingFields(previous, next) : next;
}
