import { type Static, type TOptional, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { DNS_LABEL_PATTERN, DURATION_PATTERN, StringEnum } from '../../src/api/schema-helpers.js';
import { CLUSTER_NAME_PATTERN, LOG_LEVELS } from '../../src/config.js';

/**
 * The chart's values: their schema (written to values.schema.json, which `helm` checks before it
 * renders) and their defaults (values.yaml, and what the Kustomize base is rendered with). Each value
 * maps to one setting of the operator as src/config.ts reads it, or to a part of the Deployment.
 */

const FreeForm = (description: string): TSchema =>
  Type.Object({}, { description, additionalProperties: true });
const StringMap = (description: string) => Type.Record(Type.String(), Type.String(), { description });
const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });
const Strict = { additionalProperties: false } as const;

/**
 * A group of settings: no key is required (values.yaml has them all, and a user's file may set any
 * of them to null to drop a default), and a misspelt key is refused.
 */
function Settings<T extends TProperties>(properties: T, options: { description?: string } = {}) {
  const optional = Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, Type.Optional(schema)]),
  ) as { [K in keyof T]: TOptional<T[K]> };
  return Type.Object(optional, { ...Strict, ...options });
}

const CLUSTER_NAME = Type.String({
  pattern: CLUSTER_NAME_PATTERN,
  description:
    'A DNS label naming this cluster (--cluster-name); part of every cloud name and ownership tag, so keep it stable and unique per cloud account.',
});

