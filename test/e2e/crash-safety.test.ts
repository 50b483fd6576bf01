/**
 * The reliability suite's crash test: the built operator (`node dist/operator/main.js`), with the real
 * AWS provider against moto and as its own ServiceAccount, is SIGKILLed at seeded moments while it
 * converges 150 WorkloadIdentities + 150 IdentityBindings, and again while they are deleted. Each
 * time a fresh process (a new pod name, as a replacement pod would be) takes over once the Lease
 * runs out. Then IAM is read directly: one role per identity, no orphan, every object Ready, every
 * ServiceAccount annotated; after the deletion, nothing left and the annotations gone.
 *
 * Replay a run with KEYLESS_CRASH_SEED=<the seed it printed>.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube-api/client.js';
import type { AwsAccount } from '../../src/providers/aws/mapping.js';
import { SERVICE_ACCOUNT_ANNOTATION } from '../../src/reconcilers/service-account-annotations.js';
import { applyMotoCredentials } from '../support/aws-harness.js';
import { cloudAccount } from '../support/cloud-world.js';
import { describeWithControlPlane } from '../support/control-plane/index.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy/index.js';
import { auditIam, type ExpectedIdentity, type IamAudit, iamInventory } from '../support/iam-inventory.js';
import { conditionOf, identityBinding, type Observed, workloadIdentity } from '../support/keyless-objects.js';
import { type KillMark, killPlan } from '../support/kill-plan.js';
import { apply, type Manifest, pathOf, remove, waitFor } from '../support/kube-manifests.js';
import {
  awsClientConfig,
  MOTO_ACCOUNT_ID,
  MOTO_REGION,
  type Moto,
  motoAvailability,
  shouldSkipMotoTests,
  startMoto,
} from '../support/moto/index.js';
import { installKeyless, operatorKubeConfig } from '../support/operator-harness.js';
import { type SeededRandom, seededRandom, seedFromEnv } from '../support/seeded-random.js';
import { tapWrites, type WriteTap } from '../support/write-tap.js';
import {
  errorLines,
  logTimes,
  nodeWarnings,
  type OperatorProcess,
  spawnOperator,
} from './operator-process.js';

const N = 150;
const CLUSTER = 'crash';
const ACCOUNT = 'aws-crash';
const NAMESPACES = ['crash-a', 'crash-b'];
const ROLE_ARN = SERVICE_ACCOUNT_ANNOTATION.aws;
const SEED = seedFromEnv('KEYLESS_CRASH_SEED');

/** Identity i and its binding, in one of two namespaces; the operator creates the ServiceAccount. */
const identities = Array.from({ length: N }, (_, i) =>
  workloadIdentity(`app-${i}`, ACCOUNT, {}, NAMESPACES[i % NAMESPACES.length]),
);
const bindings = identities.map((wi, i) =>
  identityBinding(
    `${wi.metadata.name}-read`,
    wi.metadata.name,
    [{ resource: `arn:aws:s3:::crash-bucket-${i}`, access: 'read' }],
    {},
    wi.metadata.namespace,
  ),
);
const expected: ExpectedIdentity[] = identities.map((wi, i) => ({
  namespace: wi.metadata.namespace ?? '',
  name: wi.metadata.name,
  bindings: [bindings[i]?.metadata.name ?? ''],
}));

interface Kill {
  mark: KillMark;
  /** Seconds since the phase began. */
  at: number;
  writes: number;
  operation: string;
  process: string;
}

/** What a phase measured, printed as the suite's figures. */
interface PhaseFigures {
  kills: Kill[];
  seconds: number;
  secondsAfterLastRestart: number;
  calls: Record<string, number>;
}

