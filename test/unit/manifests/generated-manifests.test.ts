import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCrdKustomization } from '../../../scripts/crd-files.js';
import { CHART_DIR, renderChartFiles } from '../../../scripts/manifests/chart-files.js';
import { DEFAULT_VALUES } from '../../../scripts/manifests/chart-values.js';
import { DEPLOY_DIR, renderDeployFiles } from '../../../scripts/manifests/deploy-files.js';
import { chartContext, KUSTOMIZE_CONTEXT, renderObjects } from '../../../scripts/manifests/render.js';
import { ConfigError, loadConfig } from '../../../src/config.js';

const generated = [...renderDeployFiles(), ...renderChartFiles(), renderCrdKustomization()];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

type Manifest = { kind: string; spec?: unknown };
const deploymentEnv = (objects: unknown[]): Record<string, string> => {
  const deployment = (objects as Manifest[]).find((o) => o.kind === 'Deployment') as {
    spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
  };
  return Object.fromEntries(
    (deployment.spec.template.spec.containers[0]?.env ?? []).flatMap((e) =>
      e.value === undefined ? [] : [[e.name, e.value]],
    ),
  );
};

describe('generated deploy/ and charts/keyless/', () => {
  it.each(generated.map((f) => ({ ...f, file: relative(process.cwd(), f.path) })))(
    '$file is up to date (run `npm run generate`)',
    ({ path, content }) => {
      expect(readFileSync(path, 'utf8')).toBe(content);
    },
  );

  it('leave no file behind that the generator no longer writes', () => {
    const written = new Set(generated.map((f) => f.path));
    const stray = [
      ...filesUnder(CHART_DIR),
      ...filesUnder(DEPLOY_DIR).filter((path) => !path.startsWith(join(DEPLOY_DIR, 'monitoring'))),
    ].filter((path) => !written.has(path));
    expect(stray).toEqual([]);
  });
});

describe('values reach the operator as src/config.ts reads them', () => {
  const release = { name: 'keyless', namespace: 'platform' };

  it('maps every setting to its flag', () => {
    const values = {
      ...DEFAULT_VALUES,
      clusterName: 'prod-eu',
      logLevel: 'debug',
      workers: 12,
      cloudConcurrency: 3,
      reconcileTimeout: '90s',
      cloudCallTimeout: '45s',
      defaultResync: '30m',
      shutdownTimeout: '25s',
      leaderElection: {
        enabled: false,
        leaseName: 'keyless-a',
        leaseDuration: '30s',
        renewDeadline: '20s',
        retryPeriod: '5s',
      },
    };
    const config = loadConfig([], deploymentEnv(renderObjects(chartContext(values, release))));
    expect(config).toMatchObject({
      clusterName: 'prod-eu',
      logLevel: 'debug',
      workers: 12,
      cloudConcurrency: 3,
      reconcileTimeoutMs: 90_000,
      cloudCallTimeoutMs: 45_000,
      defaultResyncMs: 1_800_000,
      shutdownTimeoutMs: 25_000,
      leaderElection: {
        enabled: false,
        leaseName: 'keyless-a',
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 5_000,
      },
    });
  });

  it("keeps the operator's own defaults with the chart's defaults", () => {
    const fromChart = loadConfig(
      ['--pod-name=p'],
      deploymentEnv(renderObjects(chartContext({ ...DEFAULT_VALUES, clusterName: 'c' }, release))),
    );
    expect(fromChart).toEqual(loadConfig(['--pod-name=p'], { KEYLESS_CLUSTER_NAME: 'c' }));
  });

  it('leaves the Kustomize base without a cluster name, which the operator refuses until an overlay sets one', () => {
    expect(() => loadConfig([], deploymentEnv(renderObjects(KUSTOMIZE_CONTEXT)))).toThrow(
      new ConfigError(
        '--cluster-name (or KEYLESS_CLUSTER_NAME) must be a DNS label naming this cluster, got ""',
      ),
    );
  });
});
