import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const ENV = { KEYLESS_CLUSTER_NAME: 'prod-eu' };

describe('loadConfig', () => {
  it('has sensible defaults', () => {
    const config = loadConfig([], { ...ENV, POD_NAME: 'keyless-0' });
    expect(config).toMatchObject({
      clusterName: 'prod-eu',
      cloud: 'real',
      workers: 8,
      cloudConcurrency: 4,
      httpAddress: { host: '0.0.0.0', port: 8080 },
      dashboard: { host: '127.0.0.1', port: 8081, auth: 'none', reviewCacheMs: 30_000 },
      defaultResyncMs: 600_000,
      reconcileTimeoutMs: 60_000,
      cloudCallTimeoutMs: 20_000,
      shutdownTimeoutMs: 10_000,
      leaderElection: {
        enabled: true,
        namespace: 'keyless-system',
        leaseName: 'keyless-operator',
        identity: 'keyless-0',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
    });
  });

  it('takes flags over environment', () => {
    const config = loadConfig(['--workers', '8', '--cloud=memory', '--http-address', '127.0.0.1:0'], {
      ...ENV,
      KEYLESS_WORKERS: '2',
    });
    expect(config.workers).toBe(8);
    expect(config.cloud).toBe('memory');
    expect(config.httpAddress).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it.each([
    [[], {}, 8, 4],
    [['--workers=16'], {}, 16, 8],
    [['--workers=1'], {}, 1, 1],
    [['--workers=3'], {}, 3, 1],
    [['--workers=16', '--cloud-concurrency=16'], {}, 16, 16],
    [[], { KEYLESS_CLOUD_CONCURRENCY: '2' }, 8, 2],
  ])('with %j and %j: %i workers per kind, %i of them in the cloud at once', (argv, env, workers, cloud) => {
    const config = loadConfig(argv, { ...ENV, ...env });
    expect([config.workers, config.cloudConcurrency]).toEqual([workers, cloud]);
  });

  it.each([
    ['127.0.0.1:8081', 'auto', 'none'],
    ['127.3.4.5:8081', 'auto', 'none'],
    ['localhost:8081', 'auto', 'none'],
    ['[::1]:8081', 'auto', 'none'],
    ['0.0.0.0:8081', 'auto', 'token'],
    [':8081', 'auto', 'token'],
    ['10.0.0.7:8081', 'auto', 'token'],
    ['[::]:8081', 'auto', 'token'],
    ['127.0.0.1:8081', 'token', 'token'],
  ])('asks for a token on the dashboard at %s with --dashboard-auth=%s: %s', (address, auth, want) => {
    const config = loadConfig([`--dashboard-address=${address}`, `--dashboard-auth=${auth}`], ENV);
    expect(config.dashboard?.auth).toBe(want);
  });

  it('turns the dashboard off', () => {
    expect(loadConfig(['--dashboard-address=off'], ENV).dashboard).toBeUndefined();
  });

  it.each([
    [[], {}, /--cluster-name .* must be a DNS label/],
    [['--cluster-name', 'Prod_EU'], {}, /must be a DNS label/],
    [['--workers', 'many'], ENV, /--workers must be an integer from 1 to 256, got many/],
    [['--workers', '0'], ENV, /--workers must be an integer/],
    [
      ['--cloud-concurrency=9'],
      ENV,
      /--cloud-concurrency must be an integer from 1 to --workers \(8\), got 9/,
    ],
    [['--cloud-concurrency=0'], ENV, /--cloud-concurrency must be an integer from 1 to --workers/],
    [['--cloud-concurrency=all'], ENV, /--cloud-concurrency must be an integer .*, got all/],
    [['--cloud', 'azure'], ENV, /--cloud must be real or memory/],
    [['--default-resync', '10 minutes'], ENV, /--default-resync must be a positive duration/],
    [['--lease-duration', '5s'], ENV, /renew-deadline \+ retry-period < lease-duration/],
    [['--lease-duration', '12s'], ENV, /renew-deadline \+ retry-period < lease-duration/],
    [['--retry-period', '10s'], ENV, /retry-period < renew-deadline/],
    [['--http-address', 'localhost'], ENV, /--http-address must be HOST:PORT/],
    [['--dashboard-address', '8081'], ENV, /--dashboard-address must be HOST:PORT/],
    [['--dashboard-auth', 'basic'], ENV, /--dashboard-auth must be auto or token, got basic/],
    [['--dashboard-review-cache', '0s'], ENV, /--dashboard-review-cache must be a positive duration/],
    [['--log-level', 'loud'], ENV, /--log-level must be one of/],
    [['--leader-elect', 'yes'], ENV, /--leader-elect must be true or false/],
    [['--unknown-flag'], ENV, /Unknown option '--unknown-flag'/],
    [['--reconcile-timeout', '0s'], ENV, /--reconcile-timeout must be a positive duration/],
    [['--reconcile-timeout', '10s'], ENV, /--cloud-call-timeout must not be longer than --reconcile-timeout/],
    [['--shutdown-timeout', 'soon'], ENV, /--shutdown-timeout must be a positive duration/],
  ])('refuses %j with one clear line', (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });
});
