import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseDuration } from './policy/duration.js';

export type CloudMode = 'real' | 'memory';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A DNS label: the cluster's name goes into cloud names and tags. */
export const CLUSTER_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';

/** Everything the operator process can be told, validated. Only this module reads flags and env. */
export interface Config {
  /** Path to a kubeconfig; undefined means in-cluster (the pod's ServiceAccount). */
  kubeconfig: string | undefined;
  /**
   * The API server as the kubelet tells every pod (KUBERNETES_SERVICE_HOST and _PORT); used when no
   * kubeconfig is given. Undefined outside a pod.
   */
  inClusterApiServer: { host: string; port: string } | undefined;
  /** Names this cluster in cloud ownership tags and in deterministic cloud names. */
  clusterName: string;
  /** real: the AWS, Google Cloud and Azure APIs. memory: the in-memory cloud (demo, tests). */
  cloud: CloudMode;
  /** Reconciles in parallel per kind. */
  workers: number;
  /**
   * Cloud calls in flight per kind, at most `workers`: the reconciles beyond it do their Kubernetes
   * reads and writes while the others are in the cloud.
   */
  cloudConcurrency: number;
  httpAddress: { host: string; port: number };
  /** The read-only dashboard and its JSON API; undefined when turned off. */
  dashboard: DashboardConfig | undefined;
  logLevel: LogLevel;
  /** Used when a CloudAccount sets no resyncInterval. */
  defaultResyncMs: number;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    leaseName: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  /** Each reconcile's deadline: its signal aborts then, and every call it makes stops. */
  reconcileTimeoutMs: number;
  /** How long one cloud call may take, within the reconcile's deadline. */
  cloudCallTimeoutMs: number;
  /**
   * On SIGTERM, how long in-flight reconciles may take to settle after their contexts are aborted;
   * past it the process exits non-zero without releasing the Lease.
   */
  shutdownTimeoutMs: number;
}

