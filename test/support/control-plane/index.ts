/**
 * Test-file helpers for a real Kubernetes API server.
 *
 *   describeWithControlPlane('WorkloadIdentity', (controlPlane) => {
 *     it('...', async () => {
 *       const core = controlPlane().kubeConfig().makeApiClient(CoreV1Api);
 *     });
 *   });
 *
 * The source (binaries or k3s) comes from the integration global setup
 * (test/integration/setup/control-plane.ts); without it only prebuilt binaries are used.
 * When none is available the suites skip, except with CI=true, where they fail.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { findPrebuiltBinaries, HOW_TO_ENABLE } from './binaries.js';
import { startControlPlane } from './launcher.js';
import { CONTROL_PLANE_KEY } from './provided.js';
import type { ControlPlane, ControlPlaneSource, StartControlPlaneOptions } from './types.js';

export { findPrebuiltBinaries, HOW_TO_ENABLE, resolveControlPlane } from './binaries.js';
export { ensureControlPlaneBuilt } from './go-build.js';
export { startControlPlane } from './launcher.js';
export { CONTROL_PLANE_KEY } from './provided.js';
export type { ControlPlane, ControlPlaneSource, StartControlPlaneOptions } from './types.js';

export type ControlPlaneOptions = Omit<StartControlPlaneOptions, 'source'>;

/** The source resolved by the global setup, or prebuilt binaries when the setup did not run. */
export function controlPlaneSource(): ControlPlaneSource {
  const provided = inject(CONTROL_PLANE_KEY) as ControlPlaneSource | undefined;
  if (provided) return provided;
  return (
    findPrebuiltBinaries() ?? {
      kind: 'unavailable',
      reason:
        'no prebuilt control plane, and the global setup test/integration/setup/control-plane.ts (which can build one) ' +
        `did not run; ${HOW_TO_ENABLE}`,
    }
  );
}

/** True when suites needing a control plane should skip (never under CI=true: there they fail). */
export function shouldSkipControlPlaneTests(source: ControlPlaneSource = controlPlaneSource()): boolean {
  return source.kind === 'unavailable' && process.env.CI !== 'true';
}

/**
 * Registers beforeAll/afterAll hooks in the current suite that start a control plane and stop it;
 * returns an accessor to call inside tests and hooks.
 */
export function useControlPlane(options: ControlPlaneOptions = {}): () => ControlPlane {
  let controlPlane: ControlPlane | undefined;
  beforeAll(async () => {
    const source = controlPlaneSource();
    if (source.kind === 'unavailable') throw new Error(source.reason);
    controlPlane = await startControlPlane({ ...options, source });
  });
  afterAll(async () => {
    await controlPlane?.stop();
  });
  return () => {
    if (!controlPlane) throw new Error('the control plane is not running: use it inside tests or hooks');
    return controlPlane;
  };
}

/** A suite with its own control plane, skipped (or failed under CI=true) when none is available. */
export function describeWithControlPlane(
  name: string,
  body: (controlPlane: () => ControlPlane) => void,
  options: ControlPlaneOptions = {},
): void {
  describe.skipIf(shouldSkipControlPlaneTests())(name, () => {
    body(useControlPlane(options));
  });
}
