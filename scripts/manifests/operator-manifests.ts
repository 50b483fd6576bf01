import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { OPTIONS, type OptionName } from '../../src/config.js';
import {
  block,
  type Condition,
  concat,
  expr,
  inChartOnly,
  inKustomizeOnly,
  isSet,
  merge,
  type Template,
  type TemplateMap,
  text,
  value,
  valueAt,
  when,
} from './template.js';

/**
 * The operator's manifests, the one source of the Kustomize base (deploy/) and of the Helm chart's
 * templates (charts/keyless/templates/). The integration tests run the operator with the RBAC and
 * ServiceAccount rendered from here.
 */

export interface ManifestDocument {
  /** Written above the document, as YAML comment lines. */
  readonly comment?: string;
  /** Rendered only when it holds (with the default values, for the Kustomize base). */
  readonly when?: Condition;
  readonly object: TemplateMap;
}

export interface ManifestFile {
  /** The file name, in deploy/ and in charts/keyless/templates/. */
  readonly name: string;
  readonly documents: readonly ManifestDocument[];
}

export const OPERATOR_NAME = 'keyless-operator';
const NAME_LABEL = { 'app.kubernetes.io/name': 'keyless' } as const;
/** The port of /healthz, /readyz and /metrics: --http-address's default. */
const HTTP_PORT = Number(OPTIONS['http-address'].default.split(':')[1]);

const MONITORING_DIR = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
/** The alerts and the dashboard, kept in deploy/monitoring/ and copied into the chart's files/. */
export const MONITORING_FILES = { alerts: 'alerts.yaml', dashboard: 'dashboard.json' } as const;
export const monitoringFile = (name: string): string => readFileSync(`${MONITORING_DIR}${name}`, 'utf8');

const namespace = expr('.Release.Namespace', (c) => c.release.namespace);

function labels(...extra: (TemplateMap | ReturnType<typeof block>)[]) {
  return merge(
    {
      ...NAME_LABEL,
      'app.kubernetes.io/instance': when(
        inChartOnly,
        expr('.Release.Name', (c) => c.release.name),
      ),
      'app.kubernetes.io/managed-by': when(inChartOnly, 'Helm'),
      'helm.sh/chart': when(
        inChartOnly,
        expr('printf "%s-%s" .Chart.Name .Chart.Version', (c) => `${c.chart.name}-${c.chart.version}`),
      ),
    },
    ...extra,
  );
}

function metadata(name: string, options: { namespaced?: boolean } = {}): TemplateMap {
  return {
    name,
    ...(options.namespaced === false ? {} : { namespace }),
    labels: labels(),
  };
}

/** An environment variable the operator reads (src/config.ts), set from a value. */
function setting(option: OptionName, path: string): TemplateMap {
  return { name: OPTIONS[option].env, value: text(path) };
}

const fieldRef = (option: OptionName, fieldPath: string): TemplateMap => ({
  name: OPTIONS[option].env,
  valueFrom: { fieldRef: { fieldPath } },
});

const namespaceDocument: ManifestDocument = {
  comment:
    'Helm installs into the release namespace instead (helm install --namespace … --create-namespace).',
  when: inKustomizeOnly,
  object: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: expr('.Release.Namespace', (c) => c.release.namespace),
      labels: { ...NAME_LABEL, 'pod-security.kubernetes.io/enforce': 'restricted' },
    },
  },
};

const serviceAccount: ManifestDocument = {
  comment:
    "The operator's own cloud identity (CloudAccount credentials.source: Ambient) is named by the annotations\n" +
    'eks.amazonaws.com/role-arn (IRSA), iam.gke.io/gcp-service-account (GKE) or\n' +
    'azure.workload.identity/client-id (Azure). Only the operator pod mounts a token of it.',
  object: {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      ...metadata(OPERATOR_NAME),
      annotations: merge(block('serviceAccount.annotations'), {
        'eks.amazonaws.com/role-arn': when(isSet('identity.aws.roleArn'), value('identity.aws.roleArn')),
        'iam.gke.io/gcp-service-account': when(
          isSet('identity.gcp.serviceAccount'),
          value('identity.gcp.serviceAccount'),
        ),
        'azure.workload.identity/client-id': when(
          isSet('identity.azure.clientId'),
          value('identity.azure.clientId'),
        ),
      }),
    },
    automountServiceAccountToken: false,
  },
};

