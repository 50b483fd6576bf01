import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../../src/config.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { type ProcessOutcome, runOperatorProcess } from '../../../src/process-lifecycle.js';
import { Helm } from '../../support/chart/helm.js';
import { container, find } from '../../support/chart/value-sets.js';
import { describeWithControlPlane } from '../../support/control-plane/index.js';
import { loadExamples } from '../../support/examples.js';
import {
  apply,
  get,
  installCrds,
  type Manifest,
  readManifests,
  waitFor,
} from '../../support/kube-manifests.js';
import { OPERATOR_SERVICE_ACCOUNT, operatorPodConnection } from '../../support/operator-harness.js';

/** Not keyless-system: the release's namespace must reach the RBAC, the Lease and the subjects. */
const RELEASE = { name: 'keyless', namespace: 'platform-keyless' };
const POD_NAME = 'keyless-operator-5d8f7c9b4-x2x7q';
/** Nothing reaches a cloud: the in-memory cloud, chosen by an extra environment variable. */
const VALUES = { clusterName: 'chart-it', extraEnv: [{ name: 'KEYLESS_CLOUD', value: 'memory' }] };

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** The container's environment as the kubelet would give it: values, and the downward API's fields. */
function environmentOf(env: EnvVar[]): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': POD_NAME,
    'metadata.namespace': RELEASE.namespace,
  };
  return Object.fromEntries(
    env.map((e) => {
      const value = e.value ?? fields[e.valueFrom?.fieldRef?.fieldPath ?? ''];
      if (value === undefined) throw new Error(`the test cannot resolve the environment variable ${e.name}`);
      return [e.name, value];
    }),
  );
}

type Conditioned = Manifest & { status?: { conditions?: { type: string; status: string }[] } };
const ready = (object: Conditioned | undefined) =>
  object?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? object : undefined;

describeWithControlPlane('the operator installed from the chart', (controlPlane) => {
  let helm: Helm;
  let admin: KubeClient;
  let config: Config;
  const abort = new AbortController();
  let done: Promise<ProcessOutcome> | undefined;

  beforeAll(async () => {
    helm = await Helm.start();
    admin = new KubeClient(controlPlane().kubeConfig());
    await installCrds(admin, readManifests('charts/keyless/crds/'));
    await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: RELEASE.namespace } });
    // Every rendered object, the Deployment included: no kubelet runs its pod, so this process does,
    // with the Deployment's environment and its ServiceAccount's token and CA mounted as the kubelet
    // would (read by the same in-cluster connection a pod uses).
    for (const object of await helm.render(VALUES, RELEASE)) await apply(admin, object, 'helm');
    const deployment = await get<Manifest>(admin, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keyless-operator', namespace: RELEASE.namespace },
    });
    const operator = container([deployment as Manifest]);
    expect(find([deployment as Manifest], 'Deployment')).toMatchObject({
      spec: { template: { spec: { serviceAccountName: OPERATOR_SERVICE_ACCOUNT } } },
    });
    // A pod has its own network; here the health and metrics server listens on a free loopback port.
    const args = [...((operator.args as string[] | undefined) ?? []), '--http-address=127.0.0.1:0'];
    config = loadConfig(args, environmentOf(operator.env as EnvVar[]));
    done = runOperatorProcess({
      config,
      logger: pino({ level: process.env.KEYLESS_TEST_LOG_LEVEL ?? 'silent' }),
      signal: abort.signal,
      connection: (await operatorPodConnection(controlPlane(), RELEASE.namespace)).connection,
    });
  });

  afterAll(async () => {
    abort.abort();
    await done;
    await helm?.stop();
  });

  it('runs with the chart’s settings', () => {
    expect(config).toMatchObject({
      clusterName: 'chart-it',
      cloud: 'memory',
      leaderElection: { enabled: true, namespace: RELEASE.namespace, identity: POD_NAME },
    });
  });

  it('leads through a Lease in the release namespace and converges every example to Ready', async () => {
    const lease = await waitFor('the Lease held by this replica', async () => {
      const current = await get<Manifest & { spec?: { holderIdentity?: string } }>(admin, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'keyless-operator', namespace: RELEASE.namespace },
      });
      return current?.spec?.holderIdentity === POD_NAME ? current : undefined;
    });
    expect(lease.metadata.namespace).toBe(RELEASE.namespace);

    const examples = loadExamples().map((e) => e.object as Manifest);
    for (const manifest of examples) await apply(admin, manifest);
    for (const manifest of examples.filter((m) => m.apiVersion.startsWith('keyless.dev/'))) {
      const object = await waitFor(`${manifest.kind} ${manifest.metadata.name} Ready`, async () =>
        ready(await get<Conditioned>(admin, manifest)),
      );
      expect(object.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toContain('Synced=True');
    }
    const serviceAccount = await admin.request<Manifest>(
      'GET',
      '/api/v1/namespaces/shop/serviceaccounts/orders-api',
    );
    expect(serviceAccount.metadata.annotations).toHaveProperty('eks.amazonaws.com/role-arn');
  });

  it('stops cleanly and hands the Lease over', async () => {
    abort.abort();
    expect(await done).toBe('stopped');
    const lease = await get<Manifest & { spec?: { holderIdentity?: string } }>(admin, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'keyless-operator', namespace: RELEASE.namespace },
    });
    expect(lease?.spec?.holderIdentity).toBe('');
  });
});
