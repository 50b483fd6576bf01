import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube-api/client.js';
import { describeWithControlPlane } from '../support/control-plane/index.js';
import { loadExamples } from '../support/examples.js';
import { apply, get, type Manifest, waitFor } from '../support/kube-manifests.js';
import { installKeyless, operatorKubeConfig } from '../support/operator-harness.js';
import { nodeWarnings, type OperatorProcess, spawnOperator, waitReady } from './operator-process.js';

const LEASE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'keyless-operator', namespace: 'keyless-system' },
};

describe('the keyless binary', () => {
  it('refuses bad configuration with one line and exit code 2', async () => {
    const operator = await spawnOperator('bad', ['--workers=zero', '--cluster-name=e2e']);
    expect(await operator.exited).toBe(2);
    expect(operator.output()).toBe('keyless: --workers must be an integer from 1 to 256, got zero\n');
  });

  it('outside a pod and without a kubeconfig, says which settings it lacks and exits 2', async () => {
    const operator = await spawnOperator('nowhere', ['--cluster-name=e2e', '--cloud=memory']);
    expect(await operator.exited).toBe(2);
    expect(operator.output()).toBe(
      'keyless: no kubeconfig given (--kubeconfig or KUBECONFIG) and not in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset)\n',
    );
  });
});

describeWithControlPlane('two operator processes', (controlPlane) => {
  let admin: KubeClient;
  let dir: string;
  let kubeconfig: string;
  const running: OperatorProcess[] = [];

  beforeAll(async () => {
    admin = new KubeClient(controlPlane().kubeConfig());
    await installKeyless(admin);
    dir = await mkdtemp(join(tmpdir(), 'keyless-e2e-'));
    kubeconfig = join(dir, 'operator.kubeconfig');
    await writeFile(kubeconfig, (await operatorKubeConfig(controlPlane())).exportConfig());
  });

  afterAll(async () => {
    for (const operator of running) operator.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (name: string) => {
    const operator = await spawnOperator(name, [
      `--kubeconfig=${kubeconfig}`,
      '--cluster-name=e2e',
      '--cloud=memory',
      '--lease-duration=4s',
      '--renew-deadline=3s',
      '--retry-period=500ms',
    ]);
    running.push(operator);
    await waitReady(operator);
    return operator;
  };

  const holder = async () =>
    (await get<{ spec: { holderIdentity?: string } }>(admin, LEASE as Manifest))?.spec.holderIdentity;

  const readyIdentity = (name: string) => async () => {
    const wi = await get<{ status?: { conditions?: { type: string; status: string }[] } }>(admin, {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name, namespace: 'shop' },
    });
    return wi?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  };

  it('elect one leader; only it reconciles; the other takes over when it is killed; SIGTERM hands over cleanly', async () => {
    const a = await start('a');
    await waitFor('a leads', async () => (await holder()) === 'a');
    const b = await start('b');

    for (const { object } of loadExamples()) await apply(admin, object as Manifest);
    await waitFor('orders-api Ready', readyIdentity('orders-api'));
    expect(await a.metric('keyless_reconcile_total')).toBeGreaterThan(0);
    expect(await b.metric('keyless_reconcile_total')).toBe(0);
    expect(await a.metric('keyless_leader')).toBe(1);
    expect(await b.metric('keyless_leader')).toBe(0);

    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor('b leads', async () => (await holder()) === 'b', 20_000);
    await apply(admin, {
      apiVersion: 'keyless.dev/v1alpha1',
      kind: 'WorkloadIdentity',
      metadata: { name: 'after-failover', namespace: 'shop' },
      spec: {
        accountRef: { name: 'aws-prod' },
        subjects: [{ serviceAccount: { name: 'after-failover', create: true } }],
      },
    });
    await waitFor('after-failover Ready', readyIdentity('after-failover'), 20_000);
    expect(await b.metric('keyless_reconcile_total')).toBeGreaterThan(0);
    expect(await b.metric('keyless_leader')).toBe(1);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(await holder()).toBe('');
    expect(b.output()).toContain('released the Lease');
    expect([...nodeWarnings(a), ...nodeWarnings(b)]).toEqual([]);
  });
});
