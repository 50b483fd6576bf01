import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const CUSTOMIZATIONS_DIR = fileURLToPath(
  new URL('../gitops/argocd/resource_customizations/keyless.dev/', import.meta.url),
);
export const ARGOCD_CM_PATH = fileURLToPath(new URL('../gitops/argocd/argocd-cm.yaml', import.meta.url));

const KINDS = ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'] as const;

/**
 * The argocd-cm entries that install the health checks and actions of gitops/argocd/ (Argo CD's
 * `resource.customizations.health.<group>_<kind>` and `resource.customizations.actions.<group>_<kind>`),
 * as a ConfigMap to merge into Argo CD's own.
 */
export function renderArgocdCm(): string {
  const data: Record<string, string> = {};
  for (const kind of KINDS) {
    const dir = `${CUSTOMIZATIONS_DIR}${kind}/`;
    data[`resource.customizations.health.keyless.dev_${kind}`] = readFileSync(`${dir}health.lua`, 'utf8');
    const actionsDir = `${dir}actions/`;
    const definitions = readdirSync(actionsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(`${actionsDir}${entry.name}/action.lua`))
      .map((entry) => entry.name)
      .sort()
      .map((name) => ({ name, 'action.lua': readFileSync(`${actionsDir}${name}/action.lua`, 'utf8') }));
    data[`resource.customizations.actions.keyless.dev_${kind}`] = stringify(
      { 'discovery.lua': readFileSync(`${actionsDir}discovery.lua`, 'utf8'), definitions },
      { lineWidth: 0 },
    );
  }
  const header =
    '# Generated from gitops/argocd/resource_customizations by `npm run generate`: edit those files instead.\n' +
    "# Merge into Argo CD's argocd-cm (e.g. kubectl -n argocd patch configmap argocd-cm --patch-file this-file).\n";
  return (
    header +
    stringify(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data },
      { lineWidth: 0, blockQuote: 'literal' },
    )
  );
}
