import { fileURLToPath } from 'node:url';
import { Document, isMap, isScalar, stringify, type YAMLMap } from 'yaml';
import { renderCrds } from '../crd-files.js';
import { DEFAULT_VALUES, VALUES_SCHEMA } from './chart-values.js';
import type { GeneratedFile } from './deploy-files.js';
import { emitHelmDocument } from './helm-template.js';
import { MANIFEST_FILES, MONITORING_FILES, monitoringFile } from './operator-manifests.js';
import { CHART, commentLines, GENERATED_NOTICE } from './render.js';

export const CHART_DIR = fileURLToPath(new URL('../../charts/keyless/', import.meta.url));

const CHART_YAML = {
  apiVersion: 'v2',
  name: CHART.name,
  description:
    'Keyless: every workload its own cloud identity on AWS, Google Cloud or Azure, with exactly the permissions it declares and no long-lived keys',
  type: 'application',
  version: CHART.version,
  appVersion: CHART.appVersion,
  keywords: ['workload-identity', 'iam', 'irsa', 'gke', 'azure', 'operator'],
};

const NOTES = `Keyless {{ .Chart.AppVersion }} runs in {{ .Release.Namespace }} for the cluster {{ .Values.clusterName }}.

Next, a platform admin applies one CloudAccount per cloud account, project or subscription; app teams
then apply WorkloadIdentities and IdentityBindings in their namespaces:

  kubectl get keyless -A

Helm installs the chart's crds/ on the first install only and never upgrades them. After a
\`helm upgrade\` to a new chart version, apply its CRDs yourself:

  helm pull keyless --version {{ .Chart.Version }} --untar && kubectl apply --server-side -f keyless/crds/
`;

type JsonSchema = { description?: string; properties?: Record<string, JsonSchema> };

/** values.yaml: the defaults, each key with its description from the schema above it. */
function valuesYaml(): string {
  const document = new Document(DEFAULT_VALUES);
  const describe = (map: YAMLMap, schema: JsonSchema) => {
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const child = schema.properties?.[String(pair.key.value)];
      if (child?.description) pair.key.commentBefore = ` ${child.description}`;
      if (child && isMap(pair.value) && pair.value.items.length > 0) describe(pair.value, child);
    }
  };
  if (isMap(document.contents)) describe(document.contents, VALUES_SCHEMA as JsonSchema);
  document.commentBefore =
    ` ${GENERATED_NOTICE}\n` +
    ` clusterName is required: ${VALUES_SCHEMA.properties.clusterName.description}\n` +
    ' clusterName: prod-eu';
  return document.toString({ lineWidth: 0 });
}

function valuesSchemaJson(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...JSON.parse(JSON.stringify(VALUES_SCHEMA)),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** A template file: each document's Helm template, `---` between them. */
function templateFile(file: (typeof MANIFEST_FILES)[number]): string | undefined {
  const documents = file.documents.filter((d) => d.when?.helm !== false);
  if (documents.length === 0) return undefined;
  const body = documents
    .map((d) => emitHelmDocument(d.object, d.when, commentLines(d.comment)))
    .join('---\n');
  return `{{- /* ${GENERATED_NOTICE} */}}\n${body}`;
}

/** charts/keyless: Chart.yaml, values, templates, and copies of crds/ and of deploy/monitoring/. */
export function renderChartFiles(): GeneratedFile[] {
  const templates = MANIFEST_FILES.flatMap((file) => {
    const content = templateFile(file);
    return content === undefined ? [] : [{ path: `${CHART_DIR}templates/${file.name}`, content }];
  });
  return [
    {
      path: `${CHART_DIR}Chart.yaml`,
      content: `# ${GENERATED_NOTICE}\n${stringify(CHART_YAML, { lineWidth: 0 })}`,
    },
    { path: `${CHART_DIR}values.yaml`, content: valuesYaml() },
    { path: `${CHART_DIR}values.schema.json`, content: valuesSchemaJson() },
    ...templates,
    { path: `${CHART_DIR}templates/NOTES.txt`, content: NOTES },
    ...renderCrds().map(({ path, content }) => ({
      path: `${CHART_DIR}crds/${path.split('/').at(-1)}`,
      content,
    })),
    ...Object.values(MONITORING_FILES).map((name) => ({
      path: `${CHART_DIR}files/${name}`,
      content: monitoringFile(name),
    })),
  ];
}