export interface DashboardConfig {
  host: string;
  port: number;
  /**
   * none: anyone who reaches the listener sees everything (loopback only, reached through
   * `kubectl port-forward`). token: a Kubernetes bearer token is required and each user sees what
   * their RBAC lets them list.
   */
  auth: 'none' | 'token';
  /** How long a token's review and its access decisions are reused. */
  reviewCacheMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const OPTIONS = {
  kubeconfig: { type: 'string', env: 'KUBECONFIG', help: 'kubeconfig path (default: in-cluster)' },
  'cluster-name': {
    type: 'string',
    env: 'KEYLESS_CLUSTER_NAME',
    help: 'this cluster, in cloud tags and names',
  },
  cloud: { type: 'string', env: 'KEYLESS_CLOUD', help: 'real | memory', default: 'real' },
  workers: { type: 'string', env: 'KEYLESS_WORKERS', help: 'reconciles in parallel per kind', default: '8' },
  'cloud-concurrency': {
    type: 'string',
    env: 'KEYLESS_CLOUD_CONCURRENCY',
    help: 'cloud calls in flight per kind (default: half of --workers)',
  },
  'http-address': {
    type: 'string',
    env: 'KEYLESS_HTTP_ADDRESS',
    help: '/healthz, /readyz, /metrics',
    default: '0.0.0.0:8080',
  },
  'dashboard-address': {
    type: 'string',
    env: 'KEYLESS_DASHBOARD_ADDRESS',
    help: 'the dashboard and /api/v1 (off: none)',
    default: '127.0.0.1:8081',
  },
  'dashboard-auth': {
    type: 'string',
    env: 'KEYLESS_DASHBOARD_AUTH',
    help: 'auto (a token unless loopback) | token',
    default: 'auto',
  },
  'dashboard-review-cache': {
    type: 'string',
    env: 'KEYLESS_DASHBOARD_REVIEW_CACHE',
    help: "reuse a token's access review for",
    default: '30s',
  },
  'log-level': { type: 'string', env: 'KEYLESS_LOG_LEVEL', help: 'info, debug, ...', default: 'info' },
  'default-resync': {
    type: 'string',
    env: 'KEYLESS_DEFAULT_RESYNC',
    help: 'cloud re-observation',
    default: '10m',
  },
  'leader-elect': { type: 'string', env: 'KEYLESS_LEADER_ELECT', help: 'true | false', default: 'true' },
  'leader-election-namespace': {
    type: 'string',
    env: 'POD_NAMESPACE',
    help: 'where the Lease lives',
    default: 'keyless-system',
  },
  'lease-name': {
    type: 'string',
    env: 'KEYLESS_LEASE_NAME',
    help: 'the Lease name',
    default: 'keyless-operator',
  },
  'lease-duration': { type: 'string', env: 'KEYLESS_LEASE_DURATION', help: 'Lease duration', default: '15s' },
  'renew-deadline': {
    type: 'string',
    env: 'KEYLESS_RENEW_DEADLINE',
    help: 'leader gives up after',
    default: '10s',
  },
  'retry-period': { type: 'string', env: 'KEYLESS_RETRY_PERIOD', help: 'Lease retry period', default: '2s' },
  'reconcile-timeout': {
    type: 'string',
    env: 'KEYLESS_RECONCILE_TIMEOUT',
    help: "each reconcile's deadline",
    default: '60s',
  },
  'cloud-call-timeout': {
    type: 'string',
    env: 'KEYLESS_CLOUD_CALL_TIMEOUT',
    help: 'longest single cloud call',
    default: '20s',
  },
  'shutdown-timeout': {
    type: 'string',
    env: 'KEYLESS_SHUTDOWN_TIMEOUT',
    help: 'aborted reconciles must settle within',
    default: '10s',
  },
  'pod-name': { type: 'string', env: 'POD_NAME', help: 'this replica, in the Lease and Events' },
} as const;

export type OptionName = keyof typeof OPTIONS;

export const USAGE = `Usage: keyless [options]\n${Object.entries(OPTIONS)
  .map(
    ([name, o]) =>
      `  --${name.padEnd(28)} ${o.help} (env ${o.env}${'default' in o ? `, default ${o.default}` : ''})`,
  )
  .join('\n')}`;

/** Flags win over environment variables, which win over defaults. Throws ConfigError on bad input. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  let values: Partial<Record<OptionName, string>>;
  try {
    const options = Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' as const }]));
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
      .values as typeof values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const get = (name: OptionName): string | undefined => {
    const option = OPTIONS[name];
    return values[name] ?? env[option.env] ?? ('default' in option ? option.default : undefined);
  };

  const clusterName = get('cluster-name');
  if (!clusterName || !new RegExp(CLUSTER_NAME_PATTERN).test(clusterName)) {
    throw new ConfigError(
      `--cluster-name (or KEYLESS_CLUSTER_NAME) must be a DNS label naming this cluster, got ${JSON.stringify(clusterName ?? '')}`,
    );
  }
  const cloud = get('cloud');
  if (cloud !== 'real' && cloud !== 'memory')
    throw new ConfigError(`--cloud must be real or memory, got ${cloud}`);
  const workers = Number(get('workers'));
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new ConfigError(`--workers must be an integer from 1 to 256, got ${get('workers')}`);
  }
  const cloudConcurrency = Number(get('cloud-concurrency') ?? Math.max(1, Math.floor(workers / 2)));
  if (!Number.isInteger(cloudConcurrency) || cloudConcurrency < 1 || cloudConcurrency > workers) {
    throw new ConfigError(
      `--cloud-concurrency must be an integer from 1 to --workers (${workers}), got ${get('cloud-concurrency')}`,
    );
  }
  const logLevel = get('log-level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  }
  const leaderElect = get('leader-elect');
  if (leaderElect !== 'true' && leaderElect !== 'false') {
    throw new ConfigError(`--leader-elect must be true or false, got ${leaderElect}`);
  }
  const leaseDurationMs = duration('lease-duration', get);
  const renewDeadlineMs = duration('renew-deadline', get);
  const retryPeriodMs = duration('retry-period', get);
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs + retryPeriodMs < leaseDurationMs)) {
    // After a lost Lease, the reconciles get lease-duration − renew-deadline − retry-period to stop.
    throw new ConfigError(
      'leader election needs retry-period < renew-deadline and renew-deadline + retry-period < lease-duration',
    );
  }
  const identity = get('pod-name') ?? hostname();
  const reconcileTimeoutMs = duration('reconcile-timeout', get);
  const cloudCallTimeoutMs = duration('cloud-call-timeout', get);
  if (cloudCallTimeoutMs > reconcileTimeoutMs) {
    throw new ConfigError('--cloud-call-timeout must not be longer than --reconcile-timeout');
  }
  const shutdownTimeoutMs = duration('shutdown-timeout', get);

  const dashboardAuth = get('dashboard-auth');
  if (dashboardAuth !== 'auto' && dashboardAuth !== 'token') {
    throw new ConfigError(`--dashboard-auth must be auto or token, got ${dashboardAuth}`);
  }
  const dashboardAddress = get('dashboard-address') ?? '';
  const dashboard =
    dashboardAddress === 'off'
      ? undefined
      : (() => {
          const { host, port } = address(dashboardAddress, 'dashboard-address');
          return {
            host,
            port,
            auth: dashboardAuth === 'token' || !isLoopback(host) ? ('token' as const) : ('none' as const),
            reviewCacheMs: duration('dashboard-review-cache', get),
          };
        })();

  return {
    kubeconfig: get('kubeconfig') || undefined,
    inClusterApiServer:
      env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT
        ? { host: env.KUBERNETES_SERVICE_HOST, port: env.KUBERNETES_SERVICE_PORT }
        : undefined,
    clusterName,
    cloud,
    workers,
    cloudConcurrency,
    httpAddress: address(get('http-address') ?? '', 'http-address'),
    dashboard,
    logLevel,
    defaultResyncMs: duration('default-resync', get),
    leaderElection: {
      enabled: leaderElect === 'true',
      namespace: get('leader-election-namespace') ?? 'keyless-system',
      leaseName: get('lease-name') ?? 'keyless-operator',
      identity,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    reconcileTimeoutMs,
    cloudCallTimeoutMs,
    shutdownTimeoutMs,
  };
}

function duration(name: OptionName, get: (name: OptionName) => string | undefined): number {
  const text = get(name) ?? '';
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error('must be positive');
    return ms;
  } catch (err) {
    throw new ConfigError(
      `--${name} must be a positive duration such as 10s or 5m, got ${JSON.stringify(text)}`,
      {
        cause: err,
      },
    );
  }
}

function address(text: string, flag: OptionName): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new ConfigError(`--${flag} must be HOST:PORT, got ${JSON.stringify(text)}`);
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port };
}

/** Whether only this machine can reach a listener on `host`: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
