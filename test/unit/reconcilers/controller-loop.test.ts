import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Controller } from '../../../src/runtime/controller.js';
import { ClassifiedError } from '../../../src/runtime/errors.js';
import { condition, RESYNC_MS, reconcilerHarness } from '../../support/reconciler-harness.js';

describe('failures under the controller', () => {
  it('a terminal error caused by the spec is tried once and not again until the object changes', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.cloud.injectFault((operation) =>
      operation === 'CreateIdentity'
        ? new ClassifiedError('the policy is malformed', {
            kind: 'terminal',
            reason: 'InvalidRequest',
          })
        : undefined,
    );
    const controller = new Controller({
      name: 'WorkloadIdentity',
      reconcile: h.reconcilers.WorkloadIdentity.reconcile,
      logger: pino({ level: 'silent' }),
      workers: 2,
      clock: h.clock,
    });
    controller.start();
    controller.enqueue('team/app');

    await h.clock.advanceAsync(60 * 60_000);

    expect(h.cloud.calls.get('CreateIdentity')).toBe(1);
    expect(condition(h.identity(), 'Synced')).toMatchObject({
      status: 'False',
      reason: 'InvalidRequest',
    });
    await controller.stop();
  });

  it('a terminal error caused outside the object is checked again at the resync interval, not sooner', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    let quotaReached = true;
    h.cloud.injectFault((operation) =>
      operation === 'CreateIdentity' && quotaReached
        ? new ClassifiedError('role quota reached', { kind: 'terminal', reason: 'LimitExceeded' })
        : undefined,
    );
    const controller = new Controller({
      name: 'WorkloadIdentity',
      reconcile: h.reconcilers.WorkloadIdentity.reconcile,
      logger: pino({ level: 'silent' }),
      clock: h.clock,
    });
    controller.start();
    controller.enqueue('team/app');

    await h.clock.advanceAsync(RESYNC_MS - 1);
    expect(h.cloud.calls.get('CreateIdentity')).toBe(1);
    expect(condition(h.identity(), 'Synced')).toMatchObject({ status: 'False', reason: 'LimitExceeded' });
    quotaReached = false;
    await h.clock.advanceAsync(1);
    expect(h.cloud.calls.get('CreateIdentity')).toBe(2);
    expect(condition(h.identity(), 'Ready')).toMatchObject({ status: 'True' });
    await controller.stop();
  });

  it('a retryable cloud error is retried with growing backoff, not in a hot loop', async () => {
    const h = reconcilerHarness();
    h.applyAccount();
    await h.reconcile('CloudAccount', 'acct');
    h.applyIdentity();
    h.cloud.injectFault((operation) =>
      operation === 'CreateIdentity'
        ? new ClassifiedError('service unavailable', { kind: 'retryable', reason: 'CloudUnavailable' })
        : undefined,
    );
    const controller = new Controller({
      name: 'WorkloadIdentity',
      reconcile: h.reconcilers.WorkloadIdentity.reconcile,
      logger: pino({ level: 'silent' }),
      clock: h.clock,
    });
    controller.start();
    controller.enqueue('team/app');

    await h.clock.advanceAsync(60_000);

    // 5 ms doubling: 0, 5, 15, 35 ... 40,955 ms are the attempts within a minute: 14 of them.
    expect(h.cloud.calls.get('CreateIdentity')).toBe(14);
    await controller.stop();
  });
});
