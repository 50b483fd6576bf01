import { fileURLToPath } from 'node:url';
import type { Manifest } from '../kube-manifests.js';
import type { Kubectl } from '../kubectl.js';
import { parseManifests } from './helm.js';

export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** `kubectl kustomize DIR`: the objects `kubectl apply -k DIR` would apply. */
export async function kustomize(kubectl: Kubectl, dir: string): Promise<Manifest[]> {
  return parseManifests((await kubectl(['kustomize', dir])).stdout);
}

/** The objects a `kubectl apply --server-side --dry-run=server -o name …` reports, e.g. `deployment.apps/keyless-operator`. */
export async function dryRunApply(kubectl: Kubectl, args: string[]): Promise<string[]> {
  const { stdout } = await kubectl(['apply', '--server-side', '--dry-run=server', '-o', 'name', ...args]);
  return stdout.trim().split('\n').filter(Boolean).sort();
}