const subject = { kind: 'ServiceAccount', name: OPERATOR_NAME, namespace };

const rbac: ManifestDocument[] = [
  {
    comment:
      'Least privilege: exactly what the operator calls, checked by the integration tests, which run\n' +
      'the operator with a token of this ServiceAccount. ServiceAccounts: annotations by server-side\n' +
      'apply; create only for subjects with serviceAccount.create: true. Events: list and watch for the\n' +
      "dashboard's Events beside each object; TokenReviews and SubjectAccessReviews: who holds a\n" +
      'dashboard token, and what they may list.',
    object: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(OPERATOR_NAME, { namespaced: false }),
      rules: [
        {
          apiGroups: ['keyless.dev'],
          resources: ['cloudaccounts', 'workloadidentities', 'identitybindings'],
          verbs: ['get', 'list', 'watch', 'patch'],
        },
        {
          apiGroups: ['keyless.dev'],
          resources: ['cloudaccounts/status', 'workloadidentities/status', 'identitybindings/status'],
          verbs: ['patch'],
        },
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'patch', 'create'] },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'list', 'watch'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
  },
  {
    object: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: metadata(OPERATOR_NAME, { namespaced: false }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [subject],
    },
  },
  {
    comment:
      'Leader election, and credential Secrets (CloudAccount credentials.source: Secret), only in the\n' +
      "operator's own namespace.",
    object: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: metadata(OPERATOR_NAME),
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ],
    },
  },
  {
    object: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(OPERATOR_NAME),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
      subjects: [subject],
    },
  },
];

const image = expr(
  'printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion)',
  (c) => {
    const repository = c.values.image as { repository: string; tag: string };
    return `${repository.repository}:${repository.tag || c.chart.appVersion}`;
  },
);

const probe = (path: string): TemplateMap => ({ httpGet: { path, port: 'http' } });

/** Present only when the value is set: an empty nodeSelector, say, is left out. */
const ifSet = (path: string): Template => when(isSet(path), block(path));

const deployment: ManifestDocument = {
  comment:
    'KEYLESS_CLUSTER_NAME must be set (the chart value clusterName): a DNS label naming this cluster,\n' +
    'part of every cloud name and ownership tag. The operator refuses to start without it.',
  object: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(OPERATOR_NAME),
    spec: {
      replicas: value('replicas'),
      selector: { matchLabels: NAME_LABEL },
      template: {
        metadata: {
          labels: labels(
            { 'azure.workload.identity/use': when(isSet('identity.azure.clientId'), 'true') },
            block('podLabels'),
          ),
          annotations: ifSet('podAnnotations'),
        },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          // The ServiceAccount does not automount its token; the operator needs it for the API server.
          automountServiceAccountToken: true,
          imagePullSecrets: ifSet('imagePullSecrets'),
          securityContext: block('podSecurityContext'),
          containers: [
            {
              name: 'operator',
              image,
              imagePullPolicy: value('image.pullPolicy'),
              env: concat(
                [
                  setting('cluster-name', 'clusterName'),
                  setting('log-level', 'logLevel'),
                  setting('workers', 'workers'),
                  when(isSet('cloudConcurrency'), setting('cloud-concurrency', 'cloudConcurrency')),
                  setting('reconcile-timeout', 'reconcileTimeout'),
                  setting('cloud-call-timeout', 'cloudCallTimeout'),
                  setting('default-resync', 'defaultResync'),
                  setting('shutdown-timeout', 'shutdownTimeout'),
                  setting('leader-elect', 'leaderElection.enabled'),
                  setting('lease-name', 'leaderElection.leaseName'),
                  setting('lease-duration', 'leaderElection.leaseDuration'),
                  setting('renew-deadline', 'leaderElection.renewDeadline'),
                  setting('retry-period', 'leaderElection.retryPeriod'),
                  fieldRef('pod-name', 'metadata.name'),
                  fieldRef('leader-election-namespace', 'metadata.namespace'),
                ],
                block('extraEnv'),
              ),
              ports: [{ name: 'http', containerPort: HTTP_PORT }],
              livenessProbe: probe('/healthz'),
              readinessProbe: probe('/readyz'),
              resources: block('resources'),
              securityContext: block('securityContext'),
            },
          ],
          nodeSelector: ifSet('nodeSelector'),
          tolerations: ifSet('tolerations'),
          affinity: ifSet('affinity'),
        },
      },
    },
  },
};

