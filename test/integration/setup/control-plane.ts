/**
 * Vitest global setup for the integration project: decides once where the control plane comes
 * from (building kube-apiserver and etcd on first use, which takes minutes) and provides it to
 * test files (see test/support/control-plane/index.ts).
 */
import type { TestProject } from 'vitest/node';
import { resolveControlPlane } from '../../support/control-plane/binaries.js';
import { CONTROL_PLANE_KEY } from '../../support/control-plane/provided.js';

export default async function setup(project: TestProject): Promise<void> {
  const source = await resolveControlPlane();
  switch (source.kind) {
    case 'unavailable':
      if (process.env.CI === 'true') {
        throw new Error(`${source.reason} (with CI=true this fails instead of skipping)`);
      }
      console.warn(`[control-plane] skipping tests that need Kubernetes: ${source.reason}`);
      break;
    case 'binaries':
      // Child processes (e.g. an operator started by e2e tests) find the same binaries.
      process.env.KUBEBUILDER_ASSETS ??= source.dir;
      break;
    case 'k3s':
      console.info(`[control-plane] using k3s containers (${source.image})`);
      break;
  }
  project.provide(CONTROL_PLANE_KEY, source);
}
