import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Drift, WorkloadIdentity } from '../../../src/api/index.js';
import type { ExternalClient, Observation } from '../../../src/providers/provider.js';
import { converge } from '../../../src/reconcilers/converge.js';
import { ReconcileRun } from '../../../src/reconcilers/reconcile-run.js';
import { realClock } from '../../../src/runtime/clock.js';
import { backgroundContext } from '../../../src/runtime/context.js';

const ROLE: Drift = { field: 'maxSessionDuration', wanted: '3600', found: '7200' };
const LOCKED: Drift = {
  field: 'functions[arn:locked].role',
  wanted: 'arn:role/ours',
  found: 'arn:role/theirs',
};

function runOf() {
  const identity: WorkloadIdentity = {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name: 'app', namespace: 'team', generation: 1 },
    spec: { accountRef: { name: 'acct' }, subjects: [{ serviceAccount: { name: 'app' } }] },
  };
  const events: string[] = [];
  const run = new ReconcileRun(
    'WorkloadIdentity',
    identity,
    { ...backgroundContext(pino({ level: 'silent' }), realClock), reconcileId: 'test' },
    { record: async (_kind, _object, _type, reason, message) => void events.push(`${reason}: ${message}`) },
  );
  return { run, events };
}

/** A client whose update leaves `left` as it found it. */
function clientLeaving(left: Drift[]): ExternalClient<null, Observation> {
  return {
    observe: async () => ({ exists: true, upToDate: true, drift: [] }),
    create: async () => ({ exists: true, upToDate: true, drift: [] }),
    update: async () => ({ exists: true, upToDate: left.length === 0, drift: left }),
    delete: async () => undefined,
  };
}

const options = { what: 'role r', specChanged: false, driftPolicy: 'Correct' as const, adopting: false };
const observed: Observation = { exists: true, upToDate: false, drift: [ROLE, LOCKED] };

describe('converge under driftPolicy Correct', () => {
  it('tells of every corrected field when the update fixed all', async () => {
    const { run, events } = runOf();
    await converge(clientLeaving([]), null, observed, options, run);
    await run.sendEvents();
    expect(events).toEqual([
      'DriftCorrected: Corrected out-of-band changes to role r: maxSessionDuration (found 7200, wanted 3600); functions[arn:locked].role (found arn:role/theirs, wanted arn:role/ours)',
    ]);
    expect(run.status.drift).toBeUndefined();
    expect(run.status.conditions?.find((c) => c.type === 'Drifted')).toMatchObject({
      status: 'False',
      reason: 'DriftCorrected',
    });
  });

  it('keeps what the update could not change as drift, and claims only the rest corrected', async () => {
    const { run, events } = runOf();
    await converge(clientLeaving([LOCKED]), null, observed, options, run);
    await run.sendEvents();
    expect(events).toEqual([
      'DriftCorrected: Corrected out-of-band changes to role r: maxSessionDuration (found 7200, wanted 3600)',
    ]);
    expect(run.status.drift).toEqual([LOCKED]);
    expect(run.status.conditions?.find((c) => c.type === 'Drifted')).toMatchObject({
      status: 'True',
      reason: 'DriftDetected',
    });
  });

  it('sends no DriftCorrected Event when nothing could be changed', async () => {
    const { run, events } = runOf();
    await converge(clientLeaving([LOCKED]), null, { ...observed, drift: [LOCKED] }, options, run);
    await run.sendEvents();
    expect(events).toEqual([]);
    expect(run.status.drift).toEqual([LOCKED]);
  });
});

describe('converge under driftPolicy Report', () => {
  const report = { ...options, driftPolicy: 'Report' as const };
  /** A client that records the drift each update was asked to fix. */
  function recording(left: Drift[] = []) {
    const asked: string[][] = [];
    const client: ExternalClient<null, Observation> = {
      ...clientLeaving(left),
      update: async (_ctx, _request, seen) => {
        asked.push(seen.drift.map((d) => d.field));
        return { exists: true, upToDate: left.length === 0, drift: left };
      },
    };
    return { client, asked };
  }

  it('only reports out-of-band drift, and calls no update', async () => {
    const { run, events } = runOf();
    const { client, asked } = recording();
    await converge(client, null, observed, report, run);
    await run.sendEvents();
    expect(asked).toEqual([]);
    expect(events).toEqual([]);
    expect(run.status.drift).toEqual([ROLE, LOCKED]);
  });

  it('applies what the cloud never had (pending) and reports the rest', async () => {
    const { run, events } = runOf();
    const { client, asked } = recording();
    await converge(client, null, { ...observed, pending: [LOCKED.field] }, report, run);
    await run.sendEvents();
    expect(asked).toEqual([[LOCKED.field]]);
    expect(events).toEqual([`Updated: Updated role r: ${LOCKED.field}.`]);
    expect(run.status.drift).toEqual([ROLE]);
    expect(run.status.conditions?.find((c) => c.type === 'Drifted')).toMatchObject({ status: 'True' });
  });

  it('is not drifted once the pending fields were all there was', async () => {
    const { run } = runOf();
    const { client } = recording();
    await converge(client, null, { ...observed, drift: [LOCKED], pending: [LOCKED.field] }, report, run);
    expect(run.status.drift).toBeUndefined();
    expect(run.status.conditions?.find((c) => c.type === 'Drifted')).toMatchObject({ status: 'False' });
  });

  it('keeps a pending field the update could not apply', async () => {
    const { run } = runOf();
    const { client } = recording([LOCKED]);
    await converge(client, null, { ...observed, drift: [LOCKED], pending: [LOCKED.field] }, report, run);
    expect(run.status.drift).toEqual([LOCKED]);
  });
});
