/**
 * The Google Cloud clients stop their HTTP requests when the reconcile's signal aborts: the real
 * clients (googleapis IAM v1, and the gax clients of Resource Manager and IAM v2, which take no signal
 * of their own) against the wire-level fake behind a fault proxy that never answers.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcpClient } from '../../../src/providers/gcp/client.js';
import { AccountLimiter } from '../../../src/providers/shared/cloud-calls.js';
import { realClock } from '../../../src/runtime/clock.js';
import { withDeadline } from '../../../src/runtime/context.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy/index.js';
import { type GcpFake, gcpOperationOf, startGcpFake } from '../../support/gcp-fake/index.js';

const PROJECT = { projectId: 'keyless-cancel', projectNumber: '323456789012' };
const NEVER_MS = 3_600_000;
const DEADLINE_MS = 1500;

describe('Google Cloud calls under a deadline', () => {
  let fake: GcpFake;
  let proxy: FaultProxy;
  let client: GcpClient;

  beforeAll(async () => {
    fake = await startGcpFake({ projects: [PROJECT] });
    proxy = await startFaultProxy({
      target: fake.endpoint,
      operationOf: (request) => gcpOperationOf(request),
    });
    const rate = { qps: 100, burst: 100 };
    client = new GcpClient(
      {
        name: 'gcp-cancel',
        spec: {
          provider: 'gcp',
          gcp: { ...PROJECT, workloadIdentityPool: `${PROJECT.projectId}.svc.id.goog` },
          endpoint: proxy.endpoint,
          credentials: { source: 'Secret', secretRef: { name: 'creds', namespace: 'keyless-system' } },
        },
      },
      { read: async () => ({ access_token: 'test' }) },
      new AccountLimiter({ read: rate, write: rate }),
      60_000,
    );
  });

  afterAll(async () => {
    await proxy?.stop();
    await fake?.stop();
  });

  const calls: Array<[string, (ctx: Parameters<GcpClient['getPolicy']>[0]) => Promise<unknown>]> = [
    [
      'serviceAccounts.getIamPolicy',
      (ctx) => client.getPolicy(ctx, 'projects/-/serviceAccounts/x@y.iam.gserviceaccount.com'),
    ],
    ['projects.getIamPolicy', (ctx) => client.getPolicy(ctx, `projects/${PROJECT.projectId}`)],
    ['denyPolicies.get', (ctx) => client.getDenyPolicy(ctx, `policies/x/denypolicies/keyless-guardrails`)],
  ];
  for (const [operation, send] of calls) {
    it(`stops ${operation} at the reconcile's deadline, and the request really ends`, async () => {
      proxy.clearFaults();
      proxy.inject({ operation, latencyMs: NEVER_MS });
      const seen = proxy.calls().length;
      const scope = withDeadline(
        new AbortController().signal,
        DEADLINE_MS,
        pino({ level: 'silent' }),
        realClock,
      );
      const started = Date.now();
      const outcome = await send(scope.context).catch((err: unknown) => err);
      const tookMs = Date.now() - started;
      scope.end();

      expect(outcome).toMatchObject({ kind: 'retryable', reason: 'Timeout' });
      // The request the proxy held was closed by the client, not answered.
      const ours = () =>
        proxy
          .calls()
          .slice(seen)
          .filter((c) => c.operation === operation);
      await waitUntil(() => ours().some((c) => c.closedAt !== undefined));
      const held = ours();
      expect(held.length).toBe(1);
      expect(held[0]).toMatchObject({ answered: false });
      console.log(
        `${operation}: stopped after ${tookMs} ms (deadline ${DEADLINE_MS} ms), one request, closed by the client`,
      );
    });
  }
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
