import { fileURLToPath } from 'node:url';
import { ensureGoTool } from '../go-tools.js';
import type { Manifest } from '../kube-manifests.js';
import { goModuleVersion } from './go-module.js';
import { parseManifests, run } from './helm.js';

export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** kustomize, built from the version pinned in tools/kustomize/go.mod: what `kubectl apply -k` runs. */
export async function ensureKustomize(): Promise<string> {
  const version = goModuleVersion('kustomize', 'sigs.k8s.io/kustomize/kustomize/v5');
  return ensureGoTool({
    name: 'kustomize',
    packagePath: 'sigs.k8s.io/kustomize/kustomize/v5',
    ldflags: `-s -w -X sigs.k8s.io/kustomize/api/provenance.version=${version}`,
  });
}

/** `kustomize build DIR`, as objects. */
export async function kustomizeBuild(kustomize: string, dir: string): Promise<Manifest[]> {
  const result = await run(kustomize, ['build', dir]);
  if (result.code !== 0)
    throw new Error(`kustomize build ${dir} exited with ${result.code}: ${result.stderr}`);
  return parseManifests(result.stdout);
}