/** Only clusterName is required: the others have defaults in values.yaml. */
export const VALUES_SCHEMA = Type.Composite(
  [
    Type.Object({ clusterName: CLUSTER_NAME }),
    Settings({
      image: Settings(
        {
          repository: Type.String({ minLength: 1, description: 'The operator image.' }),
          tag: Type.String({ description: "The image tag; empty means the chart's appVersion." }),
          pullPolicy: StringEnum(['Always', 'IfNotPresent', 'Never'], { description: 'imagePullPolicy.' }),
        },
        { description: "The operator image; an empty tag means the chart's appVersion." },
      ),
      imagePullSecrets: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }, Strict), {
        description: 'Secrets for pulling the image, as [{name: ...}].',
      }),
      replicas: Type.Integer({
        minimum: 0,
        description: 'Operator replicas; one leads at a time (leader election), the others stand by.',
      }),
      logLevel: StringEnum(LOG_LEVELS, { description: '--log-level.' }),
      workers: Type.Integer({
        minimum: 1,
        maximum: 256,
        description: '--workers: reconciles in parallel per kind.',
      }),
      cloudConcurrency: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Null()], {
        description:
          '--cloud-concurrency: cloud calls in flight per kind, at most workers; null: half of workers.',
      }),
      reconcileTimeout: Duration("--reconcile-timeout: each reconcile's deadline."),
      cloudCallTimeout: Duration('--cloud-call-timeout: the longest one cloud call may take.'),
      defaultResync: Duration('--default-resync: re-observation period for accounts without resyncInterval.'),
      shutdownTimeout: Duration(
        '--shutdown-timeout: how long aborted reconciles may take to settle on SIGTERM.',
      ),
      leaderElection: Settings(
        {
          enabled: Type.Boolean({ description: '--leader-elect.' }),
          leaseName: Type.String({ pattern: DNS_LABEL_PATTERN, description: '--lease-name.' }),
          leaseDuration: Duration('--lease-duration.'),
          renewDeadline: Duration('--renew-deadline.'),
          retryPeriod: Duration('--retry-period.'),
        },
        {
          description:
            'Lease-based leader election: --leader-elect, --lease-name, --lease-duration, --renew-deadline, --retry-period.',
        },
      ),
      resources: FreeForm("The operator container's resources."),
      podSecurityContext: FreeForm("The pod's securityContext."),
      securityContext: FreeForm("The operator container's securityContext."),
      nodeSelector: StringMap('nodeSelector of the pod.'),
      tolerations: Type.Array(Type.Object({}, { additionalProperties: true }), {
        description: 'tolerations of the pod.',
      }),
      affinity: FreeForm('affinity of the pod.'),
      podLabels: StringMap('Extra labels on the pod.'),
      podAnnotations: StringMap('Extra annotations on the pod.'),
      extraEnv: Type.Array(
        Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
        { description: 'Extra environment variables of the operator container (EnvVar objects).' },
      ),
      serviceAccount: Settings({
        annotations: StringMap("Extra annotations on the operator's ServiceAccount."),
      }),
      identity: Settings(
        {
          aws: Settings({
            roleArn: Type.String({
              pattern: '^(arn:aws[a-z-]*:iam::[0-9]{12}:role/.+)?$',
              description: 'IRSA: the IAM role the operator runs as (eks.amazonaws.com/role-arn).',
            }),
          }),
          gcp: Settings({
            serviceAccount: Type.String({
              pattern: '^([^@ ]+@[^@ ]+)?$',
              description:
                'GKE workload identity: the Google service account the operator runs as (iam.gke.io/gcp-service-account).',
            }),
          }),
          azure: Settings({
            clientId: Type.String({
              pattern: '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$',
              description:
                'Azure workload identity: the client id of the managed identity the operator runs as (azure.workload.identity/client-id, and the pod label azure.workload.identity/use).',
            }),
          }),
        },
        {
          description:
            "The operator's own cloud identity, for CloudAccounts with credentials.source: Ambient.",
        },
      ),
      serviceMonitor: Settings(
        {
          enabled: Type.Boolean({ description: 'Render the ServiceMonitor.' }),
          interval: Duration('How often Prometheus scrapes.'),
          labels: StringMap("Extra labels, such as the one your Prometheus's serviceMonitorSelector picks."),
        },
        { description: 'A ServiceMonitor for /metrics (needs the prometheus-operator CRDs).' },
      ),
      prometheusRule: Settings(
        {
          enabled: Type.Boolean({ description: 'Render the PrometheusRule.' }),
          labels: StringMap("Extra labels, such as the one your Prometheus's ruleSelector picks."),
        },
        { description: "A PrometheusRule with Keyless's alerts (deploy/monitoring/alerts.yaml)." },
      ),
      grafanaDashboard: Settings(
        {
          enabled: Type.Boolean({ description: "Render the dashboard's ConfigMap." }),
          namespace: Type.String({
            pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
            description:
              "The ConfigMap's namespace, where the sidecar looks; empty means the release namespace.",
          }),
          labels: StringMap('Extra labels on the ConfigMap.'),
          annotations: StringMap("Annotations on the ConfigMap, such as the sidecar's folder annotation."),
        },
        {
          description:
            'The Grafana dashboard as a ConfigMap labelled grafana_dashboard: "1", for the Grafana sidecar.',
        },
      ),
    }),
  ],
  Strict,
);

export type ChartValues = Static<typeof VALUES_SCHEMA>;

/** Everything but clusterName, which has no default: values.yaml leaves it to the user. */
export const DEFAULT_VALUES: Omit<ChartValues, 'clusterName'> = {
  image: { repository: 'ghcr.io/keyless-dev/keyless', tag: '', pullPolicy: 'IfNotPresent' },
  imagePullSecrets: [],
  replicas: 2,
  logLevel: 'info',
  workers: 8,
  cloudConcurrency: null,
  reconcileTimeout: '60s',
  cloudCallTimeout: '20s',
  defaultResync: '10m',
  shutdownTimeout: '10s',
  leaderElection: {
    enabled: true,
    leaseName: 'keyless-operator',
    leaseDuration: '15s',
    renewDeadline: '10s',
    retryPeriod: '2s',
  },
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  podSecurityContext: {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
  nodeSelector: {},
  tolerations: [],
  affinity: {},
  podLabels: {},
  podAnnotations: {},
  extraEnv: [],
  serviceAccount: { annotations: {} },
  identity: { aws: { roleArn: '' }, gcp: { serviceAccount: '' }, azure: { clientId: '' } },
  serviceMonitor: { enabled: false, interval: '30s', labels: {} },
  prometheusRule: { enabled: false, labels: {} },
  grafanaDashboard: { enabled: false, namespace: '', labels: {}, annotations: {} },
};
