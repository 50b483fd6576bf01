/** `startControlPlane()`: a real Kubernetes API server for integration tests. */
import { resolveControlPlane } from './binaries.js';
import { startK3sControlPlane } from './k3s.js';
import { startLocalControlPlane } from './local.js';
import type { ControlPlane, StartControlPlaneOptions } from './types.js';

export type { ControlPlane, ControlPlaneSource, StartControlPlaneOptions } from './types.js';

export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const source = options.source ?? (await resolveControlPlane());
  switch (source.kind) {
    case 'binaries':
      return startLocalControlPlane(source, options);
    case 'k3s':
      return startK3sControlPlane(source, options);
    case 'unavailable':
      throw new Error(source.reason);
  }
}
