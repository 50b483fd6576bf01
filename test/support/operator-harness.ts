import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { type Config, loadConfig } from '../../src/config.js';
import { KubeClient } from '../../src/kube-api/client.js';
import { ServiceAccountConnection } from '../../src/kube-api/service-account-connection.js';
import type { Manager } from '../../src/manager.js';
import type { OperatorMetrics } from '../../src/observability/metrics.js';
import { type ProcessOutcome, runOperatorProcess } from '../../src/process-lifecycle.js';
import { MemoryCloud } from '../../src/providers/memory/memory-cloud.js';
import type { ProviderRegistry } from '../../src/providers/provider.js';
import { memoryRegistry } from '../../src/providers/registry/registry.js';
import type { ControlPlane } from './control-plane/index.js';
import { apply, installCrds, readManifests, waitFor } from './kube-manifests.js';

export const OPERATOR_NAMESPACE = 'keyless-system';
export const OPERATOR_SERVICE_ACCOUNT = 'keyless-operator';

/** CRDs plus the operator's namespace, ServiceAccount and RBAC from deploy/ (not its Deployment). */
export async function installKeyless(admin: KubeClient): Promise<void> {
  await installCrds(admin);
  for (const manifest of readManifests(
    'deploy/namespace.yaml',
    'deploy/serviceaccount.yaml',
    'deploy/rbac.yaml',
  )) {
    await apply(admin, manifest);
  }
}

/**
 * A kubeconfig that authenticates as the operator's own ServiceAccount (a TokenRequest token), so
 * the operator runs with exactly the RBAC in deploy/ and a missing or excess rule shows up.
 */
export async function operatorKubeConfig(
  controlPlane: ControlPlane,
  namespace = OPERATOR_NAMESPACE,
): Promise<KubeConfig> {
  const token = await operatorToken(controlPlane, namespace);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'test',
        server: controlPlane.server,
        caData: Buffer.from(controlPlane.caPem).toString('base64'),
      },
    ],
    users: [{ name: OPERATOR_SERVICE_ACCOUNT, token }],
    contexts: [{ name: 'test', cluster: 'test', user: OPERATOR_SERVICE_ACCOUNT }],
    currentContext: 'test',
  });
  return kubeConfig;
}

/**
 * The operator's connection as in its pod: its ServiceAccount's token and the cluster's CA written
 * where the kubelet would mount them (a fresh directory), read by ServiceAccountConnection.
 */
export async function operatorPodConnection(
  controlPlane: ControlPlane,
  namespace = OPERATOR_NAMESPACE,
): Promise<{ connection: ServiceAccountConnection; directory: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'keyless-serviceaccount-'));
  await writeFile(join(directory, 'token'), await operatorToken(controlPlane, namespace));
  await writeFile(join(directory, 'ca.crt'), controlPlane.caPem);
  return { connection: new ServiceAccountConnection({ server: controlPlane.server, directory }), directory };
}

/** A TokenRequest token of the operator's ServiceAccount, valid for an hour. */
export async function operatorToken(
  controlPlane: ControlPlane,
  namespace = OPERATOR_NAMESPACE,
): Promise<string> {
  const admin = new KubeClient(controlPlane.kubeConfig());
  const review = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${OPERATOR_SERVICE_ACCOUNT}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  return review.status.token;
}

export interface RunningOperator {
  cloud: MemoryCloud;
  metrics: OperatorMetrics;
  manager: Manager;
  httpPort: number;
  /** Undefined with --dashboard-address=off. */
  dashboardPort: number | undefined;
  /** Graceful stop (drain, release the Lease); resolves with how the run ended. */
  stop(): Promise<ProcessOutcome>;
  done: Promise<ProcessOutcome>;
}

export interface StartOperatorOptions {
  kubeConfig: KubeConfig;
  cloud?: MemoryCloud;
  /** The real clouds instead of the in-memory one (CloudAccounts then point at emulators). */
  realClouds?: boolean;
  /** Providers of the test's own making (e.g. the Azure provider trusting a fake's CA). */
  providers?: ProviderRegistry;
  /** Extra flags, e.g. ['--leader-elect=false']. */
  args?: string[];
  /** Default: silent, or KEYLESS_TEST_LOG_LEVEL on stdout. */
  logger?: Logger;
}

/** The operator in this process, on the in-memory cloud, as `keyless --cloud=memory` would run. */
export async function startOperator(options: StartOperatorOptions): Promise<RunningOperator> {
  const config: Config = loadConfig(
    [
      '--cluster-name=it',
      '--http-address=127.0.0.1:0',
      '--dashboard-address=127.0.0.1:0',
      `--cloud=${options.realClouds ? 'real' : 'memory'}`,
      '--lease-duration=4s',
      '--renew-deadline=3s',
      '--retry-period=500ms',
      '--shutdown-timeout=10s',
      ...(options.args ?? []),
    ],
    {},
  );
  const cloud = options.cloud ?? new MemoryCloud();
  const abort = new AbortController();
  let started:
    | { httpPort: number; dashboardPort: number | undefined; manager: Manager; metrics: OperatorMetrics }
    | undefined;
  const done = runOperatorProcess({
    config,
    logger: options.logger ?? pino({ level: process.env.KEYLESS_TEST_LOG_LEVEL ?? 'silent' }),
    signal: abort.signal,
    ...(options.providers
      ? { providers: options.providers }
      : options.realClouds
        ? {}
        : { providers: memoryRegistry(cloud) }),
    connection: options.kubeConfig,
    onStarted: (running) => {
      started = running;
    },
  });
  const running = await waitFor('the operator to start', () => started);
  return {
    cloud,
    ...running,
    done,
    stop: async () => {
      abort.abort();
      return done;
    },
  };
}

/** The sum of a counter's samples whose labels match. */
export async function counterValue(
  metrics: OperatorMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
