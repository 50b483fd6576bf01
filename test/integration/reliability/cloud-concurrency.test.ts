/**
 * --cloud-concurrency on the real API server with the real AWS provider against moto: reconciles
 * beyond it run, but their cloud calls wait for a turn.
 */
import { expect, it } from 'vitest';
import { AWS_ACCOUNT_NAME, describeWithAws } from '../../support/aws-harness.js';
import { waitForAccountReady, waitForCondition, workloadIdentity } from '../../support/keyless-objects.js';
import { apply } from '../../support/kube-manifests.js';

const SLOW_MS = 300;
const IDENTITIES = ['a', 'b', 'c', 'd'];

describeWithAws(
  'cloud calls in flight per kind',
  (world) => {
    it('keeps one identity call in the cloud at a time with --cloud-concurrency=1, while 4 reconciles run', async () => {
      await waitForAccountReady(world.admin(), AWS_ACCOUNT_NAME);
      const slow = world.proxy().inject({ operation: 'GetRole', latencyMs: SLOW_MS });
      const from = world.proxy().calls().length;
      await Promise.all(
        IDENTITIES.map((name) => apply(world.admin(), workloadIdentity(name, AWS_ACCOUNT_NAME))),
      );
      await Promise.all(
        IDENTITIES.map((name) =>
          waitForCondition(world.admin(), workloadIdentity(name, AWS_ACCOUNT_NAME), 'Ready', {
            status: 'True',
          }),
        ),
      );
      slow.remove();

      const reads = world
        .proxy()
        .calls()
        .slice(from)
        .filter((call) => call.operation === 'GetRole');
      expect(reads.length).toBeGreaterThanOrEqual(IDENTITIES.length);
      // Each slow read holds the one turn: with 4 workers and no gate all 4 first reads would overlap.
      expect(mostAtOnce(reads)).toBe(1);
    });
  },
  { operatorArgs: ['--workers=4', '--cloud-concurrency=1'] },
);

/** The most calls open at one moment, from when the proxy read each to when its response ended. */
function mostAtOnce(calls: readonly { receivedAt: number; closedAt: number | undefined }[]): number {
  const edges = calls.flatMap((call) => [
    { at: call.receivedAt, step: 1 },
    { at: call.closedAt ?? Number.POSITIVE_INFINITY, step: -1 },
  ]);
  // At equal times the end goes first: a call that ended as the next was read did not overlap it.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let most = 0;
  for (const { step } of edges) {
    open += step;
    most = Math.max(most, open);
  }
  return most;
}
