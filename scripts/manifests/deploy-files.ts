import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { MANIFEST_FILES } from './operator-manifests.js';
import { GENERATED_NOTICE, KUSTOMIZE_CONTEXT, renderYamlFile } from './render.js';

export const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/', import.meta.url));

export interface GeneratedFile {
  path: string;
  content: string;
}

/** The Kustomize base: the operator's manifests with the chart's defaults, and a kustomization. */
export function renderDeployFiles(): GeneratedFile[] {
  const manifests = MANIFEST_FILES.flatMap((file) => {
    const content = renderYamlFile(file.documents, KUSTOMIZE_CONTEXT);
    return content === undefined ? [] : [{ name: file.name, content }];
  });
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../crds', ...manifests.map((m) => m.name)],
  };
  return [
    ...manifests.map(({ name, content }) => ({
      path: `${DEPLOY_DIR}${name}`,
      content: `# ${GENERATED_NOTICE}\n${content}`,
    })),
    {
      path: `${DEPLOY_DIR}kustomization.yaml`,
      content: `# ${GENERATED_NOTICE}\n${stringify(kustomization, { lineWidth: 0 })}`,
    },
  ];
}
