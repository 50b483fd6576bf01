/**
 * Reliability: 100 WorkloadIdentities + 100 IdentityBindings converged on moto by the real AWS
 * provider, once with the cloud answering every call and once behind the fault proxy failing about
 * 20% of the calls (throttling, 503, connection resets) and delaying some of the rest. Both runs
 * print their figures; the test asserts what does not depend on timing: everything becomes Ready,
 * each role exists once with its policy, and no object is called again sooner than the backoff the
 * controller scheduled after its failure (a call throttled without Retry-After that the client sends
 * again within its reconcile, after the limiter's next token, is not an object retry).
 *
 * Figures: time from the operator's start until every object is Ready at its generation, requests
 * at the proxy (faulted ones included) per identity and per binding, the controllers' retries
 * ("reconcile failed; retrying"), and the machine's load, since other work on a shared machine slows
 * both runs. The ratio of the two times is printed, not asserted (bench/ is for timing).
 */
import { loadavg } from 'node:os';
import { IAMClient, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityBinding, KubeObject, WorkloadIdentity } from '../../../src/api/index.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { isTrue } from '../../../src/reconcilers/conditions.js';
import { applyMotoCredentials, awsAccount, motoRoleName } from '../../support/aws-harness.js';
import { shouldSkipControlPlaneTests, useControlPlane } from '../../support/control-plane/index.js';
import {
  CallLog,
  earlyRetries,
  type FaultMix,
  faultRules,
  RetryLog,
  seededRandom,
  TWENTY_PERCENT_FAULTS,
} from '../../support/converge-figures.js';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../../support/fault-proxy/index.js';
import { identityBinding, workloadIdentity } from '../../support/keyless-objects.js';
import { apply, type Manifest, pathOf, waitFor } from '../../support/kube-manifests.js';
import { awsClientConfig, shouldSkipMotoTests, useMoto } from '../../support/moto/index.js';
import { installKeyless, operatorKubeConfig, startOperator } from '../../support/operator-harness.js';

const N = 100;
const SEED = 12;
const BUCKET = 'arn:aws:s3:::shop-invoices';
/** The operations of an identity's role; everything else naming a role is its binding's inline policy. */
const BINDING_OPERATIONS = new Set([
  'GetRolePolicy',
  'ListRolePolicies',
  'PutRolePolicy',
  'DeleteRolePolicy',
]);
const ACCOUNT_OPERATIONS = new Set([
  'GetCallerIdentity',
  'GetOpenIDConnectProvider',
  'CreateOpenIDConnectProvider',
]);

interface ConvergeFigures {
  label: string;
  seconds: number;
  requests: number;
  /** Requests the proxy answered with throttling, 503 or a reset, and delayed. */
  faults: { throttled: number; unavailable: number; reset: number; slow: number };
  /** The machine's 1-minute load average at the end (a shared machine slows every figure). */
  load: number;
  identityCallsPerObject: number;
  bindingCallsPerObject: number;
  accountCalls: number;
  callsByOperation: Record<string, number>;
  retries: number;
  maxRetriesPerObject: number;
  terminal: number;
  retriedEarly: number;
  /** Retries followed by a cloud call for the object, whose timing could be checked. */
  retriesChecked: number;
}

const isReady = (object: KubeObject & { status?: { conditions?: unknown; observedGeneration?: number } }) =>
  isTrue(object.status?.conditions as never, 'Ready') &&
  object.status?.observedGeneration === object.metadata.generation;

