import { IAMClient, TagRoleCommand } from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube-api/client.js';
import { AWS_ACCOUNT_NAME, awsAccount, describeWithAws, motoRoleName } from '../../support/aws-harness.js';
import { parseExposition, type Sample, samplesOf, scrape, sumOf } from '../../support/exposition.js';
import { awsQueryError } from '../../support/fault-proxy/index.js';
import {
  identityBinding,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../../support/keyless-objects.js';
import { apply, waitFor } from '../../support/kube-manifests.js';
import { queriedMetrics } from '../../support/monitoring-files.js';
import { awsClientConfig, MOTO_ACCOUNT_ID } from '../../support/moto/index.js';
import { promtool } from '../../support/promtool.js';

const BUCKET = 'arn:aws:s3:::shop-invoices';
const WRONG_ACCOUNT = 'aws-wrong-account';
const KINDS = [
  ['CloudAccount', 'cloudaccounts'],
  ['WorkloadIdentity', 'workloadidentities'],
  ['IdentityBinding', 'identitybindings'],
] as const;

/** Objects by kind and Ready status (`Unknown` without a Ready condition), as the API server holds them. */
async function readyStates(admin: KubeClient): Promise<Map<string, number>> {
  const states = new Map<string, number>();
  for (const [kind, plural] of KINDS) {
    const list = await admin.request<{ items: Observed[] }>('GET', `/apis/keyless.dev/v1alpha1/${plural}`);
    for (const object of list.items) {
      const status = object.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
      states.set(`${kind} ${status}`, (states.get(`${kind} ${status}`) ?? 0) + 1);
    }
  }
  return states;
}

/** The same, from the operator's keyless_objects. */
function exposedReadyStates(samples: Sample[]): Map<string, number> {
  const states = new Map<string, number>();
  for (const sample of samplesOf(samples, 'keyless_objects', { condition: 'Ready' })) {
    const key = `${sample.labels.kind} ${sample.labels.status}`;
    states.set(key, (states.get(key) ?? 0) + sample.value);
  }
  return states;
}

/**
 * The operator on moto (IAM enforced, so its credentials are real-looking keys), scraped after it
 * has converged objects in every state the alerts watch: Ready, refused, temporary, drifted under
 * Report, throttled, and an account whose check fails. Every metric the alerts and the dashboard
 * name must be there, with the values the cluster and the cloud say.
 */
describeWithAws(
  'the metrics the alerts and the dashboard use, scraped from the running operator',
  (world) => {
    it('are all exposed, with values that match the cluster and the cloud, and pass promtool check metrics', async () => {
      const admin = world.admin();
      const startedAt = Date.now();
      const issuer = world.controlPlane().issuerUrl;
      const ordersApi = workloadIdentity('orders-api', AWS_ACCOUNT_NAME);
      const reporter = workloadIdentity('reporter', AWS_ACCOUNT_NAME, {
        driftPolicy: 'Report',
        tags: { team: 'shop' },
      });
      const read = identityBinding('orders-read', 'orders-api', [{ resource: BUCKET, access: 'read' }]);
      const oncall = identityBinding('orders-oncall', 'orders-api', [{ resource: BUCKET, access: 'write' }], {
        duration: '2h',
      });
      const passRole = identityBinding('orders-pass-role', 'orders-api', [
        { resource: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/deployer`, actions: ['iam:PassRole'] },
      ]);
      const wrongAccount = awsAccount(world.proxy().endpoint, issuer, '1h', WRONG_ACCOUNT);
      (wrongAccount.spec as { aws: { accountId: string } }).aws.accountId = '999999999999';
      for (const object of [ordersApi, reporter, read, oncall, passRole, wrongAccount])
        await apply(admin, object);

      await waitForCondition(admin, read, 'Ready', { status: 'True' });
      const temporary = await waitForCondition(admin, oncall, 'Ready', { status: 'True' });
      await waitForCondition(admin, passRole, 'Ready', { status: 'False', reason: 'EscalationRefused' });
      await waitForCondition(admin, wrongAccount, 'Ready', { status: 'False', reason: 'AccountMismatch' });
      await waitForCondition(admin, reporter, 'Ready', { status: 'True' });
      // The first usage reviews (an interval after creation: 3 s here) give the usage metrics.
      await waitForCondition(admin, ordersApi, 'Unused', { status: 'False', reason: 'Reviewed' }, 30_000);
      await waitForCondition(admin, read, 'Unused', { status: 'False', reason: 'Reviewed' }, 30_000);

      // Out-of-band drift on the identity that only reports it.
      const iam = new IAMClient(awsClientConfig(world.moto().endpoint, world.credentials()));
      await iam.send(
        new TagRoleCommand({
          RoleName: motoRoleName('reporter', issuer),
          Tags: [{ Key: 'team', Value: 'intruders' }],
        }),
      );
      await waitForCondition(admin, reporter, 'Drifted', { status: 'True' });

      // Two throttled answers from IAM: each is counted, the resends that follow them too.
      const port = world.operator().httpPort;
      const throttledBefore = sumOf((await scrape(port)).samples, 'keyless_cloud_throttled_total', {
        provider: 'aws',
        account: AWS_ACCOUNT_NAME,
      });
      const throttling = world.proxy().inject({
        operation: 'GetRole',
        times: 2,
        respond: awsQueryError('Throttling', 'Rate exceeded'),
      });
      const throttled = workloadIdentity('throttled', AWS_ACCOUNT_NAME);
      await apply(admin, throttled);
      await waitForCondition(admin, throttled, 'Ready', { status: 'True' });
      expect(throttling.applied()).toBe(2);

      // The operator's caches follow the API server; wait until the gauges show what it holds.
      const expected = await readyStates(admin);
      const { text, samples } = await waitFor(
        'the operator to expose what the API server holds',
        async () => {
          const scraped = await scrape(port);
          const exposed = exposedReadyStates(scraped.samples);
          const same =
            [...expected].every(([key, n]) => exposed.get(key) === n) && exposed.size === expected.size;
          return same ? scraped : undefined;
        },
      );

      // Every metric the alerts and the dashboard name has samples.
      const names = new Set(samples.map((s) => s.name));
      const missing = [...queriedMetrics()].filter(([name]) => !names.has(name));
      expect(missing, 'metrics the alerts or the dashboard name that /metrics does not expose').toEqual([]);
      // And the dashboard shows every metric of Keyless's own (histograms by their buckets), but
      // keyless_managed_identities, which keyless_objects holds too.
      const families = [...text.matchAll(/^# TYPE (keyless_\w+) (\w+)$/gm)]
        .filter(([, name]) => !name?.startsWith('keyless_process_') && name !== 'keyless_managed_identities')
        .map(([, name, type]) => (type === 'histogram' ? `${name}_bucket` : (name as string)));
      expect(families.filter((name) => !queriedMetrics().has(name))).toEqual([]);

      expect(Object.fromEntries(exposedReadyStates(samples))).toEqual(Object.fromEntries(expected));
      expect(
        sumOf(samples, 'keyless_objects', {
          kind: 'IdentityBinding',
          condition: 'Ready',
          status: 'False',
          reason: 'EscalationRefused',
        }),
      ).toBe(1);
      expect(samplesOf(samples, 'keyless_drifted_objects')).toEqual([
        { name: 'keyless_drifted_objects', labels: { kind: 'WorkloadIdentity', policy: 'Report' }, value: 1 },
      ]);

      const expiresAt = (temporary.status as { expiresAt?: string } | undefined)?.expiresAt;
      const created = Date.parse(
        (temporary.metadata as unknown as { creationTimestamp: string }).creationTimestamp,
      );
      expect(samplesOf(samples, 'keyless_binding_expiry_timestamp_seconds')).toEqual([
        {
          name: 'keyless_binding_expiry_timestamp_seconds',
          labels: { namespace: 'shop', name: 'orders-oncall' },
          value: (created + 2 * 3600_000) / 1000,
        },
      ]);
      expect(Date.parse(expiresAt ?? '')).toBe(created + 2 * 3600_000);

      expect(
        sumOf(samples, 'keyless_cloud_throttled_total', { provider: 'aws', account: AWS_ACCOUNT_NAME }) -
          throttledBefore,
      ).toBe(throttling.applied());

      const checkedAt = (name: string, account: string) =>
        samplesOf(samples, name, { account, provider: 'aws' }).map((s) => s.value * 1000);
      const now = Date.now();
      const [goodSuccess] = checkedAt(
        'keyless_cloud_account_last_check_success_timestamp_seconds',
        AWS_ACCOUNT_NAME,
      );
      expect(goodSuccess).toBeGreaterThanOrEqual(startedAt);
      expect(goodSuccess).toBeLessThanOrEqual(now);
      const [wrongCheck] = checkedAt('keyless_cloud_account_last_check_timestamp_seconds', WRONG_ACCOUNT);
      expect(wrongCheck).toBeGreaterThanOrEqual(startedAt);
      expect(checkedAt('keyless_cloud_account_last_check_success_timestamp_seconds', WRONG_ACCOUNT)).toEqual(
        [],
      );

      expect(
        sumOf(samples, 'keyless_reconcile_errors_total', {
          controller: 'IdentityBinding',
          reason: 'EscalationRefused',
        }),
      ).toBeGreaterThanOrEqual(1);
      // A failing account check is the account's status, not a failed reconcile: the check metrics say it.
      expect(
        sumOf(samples, 'keyless_objects', {
          kind: 'CloudAccount',
          condition: 'Ready',
          status: 'False',
          reason: 'AccountMismatch',
        }),
      ).toBe(1);
      expect(sumOf(samples, 'keyless_leader')).toBe(1);

      // No credential in any label or value.
      const { accessKeyId, secretAccessKey } = world.credentials();
      expect(text).not.toContain(accessKeyId);
      expect(text).not.toContain(secretAccessKey);

      // Prometheus's linter on Keyless's own metrics as scraped. prom-client's Node.js metrics
      // (keyless_process_*) are named by prom-client, and three of its gauges end in _total.
      const own = text
        .split('\n')
        .filter((line) => !/^(# (HELP|TYPE) )?keyless_process_/.test(line))
        .join('\n');
      expect(own).toContain('# TYPE keyless_objects gauge');
      const lint = await promtool(['check', 'metrics'], { input: own });
      expect(lint.output).toBe('');
      expect(lint.code).toBe(0);
      expect(parseExposition(text).length).toBe(samples.length);
    });
  },
  { enforceIam: true, review: { interval: '3s' } },
);
