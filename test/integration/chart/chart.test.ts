import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  chartContext,
  KUSTOMIZE_CONTEXT,
  KUSTOMIZE_NAMESPACE,
  renderObjects,
} from '../../../scripts/manifests/render.js';
import { loadConfig } from '../../../src/config.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { CHART_DIR, Helm, parseManifests } from '../../support/chart/helm.js';
import { DEPLOY_DIR, dryRunApply, kustomize } from '../../support/chart/kubectl-kustomize.js';
import { installMonitoringCrds } from '../../support/chart/monitoring-crds.js';
import {
  at,
  container,
  envOf,
  find,
  podSpec,
  REFUSED_VALUES,
  RELEASE,
  VALUE_SETS,
  withDefaults,
} from '../../support/chart/value-sets.js';
import {
  apply,
  get,
  installCrds,
  type Manifest,
  readManifests,
  waitFor,
} from '../../support/kube-manifests.js';
import { describeWithKubectl } from '../../support/kubectl.js';

const descriptionOf = (crd: Manifest) => at(crd, 'spec.versions.0.schema.openAPIV3Schema.description');
function asPreviousVersion(crd: Manifest): Manifest {
  const previous = structuredClone(crd);
  (at(previous, 'spec.versions.0.schema.openAPIV3Schema') as { description: string }).description =
    'the previous version';
  return previous;
}

