import { ConditionType } from '../api/conditions.js';
import type { CloudAccount, WorkloadIdentity } from '../api/index.js';
import { isReason, Reason } from '../api/reasons.js';
import { accountReviewVerdict } from '../policy/usage.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { classificationOf } from '../runtime/errors.js';
import { parseKey } from '../runtime/kube-object.js';
import { isTrue, ready, synced } from './conditions.js';
import type { ReconcilerDeps } from './deps.js';
import { ensureFinalizer, ReconcileRun, syncAndWriteStatus } from './reconcile-run.js';
import { accountRequest, FINALIZER, hasFinalizer, isBeingDeleted } from './requests.js';

/**
 * Whether the account's check keeps something made of its identities' principals, so that a change
 * of those principals needs a check: Google Cloud's guardrail deny policy lists them.
 */
export function checkKeepsPrincipals(account: CloudAccount): boolean {
  return account.spec.provider === 'gcp';
}

/**
 * CloudAccount → Ready when the operator's credentials work in that account, checked again every
 * resync interval. Credentials get fixed outside Kubernetes (a Secret rotated, a permission
 * granted), so even a terminal failure is checked again, at that slow pace. Deleting an account
 * waits for its WorkloadIdentities.
 *
 * The cloud is checked whenever this runs, so what wakes it is kept to what the check depends on
 * (see wake-ups.ts): the account's own changes, its resync and, where `checkKeepsPrincipals`, its
 * identities' principals. An identity joining or leaving does not: the count in status is taken
 * from the cache on each of those runs, so it costs no status write of its own.
 */
export class CloudAccountReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  readonly reconcile = async (key: string, context: ReconcileContext): Promise<ReconcileResult> => {
    const account = this.deps.cluster.account(parseKey(key).name);
    if (!account) return {};
    const run = new ReconcileRun('CloudAccount', account, context, this.deps.events);
    return syncAndWriteStatus(run, this.deps.writer, () => this.sync(account, run));
  };

  private async sync(account: CloudAccount, run: ReconcileRun<'CloudAccount'>): Promise<ReconcileResult> {
    const identities = this.deps.cluster.identitiesOf(account.metadata.name);
    if (isBeingDeleted(account)) return this.finalize(account, identities, run);
    await ensureFinalizer(this.deps.writer, run);
    run.status.identityCount = identities.length;
    run.observed();
    const provider = this.deps.providers.forAccount(accountRequest(account));
    try {
      const principals = identities.flatMap((wi) => (wi.status?.principal ? [wi.status.principal] : []));
      const observation = await provider.accounts.check(run.ctx, accountRequest(account), { principals });
      run.status.callerIdentity = observation.callerIdentity;
      run.set(ready(Reason.CredentialsValid, `Signed in as ${observation.callerIdentity}.`), synced());
      this.reportReviews(identities, run);
    } catch (err) {
      // A passing failure (throttled, a 5xx, a timeout) does not take back a Ready the credentials
      // earned: their identities would all stop as AccountNotReady for a blip. Synced says it.
      const keepReady =
        isTrue(account.status?.conditions, 'Ready') && classificationOf(err)?.kind !== 'terminal';
      const failure = run.fail(err, 'checking the credentials', { notReady: !keepReady });
      if (failure.kind !== 'terminal') throw failure;
    }
    return { requeueAfter: this.deps.resyncAfter(account) };
  }

  /**
   * UsageReviewed from the identities' status.usage, as the cache holds it: no cloud call of its
   * own, and False only says the reviews fail; the identities converge regardless.
   */
  private reportReviews(identities: WorkloadIdentity[], run: ReconcileRun<'CloudAccount'>): void {
    const verdict = accountReviewVerdict(identities.map((wi) => wi.status?.usage));
    if (!verdict) return;
    const reason = isReason(verdict.reason) ? verdict.reason : Reason.CloudError;
    run.set({
      type: ConditionType.UsageReviewed,
      status: verdict.ok ? 'True' : 'False',
      reason,
      message: verdict.message,
    });
  }

  /**
   * An account goes only after its identities: without it they could not clean up the cloud, and
   * their roles, service accounts and managed identities would be left behind unseen.
   */
  private async finalize(
    account: CloudAccount,
    identities: WorkloadIdentity[],
    run: ReconcileRun<'CloudAccount'>,
  ): Promise<ReconcileResult> {
    if (!hasFinalizer(account)) return {};
    if (identities.length > 0) {
      const names = identities.slice(0, 10).map((wi) => `${wi.metadata.namespace}/${wi.metadata.name}`);
      run.wait(
        Reason.WaitingForIdentities,
        `Deletion waits for ${identities.length} WorkloadIdentities to be deleted: ${names.join(', ')}${identities.length > 10 ? ', ...' : ''}.`,
      );
      // The last identity to go wakes it; until then this message is brought up to date at resync pace.
      return { requeueAfter: this.deps.resyncAfter(account) };
    }
    try {
      await this.deps.writer.removeFinalizer('CloudAccount', account, FINALIZER, run.ctx.signal);
    } catch (err) {
      throw run.fail(err, 'removing the finalizer', { reason: Reason.KubernetesError });
    }
    run.finalized = true;
    return {};
  }
}