const service: ManifestDocument = {
  comment: '/metrics, /healthz and /readyz, for Prometheus (see the chart value serviceMonitor).',
  object: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(`${OPERATOR_NAME}-metrics`),
    spec: {
      selector: NAME_LABEL,
      ports: [{ name: 'http', port: HTTP_PORT, targetPort: 'http' }],
    },
  },
};

const serviceMonitor: ManifestDocument = {
  when: isSet('serviceMonitor.enabled'),
  object: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { ...metadata(OPERATOR_NAME), labels: labels(block('serviceMonitor.labels')) },
    spec: {
      selector: { matchLabels: NAME_LABEL },
      // The binding-expiry series carry the binding's own namespace label; honour it, or Prometheus
      // renames it exported_namespace and the expiry alert names the operator's namespace.
      endpoints: [
        { port: 'http', path: '/metrics', interval: value('serviceMonitor.interval'), honorLabels: true },
      ],
    },
  },
};

const prometheusRule: ManifestDocument = {
  comment: 'The alerts of deploy/monitoring/alerts.yaml.',
  when: isSet('prometheusRule.enabled'),
  object: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { ...metadata('keyless'), labels: labels(block('prometheusRule.labels')) },
    spec: expr(
      `.Files.Get "files/${MONITORING_FILES.alerts}" | fromYaml`,
      () => parse(monitoringFile(MONITORING_FILES.alerts)),
      true,
    ),
  },
};

const grafanaDashboard: ManifestDocument = {
  comment: 'The dashboard of deploy/monitoring/dashboard.json, for the Grafana sidecar.',
  when: isSet('grafanaDashboard.enabled'),
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...metadata('keyless-dashboard'),
      // Where the Grafana sidecar looks, when it watches only its own namespace.
      namespace: expr(
        '.Values.grafanaDashboard.namespace | default .Release.Namespace',
        (c) => valueAt(c.values, 'grafanaDashboard.namespace') || c.release.namespace,
      ),
      labels: labels({ grafana_dashboard: '1' }, block('grafanaDashboard.labels')),
      annotations: ifSet('grafanaDashboard.annotations'),
    },
    data: {
      'keyless.json': expr(`.Files.Get "files/${MONITORING_FILES.dashboard}"`, () =>
        monitoringFile(MONITORING_FILES.dashboard),
      ),
    },
  },
};

export const MANIFEST_FILES: readonly ManifestFile[] = [
  { name: 'namespace.yaml', documents: [namespaceDocument] },
  { name: 'serviceaccount.yaml', documents: [serviceAccount] },
  { name: 'rbac.yaml', documents: rbac },
  { name: 'service.yaml', documents: [service] },
  { name: 'deployment.yaml', documents: [deployment] },
  { name: 'servicemonitor.yaml', documents: [serviceMonitor] },
  { name: 'prometheusrule.yaml', documents: [prometheusRule] },
  { name: 'grafana-dashboard.yaml', documents: [grafanaDashboard] },
];
