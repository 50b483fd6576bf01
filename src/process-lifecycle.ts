import type { Logger } from 'pino';
import { KubeLeaseStore } from './cluster/lease-store.js';
import { KubeSecretReader } from './cluster/secret-reader.js';
import { type Config, ConfigError } from './config.js';
import { type RunningDashboardProcess, startDashboard } from './dashboard/index.js';
import { KubeClient } from './kube-api/client.js';
import type { KubeConnection } from './kube-api/connection.js';
import { inClusterServer, ServiceAccountConnection } from './kube-api/service-account-connection.js';
import { kubeListWatchSources, Manager } from './manager.js';
import { OperatorMetrics } from './observability/metrics.js';
import { resolveAwsGrants, validateAwsIdentity } from './providers/aws/mapping.js';
import { resolveAzureGrants, validateAzureIdentity } from './providers/azure/mapping.js';
import { validateGcpIdentity } from './providers/gcp/direct.js';
import { resolveGcpGrants } from './providers/gcp/mapping.js';
import { MemoryCloud } from './providers/memory/memory-cloud.js';
import type { AccountRequest, ProviderRegistry } from './providers/provider.js';
import { instrumentRegistry } from './providers/registry/instrumented.js';
import { cloudRegistry, deferredFactory, memoryRegistry } from './providers/registry/registry.js';
import type { SecretReader } from './providers/shared/secrets.js';
import { type Clock, realClock } from './runtime/clock.js';
import { startHealthServer } from './runtime/health-server.js';
import { LeaderElector } from './runtime/leader-election.js';
import { exposedGc, MemoryTrimmer } from './runtime/memory-trim.js';
import { RecentChanges } from './views/index.js';

export interface ProcessOptions {
  config: Config;
  logger: Logger;
  /** Aborting it shuts the operator down gracefully. */
  signal: AbortSignal;
  /** Overrides the providers the config selects (tests pass their own in-memory cloud). */
  providers?: ProviderRegistry;
  /** Overrides the connection the config selects (a kubeconfig, or the pod's ServiceAccount). */
  connection?: KubeConnection;
  clock?: Clock;
  /** Called once the operator is up, with what tests and the demo want to see. */
  onStarted?: (running: {
    httpPort: number;
    /** Undefined when --dashboard-address=off. */
    dashboardPort: number | undefined;
    manager: Manager;
    metrics: OperatorMetrics;
  }) => void;
}

/**
 * - stopped: `signal` aborted and everything settled; the Lease was handed over.
 * - lost-leadership: the Lease could not be renewed; the caller should exit so a fresh process can
 *   compete again.
 * - shutdown-timed-out: reconciles were still running after --shutdown-timeout; the Lease was kept,
 *   so the standby waits it out instead of overlapping with calls that may still be in flight. The
 *   caller should exit at once (non-zero), which ends those calls.
 */
export type ProcessOutcome = 'stopped' | 'lost-leadership' | 'shutdown-timed-out';

/**
 * Runs the operator until `signal` aborts or leadership is lost. Either way it stops taking work,
 * aborts every reconcile's context, waits (renewing the Lease meanwhile) until each has settled, and
 * only then releases the Lease, so the next leader's first cloud write comes after this one's last.
 */