describe.skipIf(shouldSkipControlPlaneTests() || shouldSkipMotoTests())(
  'converging 100 + 100 on moto, with and without ~20% faults',
  () => {
    const controlPlane = useControlPlane();
    const moto = useMoto();
    let admin: KubeClient;
    const figures: ConvergeFigures[] = [];

    beforeAll(async () => {
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      await applyMotoCredentials(admin);
    });

    afterAll(() => {
      if (figures.length === 0) return;
      const rows = figures.map(
        (f) =>
          `| ${f.label} | ${f.seconds.toFixed(1)} s | ${f.requests} | ${f.faults.throttled} / ${f.faults.unavailable} / ${f.faults.reset} / ${f.faults.slow} | ${f.identityCallsPerObject} | ${f.bindingCallsPerObject} | ${f.accountCalls} | ${f.retries} (max ${f.maxRetriesPerObject} per object) | ${f.retriedEarly} of ${f.retriesChecked} | ${f.load.toFixed(1)} |`,
      );
      const [calm, faulty] = figures;
      const ratio =
        calm && faulty
          ? `\ntime with faults ÷ time without: ${(faulty.seconds / calm.seconds).toFixed(2)}×`
          : '';
      console.log(
        [
          `converge of ${N} WorkloadIdentities + ${N} IdentityBindings on moto (AWS provider, default limits)`,
          '| run | time | cloud requests | throttled / 503 / reset / slow | calls per identity | calls per binding | account calls | retries | retried early | load |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
          ...rows,
        ].join('\n') +
          ratio +
          `\nby operation: ${figures.map((f) => `${f.label} ${JSON.stringify(f.callsByOperation)}`).join('; ')}`,
      );
    });

    /**
     * Creates N identities and N bindings for a CloudAccount of their own behind a proxy of their own,
     * starts a fresh operator and measures until every object is Ready; then removes them again.
     */
    async function converge(label: string, mix: FaultMix | undefined, n = N): Promise<ConvergeFigures> {
      await moto().reset();
      const calls = new CallLog();
      const retries = new RetryLog();
      const objectOfRole = new Map<string, string>();
      const proxy: FaultProxy = await startFaultProxy({
        target: moto().endpoint,
        onRequest: (request: ProxiedRequest) => {
          const role = new URLSearchParams(request.body.toString('utf8')).get('RoleName');
          const owner = role && objectOfRole.get(role);
          if (!owner) return;
          const kind = BINDING_OPERATIONS.has(request.operation) ? 'IdentityBinding' : 'WorkloadIdentity';
          const key = kind === 'IdentityBinding' ? `${owner}-read` : owner;
          calls.record(`${kind} ${key}`, Date.now());
        },
      });
      const account = awsAccount(proxy.endpoint, controlPlane().issuerUrl, '1h', `aws-${label}`);
      const objects: Manifest[] = [
        account,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: label } },
      ];
      for (let i = 0; i < n; i++) {
        const name = `app-${i}`;
        objects.push(workloadIdentity(name, `aws-${label}`, {}, label));
        objects.push(
          identityBinding(`${name}-read`, name, [{ resource: BUCKET, access: 'read' }], {}, label),
        );
        const role = motoRoleName(name, controlPlane().issuerUrl, label);
        objectOfRole.set(role, `${label}/${name}`);
      }
      for (const object of objects.slice(0, 2)) await apply(admin, object);
      for (let i = 2; i < objects.length; i += 16) {
        await Promise.all(objects.slice(i, i + 16).map((object) => apply(admin, object)));
      }
      const rules = mix ? faultRules(mix, seededRandom(SEED)) : [];
      const injected = rules.map((rule) => proxy.inject(rule));

      const startedAt = Date.now();
      const operator = await startOperator({
        kubeConfig: await operatorKubeConfig(controlPlane()),
        realClouds: true,
        args: ['--leader-elect=false'],
        logger: pino({ level: 'info' }, { write: (line: string) => retries.write(line) }),
      });
      let seconds: number;
      let counts: Record<string, number>;
      try {
        const { identities, bindings } = operator.manager.informers;
        await waitFor(
          `${n} + ${n} objects Ready (${label})`,
          () => {
            const wis = identities.store
              .list()
              .filter((o: WorkloadIdentity) => o.metadata.namespace === label);
            const ibs = bindings.store.list().filter((o: IdentityBinding) => o.metadata.namespace === label);
            return wis.length === n && ibs.length === n && [...wis, ...ibs].every(isReady);
          },
          600_000,
          50,
        );
        seconds = (Date.now() - startedAt) / 1000;
        counts = proxy.counts();
      } finally {
        await operator.stop();
        await proxy.stop();
      }
      const [throttled, unavailable, reset, slow] = injected.map((fault) => fault.applied());

      const iam = new IAMClient(awsClientConfig(moto().endpoint));
      try {
        const roles = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? [];
        expect(roles.map((r) => r.RoleName).sort()).toEqual([...objectOfRole.keys()].sort());
        for (const role of roles.slice(0, 10)) {
          const policies = await iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }));
          expect(policies.PolicyNames).toHaveLength(1);
        }
      } finally {
        iam.destroy();
      }
      await removeWithoutOperator(objects.slice(2));
      await removeWithoutOperator([account]);

      const sum = (filter: (operation: string) => boolean) =>
        Object.entries(counts)
          .filter(([operation]) => filter(operation))
          .reduce((total, [, count]) => total + count, 0);
      const early = earlyRetries(retries, calls);
      return {
        label,
        seconds,
        requests: sum(() => true),
        faults: {
          throttled: throttled ?? 0,
          unavailable: unavailable ?? 0,
          reset: reset ?? 0,
          slow: slow ?? 0,
        },
        load: loadavg()[0] ?? 0,
        identityCallsPerObject: sum((op) => !ACCOUNT_OPERATIONS.has(op) && !BINDING_OPERATIONS.has(op)) / n,
        bindingCallsPerObject: sum((op) => BINDING_OPERATIONS.has(op)) / n,
        accountCalls: sum((op) => ACCOUNT_OPERATIONS.has(op)),
        callsByOperation: counts,
        retries: retries.total(),
        maxRetriesPerObject: retries.maxPerObject(),
        terminal: retries.terminal,
        retriedEarly: early.early.length,
        retriesChecked: early.checked,
      };
    }

    /** With the operator stopped: takes the finalizers off and deletes, so the next run starts clean. */
    async function removeWithoutOperator(objects: Manifest[]): Promise<void> {
      for (let i = 0; i < objects.length; i += 16) {
        await Promise.all(
          objects.slice(i, i + 16).map(async (object) => {
            const path = pathOf(object, object.metadata.name);
            await admin.request('PATCH', path, {
              body: { metadata: { finalizers: null } },
              contentType: 'application/merge-patch+json',
            });
            await admin.request('DELETE', path);
          }),
        );
      }
    }

    it('converges every object without faults, and with ~20% faults without retrying any object early', async () => {
      await converge('warmup', undefined, 10);
      const calm = await converge('calm', undefined);
      figures.push(calm);
      const faulty = await converge('faulty', TWENTY_PERCENT_FAULTS);
      figures.push(faulty);

      const { throttled, unavailable, reset } = faulty.faults;
      expect(throttled + unavailable + reset).toBeGreaterThan(0.15 * faulty.requests);
      expect(faulty.terminal).toBe(0);
      // The check saw the retries: nearly every failure was followed by a call for the object.
      expect(faulty.retriesChecked).toBeGreaterThan(0.9 * faulty.retries);
      expect(faulty.retriedEarly).toBe(0);
    }, 1_800_000);
  },
);
