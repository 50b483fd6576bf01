import { expect } from 'vitest';
import { DEFAULT_VALUES } from '../../../scripts/manifests/chart-values.js';
import { MONITORING_FILES, monitoringFile } from '../../../scripts/manifests/operator-manifests.js';
import type { Manifest } from '../kube-manifests.js';

/** A values file a user might write, and what the rendered objects must then show. */
export interface ValueSet {
  name: string;
  values: Record<string, unknown>;
  check(objects: Manifest[]): void;
}

export const RELEASE = { name: 'keyless', namespace: 'keyless-chart' } as const;

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Helm's merge of a values file over the chart's values.yaml: maps merge key by key, null drops
 * the key, anything else replaces.
 */
export function withDefaults(values: Json, defaults: Json = DEFAULT_VALUES as Json): Json {
  const merged: Json = { ...defaults };
  for (const [key, value] of Object.entries(values)) {
    const base = defaults[key];
    if (value === null) delete merged[key];
    else merged[key] = isMap(value) && isMap(base) ? withDefaults(value, base) : value;
  }
  return merged;
}

export function find(objects: Manifest[], kind: string, name?: string): Json {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found)
    throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((o) => o.kind).join(', ')}`);
  return found as Json;
}

export const at = (object: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (node, key) => (isMap(node) || Array.isArray(node) ? (node as Json)[key] : undefined),
      object,
    );

export const podSpec = (objects: Manifest[]) => at(find(objects, 'Deployment'), 'spec.template.spec') as Json;
export const container = (objects: Manifest[]) => (at(podSpec(objects), 'containers.0') ?? {}) as Json;
export const envOf = (objects: Manifest[]): Record<string, unknown> =>
  Object.fromEntries(
    (container(objects).env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );
const annotationsOf = (object: Json) => at(object, 'metadata.annotations');

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  expect(actual, what).toEqual(expected);
}

const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless-operator';
const GCP_SA = 'keyless-operator@my-project.iam.gserviceaccount.com';
const AZURE_CLIENT_ID = '3f1c2a9e-5b7d-4e2f-9a1b-0c8d7e6f5a4b';

export const VALUE_SETS: ValueSet[] = [
  {
    name: 'defaults and a cluster name',
    values: { clusterName: 'prod-eu' },
    check(objects) {
      expectEqual('kinds', objects.map((o) => o.kind).sort(), [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ]);
      expectEqual('cluster name', envOf(objects).KEYLESS_CLUSTER_NAME, 'prod-eu');
      expectEqual('ServiceAccount annotations', annotationsOf(find(objects, 'ServiceAccount')), undefined);
      expectEqual(
        'ServiceAccount token automount',
        find(objects, 'ServiceAccount').automountServiceAccountToken,
        false,
      );
      expectEqual('pod token automount', podSpec(objects).automountServiceAccountToken, true);
      expectEqual('pod securityContext', podSpec(objects).securityContext, {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expectEqual('container securityContext', container(objects).securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expectEqual('image', container(objects).image, 'ghcr.io/keyless-dev/keyless:0.1.0');
    },
  },
  {
    name: 'AWS: IRSA role',
    values: { clusterName: 'prod-eu', identity: { aws: { roleArn: ROLE_ARN } } },
    check(objects) {
      expectEqual('ServiceAccount annotations', annotationsOf(find(objects, 'ServiceAccount')), {
        'eks.amazonaws.com/role-arn': ROLE_ARN,
      });
    },
  },
  {
    name: 'Google Cloud: GKE workload identity',
    values: { clusterName: 'prod-eu', identity: { gcp: { serviceAccount: GCP_SA } } },
    check(objects) {
      expectEqual('ServiceAccount annotations', annotationsOf(find(objects, 'ServiceAccount')), {
        'iam.gke.io/gcp-service-account': GCP_SA,
      });
    },
  },
  {
    name: 'Azure: workload identity',
    values: {
      clusterName: 'prod-eu',
      identity: { azure: { clientId: AZURE_CLIENT_ID } },
      serviceAccount: {
        annotations: { 'azure.workload.identity/tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      },
    },
    check(objects) {
      expectEqual('ServiceAccount annotations', annotationsOf(find(objects, 'ServiceAccount')), {
        'azure.workload.identity/tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47',
        'azure.workload.identity/client-id': AZURE_CLIENT_ID,
      });
      expectEqual(
        'pod label azure.workload.identity/use',
        (at(find(objects, 'Deployment'), 'spec.template.metadata.labels') as Json)[
          'azure.workload.identity/use'
        ],
        'true',
      );
    },
  },
  {
    name: 'monitoring: ServiceMonitor, PrometheusRule and Grafana dashboard',
    values: {
      clusterName: 'prod-eu',
      serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } },
      prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
      grafanaDashboard: {
        enabled: true,
        namespace: 'monitoring',
        annotations: { grafana_folder: 'Keyless' },
      },
    },
    check(objects) {
      const monitor = find(objects, 'ServiceMonitor');
      expectEqual('ServiceMonitor label', at(monitor, 'metadata.labels.release'), 'prometheus');
      expectEqual('ServiceMonitor endpoint', at(monitor, 'spec.endpoints.0'), {
        port: 'http',
        path: '/metrics',
        interval: '15s',
        honorLabels: true,
      });
      expectEqual(
        'PrometheusRule label',
        at(find(objects, 'PrometheusRule'), 'metadata.labels.release'),
        'prometheus',
      );
      const dashboard = find(objects, 'ConfigMap', 'keyless-dashboard');
      expectEqual('sidecar label', at(dashboard, 'metadata.labels.grafana_dashboard'), '1');
      expectEqual('folder annotation', annotationsOf(dashboard), { grafana_folder: 'Keyless' });
      expectEqual('dashboard namespace', at(dashboard, 'metadata.namespace'), 'monitoring');
      expectEqual(
        'dashboard',
        JSON.parse((dashboard.data as Record<string, string>)['keyless.json'] ?? ''),
        JSON.parse(monitoringFile(MONITORING_FILES.dashboard)),
      );
    },
  },
  {
    name: 'custom security context, scheduling, settings and extra env',
    values: {
      clusterName: 'staging-1',
      replicas: 3,
      image: { repository: 'registry.example.com/keyless', tag: '0.1.0-rc.1', pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'registry' }],
      logLevel: 'debug',
      workers: 16,
      reconcileTimeout: '90s',
      cloudCallTimeout: '30s',
      leaderElection: { enabled: false },
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      // Maps merge with the defaults key by key; null drops a default.
      securityContext: {
        readOnlyRootFilesystem: true,
        runAsUser: 10001,
        runAsNonRoot: null,
        seccompProfile: null,
      },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'keyless' } },
              },
            },
          ],
        },
      },
      podLabels: { team: 'platform' },
      podAnnotations: { 'example.com/owner': 'platform' },
      extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy.internal:3128' }],
    },
    check(objects) {
      expectEqual('container securityContext', container(objects).securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsUser: 10001,
        capabilities: { drop: ['ALL'] },
      });
      expectEqual('pod runAsUser', at(podSpec(objects), 'securityContext.runAsUser'), 10001);
      expectEqual('replicas', at(find(objects, 'Deployment'), 'spec.replicas'), 3);
      expectEqual('image', container(objects).image, 'registry.example.com/keyless:0.1.0-rc.1');
      expectEqual('imagePullSecrets', podSpec(objects).imagePullSecrets, [{ name: 'registry' }]);
      expectEqual('nodeSelector', podSpec(objects).nodeSelector, { 'kubernetes.io/os': 'linux' });
      const env = envOf(objects);
      expectEqual(
        'settings',
        [
          env.KEYLESS_LOG_LEVEL,
          env.KEYLESS_WORKERS,
          env.KEYLESS_RECONCILE_TIMEOUT,
          env.KEYLESS_LEADER_ELECT,
          env.HTTPS_PROXY,
        ],
        ['debug', '16', '90s', 'false', 'http://proxy.internal:3128'],
      );
      expectEqual(
        'pod label',
        at(find(objects, 'Deployment'), 'spec.template.metadata.labels.team'),
        'platform',
      );
    },
  },
];

/** Values files the schema must refuse, with what helm's message must say. */
export const REFUSED_VALUES: { name: string; values: Record<string, unknown>; message: RegExp }[] = [
  { name: 'no clusterName', values: {}, message: /missing property 'clusterName'/ },
  {
    name: 'clusterName not a DNS label',
    values: { clusterName: 'Prod_EU' },
    message: /at '\/clusterName': '.*' does not match pattern/,
  },
  {
    name: 'replicas as a string',
    values: { clusterName: 'a', replicas: 'two' },
    message: /at '\/replicas': got string, want integer/,
  },
  {
    name: 'workers out of range',
    values: { clusterName: 'a', workers: 0 },
    message: /at '\/workers': minimum: got 0, want 1/,
  },
  {
    name: 'unknown log level',
    values: { clusterName: 'a', logLevel: 'verbose' },
    message: /at '\/logLevel': value must be one of/,
  },
  {
    name: 'a misspelt key',
    values: { clusterName: 'a', replica: 2 },
    message: /additional properties 'replica' not allowed/,
  },
  {
    name: 'a role ARN that is not one',
    values: { clusterName: 'a', identity: { aws: { roleArn: 'keyless-operator' } } },
    message: /at '\/identity\/aws\/roleArn': 'keyless-operator' does not match pattern/,
  },
  {
    name: 'a flag as a string',
    values: { clusterName: 'a', serviceMonitor: { enabled: 'yes' } },
    message: /at '\/serviceMonitor\/enabled': got string, want boolean/,
  },
  {
    name: 'a malformed duration',
    values: { clusterName: 'a', reconcileTimeout: '1 minute' },
    message: /at '\/reconcileTimeout'/,
  },
];