export async function runOperatorProcess(options: ProcessOptions): Promise<ProcessOutcome> {
  const { config, logger, signal } = options;
  const clock = options.clock ?? realClock;
  const connection = options.connection ?? (await connectionOf(config, logger));
  const client = new KubeClient(connection);
  const metrics = new OperatorMetrics();
  // One JSON line per cloud change, marked stream=audit for a SIEM to pick out, whatever the log level.
  const audit = logger.child({ stream: 'audit' }, { level: logger.level === 'silent' ? 'silent' : 'info' });
  client.onRequest((verb, _path, code) => metrics.kubeRequests.inc({ verb, code: String(code) }));
  // The audit stream's last entries, shown by the dashboard beside each object.
  const changes = new RecentChanges();
  let dashboard: RunningDashboardProcess | undefined;
  const providers = instrumentRegistry(
    options.providers ??
      (config.cloud === 'memory'
        ? memoryRegistry(new MemoryCloud())
        : realClouds(new KubeSecretReader(client), {
            callTimeoutMs: config.cloudCallTimeoutMs,
            onThrottled: (provider, account) => metrics.throttled(provider, account),
          })),
    {
      observe: (provider, operation, outcome) => metrics.cloudCall(provider, operation, outcome),
      audit: (entry) => {
        audit.info({ audit: entry }, 'cloud change');
        const { namespace, name, uid } = entry.owner;
        changes.add({ ...entry, time: new Date(clock.now()).toISOString(), owner: { namespace, name, uid } });
        dashboard?.cloudChanged();
      },
      accountChecked: (provider, account, outcome) =>
        metrics.accountChecked(provider, account, outcome, clock.now()),
    },
  );
  if (config.cloud === 'memory' && !options.providers) {
    logger.warn('running on the in-memory cloud: nothing is created in AWS, Google Cloud or Azure');
  }
  const manager = new Manager({
    sources: kubeListWatchSources(connection),
    client,
    providers,
    metrics,
    logger,
    clock,
    clusterName: config.clusterName,
    workers: config.workers,
    cloudConcurrency: config.cloudConcurrency,
    reconcileTimeoutMs: config.reconcileTimeoutMs,
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
    readiness: { informers: () => (manager.synced() ? undefined : 'informer caches have not synced yet') },
    metrics: async () => {
      metrics.observeObjects(manager.objects());
      metrics.leading(elector ? elector.isLeader() : controllersRunning);
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
    logger,
  });
  try {
    dashboard = config.dashboard
      ? await startDashboard({
          config: config.dashboard,
          connection,
          client,
          manager,
          changes,
          clock,
          logger,
        })
      : undefined;
  } catch (err) {
    await server.close();
    client.close();
    throw err;
  }

  const stopping = new Promise<'stopped'>((resolve) => {
    if (signal.aborted) resolve('stopped');
    signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });

  let outcome: ProcessOutcome = 'stopped';
  // Without leader election, this replica leads while its controllers run.
  let controllersRunning = false;
  const trimmer = new MemoryTrimmer({ gc: exposedGc(), backlog: () => manager.backlog(), clock, logger });
  try {
    manager.startInformers();
    trimmer.start();
    options.onStarted?.({ httpPort: server.port, dashboardPort: dashboard?.port, manager, metrics });
    const leading = elector ? await Promise.race([elector.acquire(), stopping.then(() => false)]) : true;
    if (leading && !signal.aborted) {
      await Promise.race([manager.waitForSync(signal), stopping]);
      if (!signal.aborted) {
        manager.startControllers();
        controllersRunning = true;
        logger.info('controllers started');
        const lost = elector
          ? elector.holdUntilLost().then(() => 'lost-leadership' as const)
          : new Promise<never>(() => {});
        outcome = await Promise.race([stopping, lost]);
      }
    }
  } finally {
    trimmer.stop();
    controllersRunning = false;
    // The elector keeps renewing while the reconciles settle: the Lease must not lapse under them.
    const settled = await shutDown(manager, settleTimeoutMs(config, outcome), clock, logger);
    if (!settled) outcome = 'shutdown-timed-out';
    if (elector && outcome === 'stopped') {
      await elector.release().catch((err: unknown) => logger.warn({ err }, 'could not release the Lease'));
    } else {
      elector?.stop();
    }
    await dashboard?.close();
    await server.close();
    client.close();
  }
  logger.info({ outcome }, 'operator stopped');
  return outcome;
}

/**
 * How long the reconciles may take to settle. After a lost Lease, another replica may take it once
 * `leaseDuration` has passed since the last renewal, which was `renewDeadline` ago: this replica's
 * calls must end before that, with a retry period to spare.
 */
function settleTimeoutMs(config: Config, outcome: ProcessOutcome): number {
  if (outcome !== 'lost-leadership') return config.shutdownTimeoutMs;
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = config.leaderElection;
  return Math.min(config.shutdownTimeoutMs, leaseDurationMs - renewDeadlineMs - retryPeriodMs);
}

/** Aborts every reconcile and waits for them to settle; false when some still ran after `timeoutMs`. */
async function shutDown(manager: Manager, timeoutMs: number, clock: Clock, logger: Logger): Promise<boolean> {
  const timer = new AbortController();
  const timedOut = clock.sleep(timeoutMs, timer.signal).then(
    () => 'timeout' as const,
    () => 'settled' as const,
  );
  const result = await Promise.race([manager.stop().then(() => 'settled' as const), timedOut]);
  timer.abort();
  if (result === 'timeout') {
    logger.error(
      { timeoutMs },
      'reconciles were still running after the shutdown timeout; exiting without releasing the Lease',
    );
    return false;
  }
  return true;
}

/**
 * The clouds this build of Keyless can manage. Each cloud's SDK is imported when the first account
 * of that cloud calls it, so an operator pays in memory and start time only for the clouds it uses.
 */
export function realClouds(
  secrets: SecretReader,
  options: {
    callTimeoutMs: number;
    /** Told of every throttled answer, with the cloud and the CloudAccount's name. */
    onThrottled?: (provider: AccountRequest['spec']['provider'], account: string) => void;
  },
): ProviderRegistry {
  const { callTimeoutMs } = options;
  const onThrottled = (provider: AccountRequest['spec']['provider'], account: AccountRequest) => () =>
    options.onThrottled?.(provider, account.name);
  return cloudRegistry({
    aws: deferredFactory({
      name: 'aws',
      resolve: resolveAwsGrants,
      validate: validateAwsIdentity,
      load: async () => {
        const { createAwsProvider } = await import('./providers/aws/provider.js');
        return (account) =>
          createAwsProvider(account, { secrets, callTimeoutMs, onThrottled: onThrottled('aws', account) });
      },
    }),
    gcp: deferredFactory({
      name: 'gcp',
      resolve: resolveGcpGrants,
      validate: validateGcpIdentity,
      load: async () => {
        const { createGcpProvider } = await import('./providers/gcp/provider.js');
        return (account) =>
          createGcpProvider(account, { secrets, callTimeoutMs, onThrottled: onThrottled('gcp', account) });
      },
    }),
    azure: deferredFactory({
      name: 'azure',
      resolve: resolveAzureGrants,
      validate: validateAzureIdentity,
      load: async () => {
        const { createAzureProvider } = await import('./providers/azure/provider.js');
        return (account) =>
          createAzureProvider(account, {
            secrets,
            callTimeoutMs,
            onThrottled: onThrottled('azure', account),
          });
      },
    }),
  });
}

/**
 * A kubeconfig file when one is given (through client-node, imported only then: it knows every
 * authentication a kubeconfig may name); otherwise the pod's own ServiceAccount.
 */
async function connectionOf(config: Config, logger: Logger): Promise<KubeConnection> {
  if (config.kubeconfig) {
    const { KubeConfig } = await import('./kube-api/kube-config.js');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(config.kubeconfig);
    return kubeConfig;
  }
  if (!config.inClusterApiServer)
    throw new ConfigError(
      'no kubeconfig given (--kubeconfig or KUBECONFIG) and not in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset)',
    );
  return new ServiceAccountConnection({
    server: inClusterServer(config.inClusterApiServer),
    onRereadFailed: (err) =>
      logger.warn({ err }, 'could not re-read the ServiceAccount token; using the one read before'),
  });
}
