/**
 * A cloud call that never answers, on the real API server with the real AWS provider against moto:
 * the reconcile ends at its deadline with reason Timeout, its worker is free for other objects
 * meanwhile, and the object converges once the cloud answers again.
 */
import { expect, it } from 'vitest';
import { AWS_ACCOUNT_NAME, describeWithAws, motoRoleName } from '../../support/aws-harness.js';
import {
  conditionOf,
  type Observed,
  waitForAccountReady,
  waitForCondition,
  workloadIdentity,
} from '../../support/keyless-objects.js';
import { apply, get } from '../../support/kube-manifests.js';

const NEVER_MS = 3_600_000;

describeWithAws(
  'a cloud call that never answers',
  (world) => {
    const nameOf = (identity: string) => motoRoleName(identity, world.controlPlane().issuerUrl);

    it('ends the reconcile at its deadline with reason Timeout, frees the worker, and converges once the cloud answers', async () => {
      await waitForAccountReady(world.admin(), AWS_ACCOUNT_NAME);
      const hungRole = `RoleName=${nameOf('hung')}`;
      const hang = world.proxy().inject({
        operation: 'GetRole',
        when: (request) => request.body.toString().includes(hungRole),
        latencyMs: NEVER_MS,
      });
      const started = Date.now();
      await apply(world.admin(), workloadIdentity('hung', AWS_ACCOUNT_NAME));
      await waitFor(async () => hang.applied() > 0);
      // One worker per kind: another identity converges only if the hung reconcile let go of it.
      await apply(world.admin(), workloadIdentity('other', AWS_ACCOUNT_NAME));
      await waitForCondition(world.admin(), workloadIdentity('other', AWS_ACCOUNT_NAME), 'Ready', {
        status: 'True',
      });
      const otherReadyAfterMs = Date.now() - started;

      // A timeout is retried, so the generation stays unobserved: wait on the condition alone.
      let synced: ReturnType<typeof conditionOf>;
      await waitFor(async () => {
        synced = conditionOf(
          await get<Observed>(world.admin(), workloadIdentity('hung', AWS_ACCOUNT_NAME)),
          'Synced',
        );
        return synced?.reason === 'Timeout';
      });
      expect(synced).toMatchObject({
        status: 'False',
        message:
          'observing the cloud identity: GetRole: the reconcile did not finish within its deadline of 3s',
      });
      const abandoned = world
        .proxy()
        .calls()
        .filter((call) => call.operation === 'GetRole' && !call.answered && call.closedAt !== undefined);
      expect(abandoned.length).toBeGreaterThan(0);

      hang.remove();
      const ready = await waitForCondition(
        world.admin(),
        workloadIdentity('hung', AWS_ACCOUNT_NAME),
        'Ready',
        {
          status: 'True',
        },
      );
      expect(ready.status?.principal?.roleArn).toContain(nameOf('hung'));
      const hungAttempts = world
        .proxy()
        .calls()
        .filter((call) => call.operation === 'GetRole' && !call.answered).length;
      console.log(
        `hung GetRole: ${hungAttempts} calls abandoned at the 3s deadline; the other identity was Ready ` +
          `${otherReadyAfterMs} ms after the first; Synced=${synced?.reason}: ${synced?.message}`,
      );
    });
  },
  { operatorArgs: ['--workers=1', '--reconcile-timeout=3s', '--cloud-call-timeout=3s'] },
);

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