describe.skipIf(shouldSkipMotoTests())('crash safety', () => {
  describeWithControlPlane('SIGKILL during a converge and a deletion on moto', (controlPlane) => {
    const random: SeededRandom = seededRandom(SEED);
    let admin: KubeClient;
    let moto: Moto;
    let proxy: FaultProxy;
    let tap: WriteTap;
    let dir: string;
    let kubeconfig: string;
    const processes: OperatorProcess[] = [];
    /** Per process: when it was started and when its first cloud write reached the proxy (epoch ms). */
    const timeline = new Map<string, { spawned: number; firstWrite?: number }>();
    let current: OperatorProcess | undefined;
    let awsAccount: AwsAccount;
    let iamClient: IAMClient | undefined;
    /** IAM straight at moto, not through the proxy: the audit's calls are not counted as the operator's. */
    const iam = () => {
      iamClient ??= new IAMClient(awsClientConfig(moto.endpoint));
      return iamClient;
    };

    /** Seconds since the running process was started. */
    const sinceLastRestart = () => (Date.now() - (timeline.get(current?.name ?? '')?.spawned ?? 0)) / 1000;

    beforeAll(async () => {
      const availability = motoAvailability();
      if (availability.kind === 'unavailable') throw new Error(availability.reason);
      moto = await startMoto({ python: availability.python });
      proxy = await startFaultProxy({ target: moto.endpoint });
      tap = tapWrites(proxy);
      admin = new KubeClient(controlPlane().kubeConfig());
      await installKeyless(admin);
      for (const name of NAMESPACES)
        await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      await applyMotoCredentials(admin);
      awsAccount = {
        accountId: MOTO_ACCOUNT_ID,
        region: MOTO_REGION,
        oidcProvider: { issuerUrl: controlPlane().issuerUrl, manage: true },
      };
      // A resync longer than the test: every cloud call counted below is the converge's own. The
      // client-side limits are 2.5x AWS's defaults (moto has no quota), so the test's time goes to
      // crashes and restarts rather than to waiting for tokens; with the defaults (20 reads/s and
      // 10 writes/s) the same seed took about 40% longer.
      await apply(
        admin,
        cloudAccount(
          ACCOUNT,
          {
            provider: 'aws',
            aws: awsAccount,
            resyncInterval: '1h',
            rateLimits: { reads: { qps: 50, burst: 100 }, writes: { qps: 25, burst: 50 } },
          },
          proxy.endpoint,
        ),
      );
      dir = await mkdtemp(join(tmpdir(), 'keyless-crash-'));
      kubeconfig = join(dir, 'operator.kubeconfig');
      await writeFile(kubeconfig, (await operatorKubeConfig(controlPlane())).exportConfig());
      console.log(
        `crash safety: seed ${SEED} (replay with KEYLESS_CRASH_SEED=${SEED}); ` +
          `${N} WorkloadIdentities + ${N} IdentityBindings in ${NAMESPACES.length} namespaces`,
      );
    });

    afterAll(async () => {
      for (const operator of processes) operator.child.kill('SIGKILL');
      await Promise.all(processes.map((operator) => operator.exited));
      iamClient?.destroy();
      await proxy?.stop();
      await moto?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** A fresh operator process, as a replacement pod: a new name, leader election on. */
    const startProcess = async (): Promise<OperatorProcess> => {
      const operator = await spawnOperator(`keyless-${processes.length + 1}`, [
        `--kubeconfig=${kubeconfig}`,
        `--cluster-name=${CLUSTER}`,
        '--lease-duration=4s',
        '--renew-deadline=3s',
        '--retry-period=500ms',
        '--log-level=info',
      ]);
      processes.push(operator);
      current = operator;
      const times: { spawned: number; firstWrite?: number } = { spawned: Date.now() };
      timeline.set(operator.name, times);
      tap.at(tap.count() + 1, () => {
        times.firstWrite = Date.now();
      });
      return operator;
    };

    /**
     * Runs the phase's kills: each SIGKILLs the running process at its mark and starts a fresh
     * one once it has exited. Resolves when the last replacement is running.
     */
    const killAlongThePlan = async (plan: KillMark[], started: number, kills: Kill[]): Promise<void> => {
      for (const mark of plan) {
        const victim = current;
        if (!victim) throw new Error('no operator process is running');
        const killed = new Promise<void>((resolve) => {
          tap.at(mark.afterWrites, (operation) => {
            const kill = () => {
              kills.push({
                mark,
                at: (performance.now() - started) / 1000,
                writes: tap.count(),
                operation,
                process: victim.name,
              });
              victim.child.kill('SIGKILL');
              resolve();
            };
            if (mark.delayMs === 0) kill();
            else setTimeout(kill, mark.delayMs);
          });
        });
        const exitedEarly = victim.exited.then((code) => {
          throw new Error(
            `${victim.name} exited with ${code} before its kill:\n${victim.output().slice(-4000)}`,
          );
        });
        await Promise.race([killed, exitedEarly]);
        exitedEarly.catch(() => {});
        await victim.exited;
        await startProcess();
      }
    };

    /** Every object of a kind, in all namespaces. */
    const list = async <T = Observed>(kind: Manifest): Promise<T[]> =>
      (await admin.request<{ items: T[] }>('GET', pathOf(kind))).items;

    const WI = { apiVersion: 'keyless.dev/v1alpha1', kind: 'WorkloadIdentity', metadata: { name: '' } };
    const IB = { apiVersion: 'keyless.dev/v1alpha1', kind: 'IdentityBinding', metadata: { name: '' } };
    const SA = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: '' } };

    const readyNow = (object: Observed) =>
      conditionOf(object, 'Ready')?.status === 'True' &&
      object.status?.observedGeneration === (object.metadata as { generation?: number }).generation;

    /** Where the converge stands: what is not Ready yet (by reason) and which annotations are missing. */
    const convergeState = async () => {
      const [wis, ibs, sas] = await Promise.all([list(WI), list(IB), list<Manifest>(SA)]);
      const annotations = new Map(
        sas.map((sa) => [
          `${sa.metadata.namespace}/${sa.metadata.name}`,
          (sa.metadata.annotations as Record<string, string> | undefined)?.[ROLE_ARN],
        ]),
      );
      const notReady = [...wis, ...ibs].filter((o) => !readyNow(o));
      const unannotated = wis.filter(
        (wi) =>
          !wi.status?.principal?.roleArn ||
          annotations.get(`${wi.metadata.namespace}/${wi.metadata.name}`) !== wi.status.principal.roleArn,
      );
      const reasons: Record<string, number> = {};
      for (const o of notReady) {
        const reason = `${o.kind} ${conditionOf(o, 'Ready')?.reason ?? 'no Ready condition'}`;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
      return { wis, ibs, notReady: notReady.length, unannotated: unannotated.length, reasons };
    };

    const printPhase = (name: string, figures: PhaseFigures, audit: IamAudit) => {
      const calls = Object.values(figures.calls).reduce((sum, n) => sum + n, 0);
      const byOperation = Object.entries(figures.calls)
        .sort(([, a], [, b]) => b - a)
        .map(([operation, n]) => `${operation} ${n}`)
        .join(', ');
      console.log(
        [
          `${name}: ${figures.kills.length} SIGKILLs`,
          ...figures.kills.map(
            (k, i) =>
              `  #${i + 1} ${k.process} at ${k.at.toFixed(1)} s: mark ${k.mark.afterWrites} cloud writes ` +
              `(${k.operation}), then ${k.mark.delayMs} ms; killed after ${k.writes} writes`,
          ),
          ...figures.kills.map(
            (k) => `  ${restartFigures(processes[processes.findIndex((p) => p.name === k.process) + 1])}`,
          ),
          `  done ${figures.seconds.toFixed(1)} s after the phase began, ` +
            `${figures.secondsAfterLastRestart.toFixed(1)} s after the last restart`,
          `  moto: ${audit.roles} roles, ${audit.inlinePolicies} inline policies; duplicates ${audit.duplicateRoles.length}, ` +
            `orphan roles ${audit.orphanRoles.length}, orphan inline policies ${audit.orphanPolicies.length}, ` +
            `missing roles ${audit.missingRoles.length}, missing inline policies ${audit.missingPolicies.length}`,
          `  cloud calls at the proxy: ${calls} (${(calls / (2 * N)).toFixed(2)} per object): ${byOperation}`,
          `  operator processes so far: ${processes.length}; lines logged at error level: ${processes
            .map((p) => `${p.name} ${errorLines(p).length}`)
            .join(', ')}`,
          ...[...new Set(processes.flatMap(errorLines))]
            .slice(0, 5)
            .map((line) => `    error: ${line.replace(/\s+/g, ' ').slice(0, 300)}`),
        ].join('\n'),
      );
    };

    /** A replacement's way back: up, Lease taken, controllers started, first cloud write (s after its start). */
    const restartFigures = (operator: OperatorProcess | undefined): string => {
      const times = operator && timeline.get(operator.name);
      if (!operator || !times) return 'no replacement';
      const logged = logTimes(operator, [
        'serving /healthz, /readyz and /metrics',
        'became leader',
        'controllers started',
      ]);
      const after = (epoch: number | undefined) =>
        epoch === undefined ? '-' : `${((epoch - times.spawned) / 1000).toFixed(1)} s`;
      return (
        `${operator.name}: up ${after(logged.get('serving /healthz, /readyz and /metrics'))}, ` +
        `leader ${after(logged.get('became leader'))}, controllers ${after(logged.get('controllers started'))}, ` +
        `first cloud write ${after(times.firstWrite)}`
      );
    };

    const failureContext = () =>
      `seed ${SEED}; last process ${current?.name}:\n${current?.output().slice(-6000) ?? ''}`;

    it(`converges ${N} + ${N} with one role each, no orphan, every ServiceAccount annotated, through seeded SIGKILLs`, async () => {
      await forEachConcurrently([...identities, ...bindings], 16, (object) =>
        admin.request('POST', pathOf(object), { body: object }),
      );
      tap.reset();
      proxy.resetCounts();
      // Writes: one CreateRole per identity, one PutRolePolicy per binding.
      const plan = killPlan(random, { kills: random.int(3, 5), writes: 2 * N, minGap: 25, maxDelayMs: 500 });
      const started = performance.now();
      const kills: Kill[] = [];
      await startProcess();
      await killAlongThePlan(plan, started, kills);

      let state: Awaited<ReturnType<typeof convergeState>> | undefined;
      try {
        await waitFor(
          'every object Ready and every ServiceAccount annotated',
          async () => {
            state = await convergeState();
            return (
              state.wis.length === N && state.ibs.length === N && state.notReady + state.unannotated === 0
            );
          },
          240_000,
          500,
        );
      } catch (err) {
        throw new Error(
          `not converged: ${state?.notReady} not Ready ${JSON.stringify(state?.reasons)}, ` +
            `${state?.unannotated} ServiceAccounts not annotated; ${failureContext()}`,
          { cause: err },
        );
      }
      const done = performance.now();
      const afterRestart = sinceLastRestart();
      const figures: PhaseFigures = {
        kills,
        seconds: (done - started) / 1000,
        secondsAfterLastRestart: afterRestart,
        calls: proxy.counts(),
      };
      const inventory = await iamInventory(iam());
      const audit = auditIam(inventory, expected, CLUSTER, awsAccount);
      printPhase('converge', figures, audit);

      expect(kills).toHaveLength(plan.length);
      expect(audit).toMatchObject({
        roles: N,
        inlinePolicies: N,
        duplicateRoles: [],
        orphanRoles: [],
        orphanPolicies: [],
        missingRoles: [],
        missingPolicies: [],
      });
      // Each identity's status (and so its ServiceAccount's annotation) names its role in IAM.
      const arns = new Set(inventory.map((role) => role.arn));
      expect((state?.wis ?? []).filter((wi) => !arns.has(wi.status?.principal?.roleArn ?? ''))).toEqual([]);
      // The AWS SDK is loaded: on a Node.js it will stop supporting, it would have warned.
      expect(processes.flatMap(nodeWarnings)).toEqual([]);
    }, 300_000);

    it('deletes every role, inline policy and annotation through a seeded SIGKILL during the deletion', async () => {
      tap.reset();
      proxy.resetCounts();
      // Writes: one DeleteRolePolicy per binding, one DeleteRole per identity.
      const plan = killPlan(random, { kills: random.int(1, 2), writes: 2 * N, minGap: 25, maxDelayMs: 500 });
      const started = performance.now();
      const kills: Kill[] = [];
      const order = random.shuffle([...bindings, ...identities]);
      const deleting = forEachConcurrently(order, 16, (object) => remove(admin, object));
      await killAlongThePlan(plan, started, kills);
      await deleting;

      let left = { wis: N, ibs: N };
      try {
        await waitFor(
          'every WorkloadIdentity and IdentityBinding gone',
          async () => {
            const [wis, ibs] = await Promise.all([list(WI), list(IB)]);
            left = { wis: wis.length, ibs: ibs.length };
            return wis.length + ibs.length === 0;
          },
          180_000,
          500,
        );
      } catch (err) {
        throw new Error(
          `deletion stuck with ${left.wis} WorkloadIdentities and ${left.ibs} IdentityBindings left; ${failureContext()}`,
          { cause: err },
        );
      }
      const done = performance.now();
      const afterRestart = sinceLastRestart();
      const audit = auditIam(await iamInventory(iam()), [], CLUSTER, awsAccount);
      printPhase(
        'deletion',
        {
          kills,
          seconds: (done - started) / 1000,
          secondsAfterLastRestart: afterRestart,
          calls: proxy.counts(),
        },
        audit,
      );
      const serviceAccounts = (await list<Manifest>(SA)).filter((sa) =>
        NAMESPACES.includes(sa.metadata.namespace ?? ''),
      );
      const stillAnnotated = serviceAccounts.filter(
        (sa) => (sa.metadata.annotations as Record<string, string> | undefined)?.[ROLE_ARN] !== undefined,
      );
      console.log(
        `  ServiceAccounts: ${serviceAccounts.length} left (the operator created them), ` +
          `${stillAnnotated.length} still annotated`,
      );

      expect(kills).toHaveLength(plan.length);
      expect(audit).toMatchObject({ roles: 0, inlinePolicies: 0, orphanRoles: [], orphanPolicies: [] });
      expect(serviceAccounts.filter((sa) => sa.metadata.name.startsWith('app-'))).toHaveLength(N);
      expect(stillAnnotated.map((sa) => sa.metadata.name)).toEqual([]);

      const last = current;
      last?.child.kill('SIGTERM');
      expect(await last?.exited).toBe(0);
    }, 300_000);
  });
});

/** Runs `task` over `items`, at most `concurrency` at a time. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await task(item);
      }
    }),
  );
}
