import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { KubeLeaseStore } from './kube/lease-store.js';
import { KubeSecretReader } from './kube/secret-reader.js';
import { OperatorMetrics } from './observability/metrics.js';
import { Operator } from './operator.js';
import { resolveAwsGrants } from './providers/aws/mapping.js';
import { resolveAzureGrants } from './providers/azure/mapping.js';
import { resolveGcpGrants } from './providers/gcp/mapping.js';
import { instrumentRegistry } from './providers/instrumented.js';
import { MemoryCloud } from './providers/memory/memory-cloud.js';
import type { ProviderRegistry } from './providers/provider.js';
import { cloudRegistry, deferredFactory, memoryRegistry } from './providers/registry.js';
import type { SecretReader } from './providers/secrets.js';
import { type Clock, realClock } from './runtime/clock.js';
import { startHealthServer } from './runtime/health-server.js';
import { KubeClient } from './runtime/kube-client.js';
import { LeaderElector } from './runtime/leader-election.js';

export interface RunOptions {
  config: Config;
  logger: Logger;
  /** Aborting it shuts the operator down gracefully. */
  signal: AbortSignal;
  /** Overrides the providers the config selects (tests pass their own in-memory cloud). */
  providers?: ProviderRegistry;
  kubeConfig?: KubeConfig;
  clock?: Clock;
  /** Called once the operator is up, with what tests and the demo want to see. */
  onStarted?: (running: { httpPort: number; operator: Operator; metrics: OperatorMetrics }) => void;
}

export type RunOutcome = 'stopped' | 'lost-leadership';

/**
 * Runs the operator until `signal` aborts (graceful: in-flight reconciles finish, the Lease is
 * handed over) or leadership is lost (the caller should exit so a fresh process can compete again).
 */
export async function runOperator(options: RunOptions): Promise<RunOutcome> {
  const { config, logger, signal } = options;
  const clock = options.clock ?? realClock;
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const client = new KubeClient(kubeConfig);
  const metrics = new OperatorMetrics();
  // One JSON line per cloud change, marked stream=audit for a SIEM to pick out, whatever the log level.
  const audit = logger.child({ stream: 'audit' }, { level: logger.level === 'silent' ? 'silent' : 'info' });
  client.onRequest((verb, _path, code) => metrics.kubeRequests.inc({ verb, code: String(code) }));
  const providers = instrumentRegistry(
    options.providers ??
      (config.cloud === 'memory'
        ? memoryRegistry(new MemoryCloud())
        : realClouds(new KubeSecretReader(client))),
    {
      observe: (provider, operation, outcome) => metrics.cloudRequests.inc({ provider, operation, outcome }),
      audit: (entry) => audit.info({ audit: entry }, 'cloud change'),
    },
  );
  if (config.cloud === 'memory' && !options.providers) {
    logger.warn('running on the in-memory cloud: nothing is created in AWS, Google Cloud or Azure');
  }
  const operator = new Operator({
    kubeConfig,
    client,
    providers,
    metrics,
    logger,
    clock,
    clusterName: config.clusterName,
    workers: config.workers,
    defaultResyncMs: config.defaultResyncMs,
    instance: config.leaderElection.identity,
  });
  const elector = config.leaderElection.enabled
    ? new LeaderElector({
        store: new KubeLeaseStore(client, config.leaderElection.namespace, config.leaderElection.leaseName),
        identity: config.leaderElection.identity,
        leaseDurationMs: config.leaderElection.leaseDurationMs,
        renewDeadlineMs: config.leaderElection.renewDeadlineMs,
        retryPeriodMs: config.leaderElection.retryPeriodMs,
        clock,
        logger,
      })
    : undefined;
  const server = await startHealthServer({
    host: config.httpAddress.host,
    port: config.httpAddress.port,
    liveness: {},
    readiness: { informers: () => (operator.synced() ? undefined : 'informer caches have not synced yet') },
    metrics: async () => {
      for (const [state, count] of Object.entries(operator.identityStates()))
        metrics.identities.set({ state }, count);
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
    logger,
  });

  const stopping = new Promise<'stopped'>((resolve) => {
    if (signal.aborted) resolve('stopped');
    signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  signal.addEventListener('abort', () => elector?.stop(), { once: true });

  let outcome: RunOutcome = 'stopped';
  try {
    operator.startInformers();
    options.onStarted?.({ httpPort: server.port, operator, metrics });
    const leading = elector ? await Promise.race([elector.acquire(), stopping.then(() => false)]) : true;
    if (leading && !signal.aborted) {
      await Promise.race([operator.waitForSync(signal), stopping]);
      if (!signal.aborted) {
        operator.startControllers();
        logger.info('controllers started');
        const lost = elector
          ? elector.holdUntilLost().then(() => 'lost-leadership' as const)
          : new Promise<never>(() => {});
        outcome = await Promise.race([stopping, lost]);
      }
    }
  } finally {
    await shutDown(operator, config.shutdownTimeoutMs, clock, logger);
    if (elector && outcome === 'stopped') {
      await elector.release().catch((err: unknown) => logger.warn({ err }, 'could not release the Lease'));
    }
    await server.close();
    client.close();
  }
  logger.info({ outcome }, 'operator stopped');
  return outcome;
}

async function shutDown(operator: Operator, timeoutMs: number, clock: Clock, logger: Logger): Promise<void> {
  const timer = new AbortController();
  const timedOut = clock.sleep(timeoutMs, timer.signal).then(
    () => 'timeout' as const,
    () => 'drained' as const,
  );
  const result = await Promise.race([operator.stop().then(() => 'drained' as const), timedOut]);
  timer.abort();
  if (result === 'timeout') logger.warn({ timeoutMs }, 'shutdown timed out with reconciles still running');
}

/**
 * The clouds this build of Keyless can manage. Each cloud's SDK is imported when the first account
 * of that cloud calls it, so an operator pays in memory and start time only for the clouds it uses.
 */
export function realClouds(secrets: SecretReader): ProviderRegistry {
  return cloudRegistry({
    aws: deferredFactory({
      name: 'aws',
      resolve: resolveAwsGrants,
      load: async () => {
        const { createAwsProvider } = await import('./providers/aws/provider.js');
        return (account) => createAwsProvider(account, { secrets });
      },
    }),
    gcp: deferredFactory({
      name: 'gcp',
      resolve: resolveGcpGrants,
      load: async () => {
        const { createGcpProvider } = await import('./providers/gcp/provider.js');
        return (account) => createGcpProvider(account, { secrets });
      },
    }),
    azure: deferredFactory({
      name: 'azure',
      resolve: resolveAzureGrants,
      load: async () => {
        const { createAzureProvider } = await import('./providers/azure/provider.js');
        return (account) => createAzureProvider(account, { secrets });
      },
    }),
  });
}

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
