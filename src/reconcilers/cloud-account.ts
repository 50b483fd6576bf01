import type { CloudAccount } from '../api/index.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { TerminalError } from '../runtime/errors.js';
import { parseKey } from '../runtime/kube-object.js';
import { ready, synced } from './conditions.js';
import type { ReconcilerDeps } from './deps.js';
import { Reason } from './reasons.js';
import { ReconcileRun, syncAndWriteStatus } from './reconcile-run.js';
import { accountRequest } from './requests.js';

/**
 * CloudAccount → Ready when the operator's credentials work in that account, checked again every
 * resync interval. Credentials get fixed outside Kubernetes (a Secret rotated, a permission
 * granted), so even a terminal failure is checked again, at that slow pace.
 */
export class CloudAccountReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  readonly reconcile = async (key: string, context: ReconcileContext): Promise<ReconcileResult> => {
    const account = this.deps.cluster.account(parseKey(key).name);
    if (!account) return {};
    const run = new ReconcileRun('CloudAccount', account, context.logger, this.deps.events, this.deps.clock);
    return syncAndWriteStatus(run, this.deps.writer, () => this.sync(account, run));
  };

  private async sync(account: CloudAccount, run: ReconcileRun<'CloudAccount'>): Promise<ReconcileResult> {
    run.status.identityCount = this.deps.cluster.identitiesOf(account.metadata.name).length;
    run.observed();
    const provider = this.deps.providers.forAccount(accountRequest(account));
    try {
      const principals = this.deps.cluster
        .identitiesOf(account.metadata.name)
        .flatMap((wi) => (wi.status?.principal ? [wi.status.principal] : []));
      const observation = await provider.accounts.check(accountRequest(account), { principals });
      run.status.callerIdentity = observation.callerIdentity;
      run.set(ready(Reason.CredentialsValid, `Signed in as ${observation.callerIdentity}.`), synced());
    } catch (err) {
      const failure = await run.fail(err, 'checking the credentials', { notReady: true });
      if (!(failure instanceof TerminalError)) throw failure;
    }
    return { requeueAfter: this.deps.resyncAfter(account) };
  }
}
