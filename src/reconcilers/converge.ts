import { Reason } from '../api/reasons.js';
import type { ExternalClient, Observation } from '../providers/provider.js';
import { type ConditionInput, drifted, isTrue, notDrifted } from './conditions.js';
import type { KeylessKind } from './ports.js';
import type { ReconcileRun } from './reconcile-run.js';

type ManagedKind = Extract<KeylessKind, 'WorkloadIdentity' | 'IdentityBinding'>;

export interface ConvergeOptions {
  /** How Events and messages name the cloud object. */
  what: string;
  /** The spec may not be in the cloud yet (see specPending): apply it whatever the drift policy. */
  specChanged: boolean;
  driftPolicy: 'Correct' | 'Report';
  /** Take over an existing object that another owner's tags claim. */
  adopting: boolean;
}

/**
 * Decide and act on one observation: create what is missing, apply a changed spec, and correct or
 * report out-of-band drift. Sets the Drifted condition and `status.drift`; returns what the cloud
 * holds afterwards.
 */
export async function converge<Request, Obs extends Observation>(
  client: ExternalClient<Request, Obs>,
  request: Request,
  observed: Obs,
  options: ConvergeOptions,
  run: ReconcileRun<ManagedKind>,
): Promise<Obs> {
  if (!observed.exists) {
    try {
      const created = await client.create(run.ctx, request);
      // A first creation is told by Ready turning True (and the audit stream), not by an Event of
      // its own: one API write less per object. A cloud object that vanished after the object was
      // Ready is news, so its re-creation gets one.
      if (isTrue(run.object.status?.conditions, 'Ready'))
        run.event(
          'Normal',
          Reason.Created,
          `Created ${options.what} again: it no longer existed in the cloud.`,
        );
      recordSync(run, notDrifted());
      return created;
    } catch (err) {
      throw run.fail(err, `creating ${options.what}`, { notReady: true });
    }
  }
  if (observed.upToDate && !options.adopting) {
    run.status.drift = undefined;
    run.set(notDrifted());
    return observed;
  }
  const correcting = !options.specChanged && !options.adopting;
  if (correcting && options.driftPolicy === 'Report')
    return applyPendingAndReport(client, request, observed, options, run);
  try {
    const updated = await client.update(run.ctx, request, observed);
    // What the update could not change (a Lambda function the operator may not touch) stays drift.
    const left = updated.upToDate ? [] : updated.drift;
    const fixed = {
      ...observed,
      drift: observed.drift.filter((d) => !left.some((l) => l.field === d.field)),
    };
    if (options.adopting) run.event('Normal', Reason.Adopted, `Adopted ${options.what}.`);
    else if (correcting && fixed.drift.length > 0)
      run.event('Normal', Reason.DriftCorrected, describeDrift(options.what, fixed));
    else if (!correcting) run.event('Normal', Reason.Updated, `Updated ${options.what}.`);
    if (left.length > 0) {
      recordSync(run, drifted(left, false));
      run.status.drift = left;
    } else recordSync(run, correcting ? drifted(observed.drift, true) : notDrifted());
    return updated;
  } catch (err) {
    throw run.fail(err, `updating ${options.what}`);
  }
}

/**
 * driftPolicy Report: the out-of-band drift is only reported, but what the spec asks and the
 * cloud never had (`observed.pending`) is applied first.
 */
async function applyPendingAndReport<Request, Obs extends Observation>(
  client: ExternalClient<Request, Obs>,
  request: Request,
  observed: Obs,
  options: ConvergeOptions,
  run: ReconcileRun<ManagedKind>,
): Promise<Obs> {
  const pending = new Set(observed.pending ?? []);
  let current = observed;
  if (pending.size > 0) {
    try {
      const onlyPending = { ...observed, drift: observed.drift.filter((d) => pending.has(d.field)) };
      const updated = await client.update(run.ctx, request, onlyPending);
      const left = updated.upToDate ? [] : updated.drift;
      const reported = observed.drift.filter((d) => !pending.has(d.field));
      current = { ...updated, drift: [...reported, ...left], upToDate: reported.length + left.length === 0 };
      run.event('Normal', Reason.Updated, `Updated ${options.what}: ${[...pending].join(', ')}.`);
    } catch (err) {
      throw run.fail(err, `updating ${options.what}`);
    }
  }
  if (current.drift.length === 0) {
    recordSync(run, notDrifted());
    return current;
  }
  run.status.drift = current.drift;
  run.set(drifted(current.drift, false));
  return current;
}

function recordSync(run: ReconcileRun<ManagedKind>, drift: ConditionInput): void {
  run.status.drift = undefined;
  run.status.lastSyncTime = run.now.toISOString();
  run.set(drift);
}

function describeDrift(what: string, observed: Observation): string {
  return `Corrected out-of-band changes to ${what}: ${observed.drift
    .map((d) => `${d.field} (found ${d.found}, wanted ${d.wanted})`)
    .join('; ')}`;
}