/** What `kubectl apply -o name` calls an object: `deployment.apps/keyless-operator`. */
const nameOf = (o: Manifest) => {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind.toLowerCase()}${group}/${o.metadata.name}`;
};

const key = (o: Manifest) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objects: Manifest[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));

/** Labels only the chart sets: Helm's own, and the release's. */
const HELM_ONLY_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
function withoutHelmLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHelmLabels);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !HELM_ONLY_LABELS.includes(name))
      .map(([name, child]) => [name, withoutHelmLabels(child)]),
  );
}

describeWithKubectl(
  'the Helm chart and the Kustomize base, by helm, kubectl and the API server',
  (controlPlane, kubectl) => {
    let helm: Helm;
    let admin: KubeClient;
    let workDir: string;

    /** Manifests as a file, for kubectl's -f. */
    const manifestFile = async (text: string) => {
      const path = join(await mkdtemp(join(workDir, 'manifests-')), 'manifests.yaml');
      await writeFile(path, text);
      return path;
    };

    beforeAll(async () => {
      const started = Date.now();
      helm = await Helm.start();
      console.info(`[chart] helm ready in ${Math.round((Date.now() - started) / 1000)} s`);
      workDir = await mkdtemp(join(tmpdir(), 'keyless-chart-'));
      admin = new KubeClient(controlPlane().kubeConfig());
      // As `helm install` does, crds/ first (server-side apply, field manager helm), here from an
      // older chart whose CRDs differ, so that the upgrade below has something to change.
      await installCrds(admin, readManifests('charts/keyless/crds/').map(asPreviousVersion), 'helm');
      await installMonitoringCrds(admin);
      for (const name of [RELEASE.namespace, KUSTOMIZE_NAMESPACE, 'monitoring']) {
        await apply(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      }
      // kubectl maps kinds through discovery, which lists CRDs a moment after they are Established.
      for (const group of ['keyless.dev/v1alpha1', 'monitoring.coreos.com/v1']) {
        await waitFor(`discovery to list ${group}`, () =>
          admin
            .request<{ resources: unknown[] }>('GET', `/apis/${group}`)
            .then((g) => g.resources.length > 0),
        );
      }
    });

    afterAll(async () => {
      await helm?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('ships crds/ as generated from src/api', () => {
      expect(readManifests('charts/keyless/crds/')).toEqual(readManifests('crds/'));
    });

    it('upgrades the CRDs with the README’s command: server-side apply conflicts with helm’s fields until forced', async () => {
      const upgrade = ['apply', '--server-side', '-f', join(CHART_DIR, 'crds')];
      await expect(kubectl(upgrade)).rejects.toThrow(/conflicts? with "helm"/);
      await kubectl([...upgrade.slice(0, 2), '--force-conflicts', ...upgrade.slice(2)]);
      for (const crd of readManifests('charts/keyless/crds/')) {
        expect(descriptionOf((await get(admin, crd)) as Manifest)).toBe(descriptionOf(crd));
      }
    });

    it('keeps kubectl apply -f crds/ to the three CRDs: the Kustomization file there is no .yaml', async () => {
      expect(await dryRunApply(kubectl, ['-f', 'crds/'])).toEqual(readManifests('crds/').map(nameOf).sort());
    });

    it.each(VALUE_SETS)(
      '$name: passes helm lint --strict, renders as the chart model says, and the API server accepts every object',
      async (set) => {
        const lint = await helm.lint(set.values);
        expect(lint.code, `${lint.stdout}${lint.stderr}`).toBe(0);
        const rendered = await helm.template(set.values, RELEASE);
        expect(rendered.code, rendered.stderr).toBe(0);
        const objects = parseManifests(rendered.stdout);
        // Helm prints the objects in its install order (kind by kind), the model in file order.
        expect(byKey(objects)).toEqual(
          byKey(renderObjects(chartContext(withDefaults(set.values), RELEASE)) as Manifest[]),
        );
        set.check(objects);
        // What `helm template … | kubectl apply --server-side -f -` would apply.
        expect(await dryRunApply(kubectl, ['-f', await manifestFile(rendered.stdout)])).toEqual(
          objects.map(nameOf).sort(),
        );
      },
    );

    it.each(REFUSED_VALUES)('refuses a values file with $name, saying where', async ({ values, message }) => {
      const result = await helm.template(values, RELEASE);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      const lint = await helm.lint(values);
      expect(lint.code).not.toBe(0);
    });

    it('renders a pod that the restricted Pod Security Standard admits, and one without security contexts it refuses', async () => {
      const namespace = 'keyless-restricted';
      await apply(admin, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      });
      const release = { name: 'keyless', namespace };
      const podOf = async (values: Record<string, unknown>) => {
        const objects = await helm.render(values, release);
        await apply(admin, find(objects, 'ServiceAccount') as Manifest);
        return {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'keyless-operator-dry-run', namespace },
          spec: podSpec(objects),
        };
      };
      const create = async (pod: object) =>
        admin
          .request('POST', `/api/v1/namespaces/${namespace}/pods`, { body: pod, query: { dryRun: 'All' } })
          .then(
            () => 'admitted',
            (err: Error) => err.message,
          );

      expect(await create(await podOf({ clusterName: 'prod-eu' }))).toBe('admitted');
      expect(
        await create(
          await podOf({ clusterName: 'prod-eu', podSecurityContext: null, securityContext: null }),
        ),
      ).toMatch(/violates PodSecurity "restricted/);
    });

    it('kubectl kustomize builds deploy/ from crds/ and the chart with its defaults, which apply -k dry-runs', async () => {
      const objects = await kustomize(kubectl, DEPLOY_DIR);
      expect(byKey(objects)).toEqual(
        byKey([...readManifests('crds/'), ...(renderObjects(KUSTOMIZE_CONTEXT) as Manifest[])]),
      );
      expect(await dryRunApply(kubectl, ['-k', DEPLOY_DIR])).toEqual(objects.map(nameOf).sort());
    });

    it('gives the same objects from Helm as from Kustomize, but for Helm’s labels and the cluster name', async () => {
      const fromHelm = await helm.render(
        { clusterName: 'prod-eu' },
        { name: 'keyless', namespace: KUSTOMIZE_NAMESPACE },
      );
      const fromKustomize = (await kustomize(kubectl, DEPLOY_DIR)).filter(
        (o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace',
      );
      const named = fromKustomize.map((o) =>
        o.kind === 'Deployment'
          ? JSON.parse(JSON.stringify(o).replace('"value":""', '"value":"prod-eu"'))
          : o,
      );
      expect(byKey(withoutHelmLabels(fromHelm) as Manifest[])).toEqual(byKey(named));
    });

    it('takes the cluster name from an overlay, as the README shows, and the operator reads its settings', async () => {
      const overlay = await mkdtemp(join(tmpdir(), 'keyless-overlay-'));
      try {
        await writeFile(
          join(overlay, 'kustomization.yaml'),
          stringify({
            resources: [relative(overlay, DEPLOY_DIR)],
            patches: [
              {
                patch: stringify({
                  apiVersion: 'v1',
                  kind: 'ServiceAccount',
                  metadata: {
                    name: 'keyless-operator',
                    namespace: KUSTOMIZE_NAMESPACE,
                    annotations: {
                      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/keyless-operator',
                    },
                  },
                }),
              },
              {
                patch: stringify({
                  apiVersion: 'apps/v1',
                  kind: 'Deployment',
                  metadata: { name: 'keyless-operator', namespace: KUSTOMIZE_NAMESPACE },
                  spec: {
                    template: {
                      spec: {
                        containers: [
                          { name: 'operator', env: [{ name: 'KEYLESS_CLUSTER_NAME', value: 'prod-eu' }] },
                        ],
                      },
                    },
                  },
                }),
              },
            ],
          }),
        );
        const objects = await kustomize(kubectl, overlay);
        const env = envOf(objects);
        expect(env.KEYLESS_CLUSTER_NAME).toBe('prod-eu');
        const config = loadConfig(
          [],
          Object.fromEntries(
            Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
        );
        expect(config).toMatchObject({
          clusterName: 'prod-eu',
          workers: 8,
          cloudConcurrency: 4,
          reconcileTimeoutMs: 60_000,
        });
        expect(container(objects).image).toBe('ghcr.io/keyless-dev/keyless:0.1.0');
        expect(find(objects, 'ServiceAccount')).toMatchObject({
          metadata: {
            annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/keyless-operator' },
          },
          automountServiceAccountToken: false,
        });
      } finally {
        await rm(overlay, { recursive: true, force: true });
      }
    });
  },
);
